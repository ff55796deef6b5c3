/**
 * TxnBox's txn-conf of Traffic Server's per-server settings, through a real Junction: the TLS server
 * name sent upstream (`proxy.config.ssl.client.sni_policy`) and the backend's connection limit for one
 * transaction (`proxy.config.http.per_server.connection.max`), against backends the test starts.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { afterAll, describe, expect, test } from 'vitest';
import { createTestCa } from '../support/certs.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.text() };
}

describe('txn-conf<proxy.config.ssl.client.sni_policy>', () => {
  test('a rule sets the TLS server name of its transaction; the others keep the cluster’s', async () => {
    const ca = createTestCa('SNI test CA');
    const dir = mkdtempSync(join(tmpdir(), 'junction-sni-'));
    closers.push(() => {
      ca.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const pair = ca.issue(['origin.test', 'video.test']);
    writeFileSync(join(dir, 'ca.pem'), ca.cert);
    // The backend answers with the server name the handshake carried.
    const backend = createHttpsServer({ cert: pair.cert, key: pair.key }, (req, res) => {
      const socket: unknown = req.socket;
      res.end(socket instanceof TLSSocket ? String(socket.servername) : 'no TLS');
    });
    const port = await listen(backend);
    closers.push(() => closeServer(backend));
    const junction = await startJunctionFromYaml(
      `
clusters:
  origin:
    backends: ['127.0.0.1:${port}']
    tls: { server_name: origin.test, ca_file: ca.pem }
routes:
  - cluster: origin
    rules:
      - when: proxy-rsp
        do:
          - proxy-rsp-field<x-cert>: "{outbound-cert-remote-subject-field<CN>} by {outbound-cert-remote-issuer-field<commonName>}; client '{outbound-cert-local-subject-field<CN>}'"
      - with: ua-req-path
        select:
          - prefix: "video/"
            do:
              - txn-conf<proxy.config.ssl.client.sni_policy>: "@video.test"
          - match: "wrong"
            do:
              - txn-conf<proxy.config.ssl.client.sni_policy>: "@elsewhere.test"
`,
      { baseDir: dir },
    );
    closers.push(() => junction.close());
    expect(await get(`${junction.url}/plain`)).toEqual({ status: 200, body: 'origin.test' });
    expect(await get(`${junction.url}/video/1`)).toEqual({ status: 200, body: 'video.test' });
    // TxnBox's outbound-cert-*: the backend's certificate; '' for a client certificate not sent.
    const response = await fetch(`${junction.url}/plain`, { signal: AbortSignal.timeout(5000) });
    expect(response.headers.get('x-cert')).toBe("origin.test by SNI test CA; client ''");
    // The name is also what the certificate must carry: one it does not is refused.
    expect((await get(`${junction.url}/wrong`)).status).toBe(503);
    // Connections made with one name do not serve another.
    expect(await get(`${junction.url}/plain`)).toEqual({ status: 200, body: 'origin.test' });
    expect(await get(`${junction.url}/video/2`)).toEqual({ status: 200, body: 'video.test' });
  });
});

describe('txn-conf<proxy.config.http.per_server.connection.max>', () => {
  test("a transaction's own limit on the backend's connections; reading it gives the limit in force", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const backend = createHttpServer((req, res) => {
      if (req.url === '/hold') {
        arrived();
        void held.then(() => res.end('held'));
      } else res.end(`limit ${String(req.headers['x-limit'])}`);
    });
    const port = await listen(backend);
    closers.push(() => {
      release();
      return closeServer(backend);
    });
    const junction = await startJunctionFromYaml(`
clusters:
  origin:
    backends: ['127.0.0.1:${port}']
    pool: { max_total: 5 }
routes:
  - cluster: origin
    rules:
      - with: ua-req-path
        continue:
        select:
          - match: "one"
            do:
              - txn-conf<proxy.config.http.per_server.connection.max>: 1
      - when: proxy-req
        do:
          - proxy-req-field<x-limit>: "{txn-conf<proxy.config.http.per_server.connection.max>}"
`);
    closers.push(() => junction.close());
    // One connection is busy with /hold: a transaction limited to 1 may not open a second.
    const hold = get(`${junction.url}/hold`);
    await holding;
    expect((await get(`${junction.url}/one`)).status).toBe(503);
    // Another transaction, under the cluster's limit, opens one.
    expect(await get(`${junction.url}/other`)).toEqual({ status: 200, body: 'limit 5' });
    release();
    expect((await hold).body).toBe('held');
    // With a connection idle in the pool, the limited transaction reuses it (the limit is on opening).
    expect(await get(`${junction.url}/one`)).toEqual({ status: 200, body: 'limit 1' });
  });
});
