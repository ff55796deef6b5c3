/**
 * Reloads and the listener kinds: an HTTPS listener and a TCP listener added by a reload serve at once,
 * a certificate changed in the config file reaches new handshakes through a reload, an unchanged HTTPS
 * listener keeps its port and its connections, and removed listeners stop accepting.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, expect, onTestFinished, test } from 'vitest';
import { loadConfigText } from '../../src/config/index.ts';
import { echoBackend, rawBackend } from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { connectTo, request } from '../support/clients.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { TlsClient } from '../support/tls-clients.ts';
import { withTimeout } from '../support/wait-for.ts';

const ca = createTestCa('Junction reload Test CA');
const dir = mkdtempSync(join(tmpdir(), 'junction-e2e-reload-kinds-'));
afterAll(() => {
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeCertificate(names: string[]): void {
  const pair = ca.issue(names);
  writeFileSync(join(dir, 'site.pem'), pair.cert);
  writeFileSync(join(dir, 'site.key'), pair.key);
}

async function reloadYaml(junction: RunningJunction, yaml: string) {
  return junction.server.reload(await loadConfigText(yaml, join(dir, 'junction.yaml'), { baseDir: dir }));
}

/** The DNS names (subjectaltname) an HTTPS listener serves to a client asking for `servername`. */
async function servedNames(port: number, servername: string): Promise<string> {
  const socket = tlsConnect({ host: '127.0.0.1', port, servername, ca: ca.cert });
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', () => {
          resolve();
        });
        socket.once('error', reject);
      }),
      5_000,
      'a TLS handshake',
    );
    return socket.getPeerCertificate().subjectaltname ?? '';
  } finally {
    socket.destroy();
  }
}

/** Sends `text` over a TCP connection and resolves with what comes back before the peer closes. */
async function tcpExchange(port: number, text: string): Promise<string> {
  const socket = netConnect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.end(text);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once('close', () => {
        resolve();
      });
      socket.once('error', reject);
    }),
    5_000,
    'the TCP echo',
  );
  return Buffer.concat(chunks).toString();
}

test('HTTPS and TCP listeners come and go with reloads; a changed certificate file reaches new handshakes', async () => {
  const app = await echoBackend('app');
  onTestFinished(() => app.close());
  const echo = await rawBackend((socket) => {
    socket.on('data', (c: Buffer) => socket.write(c));
    socket.on('end', () => socket.end());
  }, 'tcp-echo');
  onTestFinished(() => echo.close());
  writeCertificate(['site.example.test']);
  const base = `routes: [{ cluster: app }]
clusters:
  app: { backends: ["${app.address}"] }
  echo: { backends: ["${echo.address}"] }
`;
  const plain = `listeners:\n  - { name: main, address: 127.0.0.1, port: 0 }\n`;
  const https = `  - name: secure
    address: 127.0.0.1
    port: 0
    tls: { certificates: [{ cert_file: site.pem, key_file: site.key }] }
`;
  const tcp = `  - { name: raw, address: 127.0.0.1, port: 0, protocol: tcp, cluster: echo }\n`;
  const junction = await startJunctionFromYaml(`${plain}${base}`, { baseDir: dir });
  onTestFinished(() => junction.close());

  const added = await reloadYaml(junction, `${plain}${https}${tcp}${base}`);
  expect([...added.diff.listeners.added].sort()).toEqual(['raw', 'secure']);
  const port = (name: string): number => junction.server.listeners.find((l) => l.name === name)!.port;
  expect(junction.server.listeners.map((l) => [l.name, l.scheme])).toEqual([
    ['main', 'http'],
    ['secure', 'https'],
    ['raw', 'tcp'],
  ]);
  expect(await servedNames(port('secure'), 'site.example.test')).toContain('DNS:site.example.test');
  expect(await tcpExchange(port('raw'), 'ping over tcp')).toBe('ping over tcp');

  // The same config again: nothing changes, the HTTPS listener keeps its port.
  const securePort = port('secure');
  const same = await reloadYaml(junction, `${plain}${https}${tcp}${base}`);
  expect(same.diff.listeners).toEqual({ added: [], removed: [], modified: [] });
  expect(port('secure')).toBe(securePort);

  // A renewed certificate in the file the config names: the listener is updated in place (same socket,
  // same port, its open connections kept), and new handshakes get the new certificate.
  const open = await TlsClient.connect(port('secure'), { ca: ca.cert, servername: 'site.example.test' });
  onTestFinished(() => {
    open.close();
  });
  expect((await open.request('site.example.test', '/before')).statusCode).toBe(200);
  writeCertificate(['site.example.test', 'www.site.example.test']);
  const renewed = await reloadYaml(junction, `${plain}${https}${tcp}${base}`);
  expect(renewed.diff.listeners.modified).toEqual(['secure']);
  expect(port('secure')).toBe(securePort);
  expect(await servedNames(port('secure'), 'www.site.example.test')).toContain('DNS:www.site.example.test');
  expect((await open.request('site.example.test', '/after')).statusCode).toBe(200);

  // A change beyond tls (here its connection limit) rebinds it.
  const limited = https.replace('port: 0\n', 'port: 0\n    max_connections: 100\n');
  const rebound = await reloadYaml(junction, `${plain}${limited}${tcp}${base}`);
  expect(rebound.diff.listeners.modified).toEqual(['secure']);

  const secureNow = port('secure');
  const rawNow = port('raw');
  const removed = await reloadYaml(junction, `${plain}${base}`);
  expect([...removed.diff.listeners.removed].sort()).toEqual(['raw', 'secure']);
  await expect(connectTo(secureNow, 2_000)).rejects.toThrow();
  await expect(connectTo(rawNow, 2_000)).rejects.toThrow();
  expect((await request(junction.port)).status).toBe(200);
});
