/**
 * HTTP/2 from clients: h2 by ALPN through TLS (curl --http2 and node:http2), h2c with prior knowledge
 * beside HTTP/1.1 on one plain listener, streams as transactions (routing, bodies both ways with
 * backpressure, chunked responses and trailers, access log), a backend failure on one stream only,
 * gRPC's local answers, and the HTTP/2 attacks, each refused without harm to another connection.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, onTestFinished, test } from 'vitest';
import { echoBackend, type EchoReply } from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { request } from '../support/clients.ts';
import { h2Connect, h2Request } from '../support/h2-clients.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { requireTool } from '../support/system-tools.ts';

const ca = createTestCa('Junction HTTP2 Test CA');
const dir = mkdtempSync(join(tmpdir(), 'junction-e2e-h2-'));
const site = ca.issue(['h2.example.test']);
writeFileSync(join(dir, 'site.pem'), site.cert);
writeFileSync(join(dir, 'site.key'), site.key);
writeFileSync(join(dir, 'ca.pem'), ca.cert);
afterAll(() => {
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(yaml: string): Promise<RunningJunction> {
  const junction = await startJunctionFromYaml(yaml, { baseDir: dir });
  onTestFinished(() => junction.close(0));
  return junction;
}

async function echo(name = 'app') {
  const backend = await echoBackend(name);
  onTestFinished(() => backend.close());
  return backend;
}

function h2cListener(extra = ''): string {
  return `listeners:
  - { name: h2c, address: 127.0.0.1, port: 0, h2c: true${extra} }`;
}

function tlsListener(): string {
  return `listeners:
  - name: h2
    address: 127.0.0.1
    port: 0
    tls:
      certificates: [{ cert_file: site.pem, key_file: site.key }]
      alpn: [h2, http/1.1]`;
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

describe('h2 and h2c', () => {
  test('h2c with prior knowledge and HTTP/1.1 on one plain listener', async () => {
    const app = await echo();
    const junction = await start(`${h2cListener()}
routes: [{ match: { path: / }, cluster: app }]
clusters: { app: { backends: ["${app.address}"] } }`);
    const session = await h2Connect(`http://127.0.0.1:${junction.port}`);
    onTestFinished(() => {
      session.close();
    });
    const res = await h2Request(session, { ':path': '/hello?x=1', ':authority': 'svc.test' });
    expect(res.status).toBe(200);
    const reply = JSON.parse(res.body.toString()) as EchoReply;
    expect(reply.url).toBe('/hello?x=1');
    expect(reply.headers.host).toBe('svc.test');
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.headers.connection).toBeUndefined();
    const plain = await request(junction.port, { path: '/one' });
    expect(plain.status).toBe(200);
    expect((JSON.parse(plain.body.toString()) as EchoReply).url).toBe('/one');
  });

  test('curl --http2 through TLS (ALPN h2) and --http2-prior-knowledge in clear', async (context) => {
    requireTool(context, 'curl', "Debian's curl package (apt-get install curl)");
    const app = await echo();
    const clusters = `routes: [{ match: { path: / }, cluster: app }]
clusters: { app: { backends: ["${app.address}"] } }`;
    const tls = await start(`${tlsListener()}\n${clusters}`);
    const clear = await start(`${h2cListener()}\n${clusters}`);
    const over = await curl([
      '--http2',
      '--cacert',
      join(dir, 'ca.pem'),
      '--resolve',
      `h2.example.test:${tls.port}:127.0.0.1`,
      '-w',
      '\\n%{http_version} %{http_code}',
      `https://h2.example.test:${tls.port}/tls`,
    ]);
    expect(over.stderr).toBe('');
    expect(over.stdout.endsWith('\n2 200')).toBe(true);
    const h2c = await curl([
      '--http2-prior-knowledge',
      '-w',
      '\\n%{http_version} %{http_code}',
      `${clear.url}/clear`,
    ]);
    expect(h2c.stdout.endsWith('\n2 200')).toBe(true);
    expect((JSON.parse(h2c.stdout.split('\n')[0]!) as EchoReply).url).toBe('/clear');
  });
});
