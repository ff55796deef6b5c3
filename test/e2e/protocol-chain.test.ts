/**
 * The whole chain of a session's protocols on one listener: a PROXY protocol header, then a TLS
 * handshake, then HTTP, then a WebSocket tunnel. The header is read from the raw socket first; the
 * bytes after it (the ClientHello) go to the TLS step, and the address it carries is the client's
 * everywhere after.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, expect, onTestFinished, test } from 'vitest';
import { echoBackend, type EchoReply } from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { backendList, startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { withTimeout } from '../support/wait-for.ts';
import { nextMessages, wsBackend } from '../support/websocket.ts';
import { WebSocket } from 'ws';

const ca = createTestCa('Junction chain Test CA');
const dir = mkdtempSync(join(tmpdir(), 'junction-e2e-chain-'));
afterAll(() => {
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});
const pair = ca.issue(['app.example.test']);
writeFileSync(join(dir, 'app.pem'), pair.cert);
writeFileSync(join(dir, 'app.key'), pair.key);

const V1 = 'PROXY TCP4 203.0.113.9 198.51.100.1 40001 443\r\n';

async function junctionFor(backendAddress: string, listenerExtra = ''): Promise<RunningJunction> {
  const junction = await startJunctionFromYaml(
    `
listeners:
  - name: edge
    address: 127.0.0.1
    port: 0${listenerExtra}
    proxy_protocol: { trusted: [127.0.0.1/32] }
    tls: { certificates: [{ cert_file: app.pem, key_file: app.key }] }
routes: [{ cluster: app }]
clusters:
  app: { backends: ${backendList(backendAddress)} }
rules:
  - when: ua-req
    do:
      - ua-req-field<X-Rule-Sni>: '{inbound-sni}'`,
    { baseDir: dir },
  );
  onTestFinished(() => junction.close());
  return junction;
}

/** A TLS client whose connection first carries a PROXY v1 header in clear, as a load balancer sends it. */
function tlsAfterProxyHeader(port: number, sendHeader = true): Promise<TLSSocket> {
  const raw = netConnect({ host: '127.0.0.1', port });
  if (sendHeader) raw.write(V1);
  const socket = tlsConnect({ socket: raw, ca: ca.cert, servername: 'app.example.test' });
  return withTimeout(
    new Promise<TLSSocket>((resolve, reject) => {
      socket.once('secureConnect', () => {
        resolve(socket);
      });
      socket.once('error', reject);
    }),
    5_000,
    'the TLS handshake after the PROXY header',
  );
}

test('PROXY header, then TLS, then HTTP: the request carries the header address and the SNI', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await junctionFor(backend.address);
  const socket = await tlsAfterProxyHeader(junction.port);
  onTestFinished(() => {
    socket.destroy();
  });
  expect(socket.authorized).toBe(true);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write('GET /who HTTP/1.1\r\nHost: app.example.test\r\nConnection: close\r\n\r\n');
  await withTimeout(
    new Promise<void>((resolve) =>
      socket.once('end', () => {
        resolve();
      }),
    ),
    5_000,
    'the response',
  );
  const text = Buffer.concat(chunks).toString('latin1');
  expect(text).toMatch(/^HTTP\/1\.1 200 /);
  const reply = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as EchoReply;
  expect(reply.headers['x-forwarded-for']).toBe('203.0.113.9');
  expect(reply.headers['x-forwarded-proto']).toBe('https');
  expect(reply.headers['x-rule-sni']).toBe('app.example.test');
});

test('a TLS client that skips the PROXY header a trusted peer owes is closed before any handshake', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await junctionFor(backend.address);
  await expect(tlsAfterProxyHeader(junction.port, false)).rejects.toThrow();
  expect(backend.requests).toHaveLength(0);
});

test('PROXY header, TLS, then a WebSocket tunnel', async () => {
  const backend = await wsBackend('ws');
  onTestFinished(() => backend.close());
  const junction = await junctionFor(backend.address);
  const socket = await tlsAfterProxyHeader(junction.port);
  const ws = new WebSocket('wss://app.example.test/chat', { createConnection: () => socket });
  onTestFinished(() => {
    ws.terminate();
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        resolve();
      });
      ws.once('error', reject);
    }),
    5_000,
    'the WebSocket to open',
  );
  expect(backend.upgrades[0]?.['x-forwarded-for']).toBe('203.0.113.9');
  const reply = nextMessages(ws, 1);
  ws.send('through every layer');
  expect((await reply)[0]?.data.toString()).toBe('through every layer');
});

/** Sends one request on a secured socket and resolves with the whole answer (the server closes). */
async function get(socket: TLSSocket, path: string): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: app.example.test\r\nConnection: close\r\n\r\n`);
  await withTimeout(
    new Promise<void>((resolve) =>
      socket.once('end', () => {
        resolve();
      }),
    ),
    5_000,
    `the answer to ${path}`,
  );
  return Buffer.concat(chunks).toString('latin1');
}

test('a socket that waited in the accept queue goes through the PROXY and TLS steps when a slot frees', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await junctionFor(backend.address, '\n    max_connections: 1');
  const first = await tlsAfterProxyHeader(junction.port);
  onTestFinished(() => {
    first.destroy();
  });
  // The second connection's header and ClientHello arrive while it waits, paused, in the queue.
  const second = tlsAfterProxyHeader(junction.port);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(junction.server.stats().acceptQueued).toBe(1);
  expect(await get(first, '/first')).toMatch(/^HTTP\/1\.1 200 /);
  const socket = await second;
  onTestFinished(() => {
    socket.destroy();
  });
  const answer = await get(socket, '/second');
  expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  expect(answer).toContain('203.0.113.9');
});
