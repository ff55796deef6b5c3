/**
 * The cluster's connection settings through the proxy: https backends with CA verification, backends
 * written as names, pool limits, the outbound connection events, and the cluster status API.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import { afterAll, describe, expect, onTestFinished, test } from 'vitest';
import type { UpstreamConnectionInfo } from '../../src/index.ts';
import { countingBackend, echoBackend } from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { request } from '../support/clients.ts';
import { listenForTest } from '../support/servers.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

const ca = createTestCa();
afterAll(() => {
  ca.close();
});

/** An https backend answering with the SNI it saw, using a certificate for `names`. */
async function httpsBackend(names: readonly string[]): Promise<{ port: number; sni: string[] }> {
  const sni: string[] = [];
  const server: HttpsServer = createHttpsServer({ ...ca.issue(names) }, (req, res) => {
    const name = (req.socket as { servername?: string | false }).servername;
    sni.push(typeof name === 'string' ? name : '');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`tls ok ${req.url ?? ''}`);
  });
  const port = await listenForTest(server);
  return { port, sni };
}

/** The test CA written to a file of its own, for `ca_file`. */
function caFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'junction-e2e-ca-'));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'ca.pem');
  writeFileSync(file, ca.cert);
  return file;
}

describe('upstream TLS through the proxy', () => {
  test('an https backend by name, verified against the configured CA, with SNI', async () => {
    const backend = await httpsBackend(['localhost']);
    const file = caFile();
    const junction = await startJunctionFromYaml(`
routes: [{ cluster: secure }]
clusters:
  secure:
    tls: { ca_file: '${file}' }
    backends: ["localhost:${backend.port}"]
`);
    onTestFinished(() => junction.close());
    const res = await request(junction.port, { path: '/hello' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('tls ok /hello');
    expect(backend.sni).toEqual(['localhost']);
  });

  test('an untrusted certificate fails the connect: 503 (no backend reachable), the backend never sees a request', async () => {
    const backend = await httpsBackend(['localhost']);
    const junction = await startJunctionFromYaml(`
routes: [{ cluster: secure }]
clusters:
  secure:
    retry: { attempts: 1 }
    backends: ["https://localhost:${backend.port}"]
`);
    onTestFinished(() => junction.close());
    const res = await request(junction.port);
    expect(res.status).toBe(503);
    expect(backend.sni).toEqual([]);
    const [status] = junction.server.upstreams();
    expect(status?.connectFailures).toBe(1);
  });

  test('verify: false accepts it (for testing only)', async () => {
    const backend = await httpsBackend(['localhost']);
    const junction = await startJunctionFromYaml(`
routes: [{ cluster: secure }]
clusters:
  secure:
    tls: { verify: false }
    backends: ["127.0.0.1:${backend.port}"]
`);
    onTestFinished(() => junction.close());
    expect((await request(junction.port)).status).toBe(200);
  });
});

describe('pools and outbound connection events through the proxy', () => {
  test('max_requests_per_connection: a connection carries that many requests, then a new one opens', async () => {
    const backend = await countingBackend('b');
    onTestFinished(() => backend.close());
    const opened: UpstreamConnectionInfo[] = [];
    const closed: UpstreamConnectionInfo[] = [];
    const junction = await startJunctionFromYaml(
      `
routes: [{ cluster: c }]
clusters:
  c:
    pool: { max_requests_per_connection: 3 }
    backends: ["${backend.address}"]
`,
      {
        upstreamEvents: {
          onUpstreamOpen: (info) => opened.push(info),
          onUpstreamClose: (info) => closed.push(info),
        },
      },
    );
    onTestFinished(() => junction.close());
    for (let i = 0; i < 7; i++) expect((await request(junction.port)).status).toBe(200);
    // 7 requests at 3 per connection: three connections, two of them closed after their third request.
    expect(backend.connections).toBe(3);
    await waitFor(() => closed.length === 2);
    expect(opened).toHaveLength(3);
    expect(opened[0]).toMatchObject({ upstreamId: backend.address, tls: false, requests: 0 });
    expect(closed.map((c) => c.requests)).toEqual([3, 3]);
  });

  test('a backend written as a name resolves and is used', async () => {
    const backend = await echoBackend('named');
    onTestFinished(() => backend.close());
    const junction = await startJunctionFromYaml(`
routes: [{ cluster: c }]
clusters:
  c: { backends: ["localhost:${backend.port}"], dns: { min_ttl: 1s, max_ttl: 5s } }
`);
    onTestFinished(() => junction.close());
    for (let i = 0; i < 3; i++) expect((await request(junction.port)).status).toBe(200);
    expect(backend.requests).toHaveLength(3);
  });

  test('clusters() reports the strategy and the retry counters', async () => {
    const backend = await echoBackend('b');
    onTestFinished(() => backend.close());
    const junction = await startJunctionFromYaml(`
strategies:
  spread: { kind: random }
routes: [{ cluster: c }]
clusters:
  c: { strategy: spread, backends: ["${backend.address}"] }
`);
    onTestFinished(() => junction.close());
    for (let i = 0; i < 4; i++) await request(junction.port);
    expect(junction.server.clusters()).toEqual([
      {
        name: 'c',
        strategy: 'spread',
        strategyKind: 'random',
        backends: 1,
        backendsUp: 1,
        panic: false,
        requests: 4,
        retries: 0,
        retriesRefused: 0,
      },
    ]);
  });
});
