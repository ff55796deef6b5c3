/**
 * Connection persistence on both sides: client connections stay open between requests unless HTTP/1.0
 * or `Connection: close` says otherwise, idle ones are closed after client_idle, and upstream connections
 * are pooled per backend and reused only after a complete, reusable response.
 */
import { expect, onTestFinished, test } from 'vitest';
import {
  captureBackend,
  chunkedBackend,
  echoBackend,
  type EchoReply,
  lateFirstAnswerBackend,
} from '../support/backends.ts';
import { rawRequest, RawClient, request } from '../support/clients.ts';
import { proxyToBackend } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

async function echo(name = 'app', options: Parameters<typeof echoBackend>[1] = {}) {
  const backend = await echoBackend(name, options);
  onTestFinished(() => backend.close());
  return backend;
}

test('100 sequential requests on one client connection reach the backend over one upstream connection', async () => {
  const backend = await echo();
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const urls: string[] = [];
  for (let i = 0; i < 100; i++) {
    const response = await client.exchange(`GET /seq/${i} HTTP/1.1\r\nHost: ka.test\r\n\r\n`);
    expect(response.statusCode).toBe(200);
    urls.push((JSON.parse(response.body.toString()) as EchoReply).url);
  }
  expect(urls).toEqual(Array.from({ length: 100 }, (_, i) => `/seq/${i}`));
  expect(client.ended).toBe(false);
  expect(backend.connections).toBe(1);
  expect(new Set(backend.requests.map((r) => r.connectionId))).toEqual(new Set([1]));
});

test('sequential client connections share the pooled upstream connection', async () => {
  const backend = await echo();
  const junction = await proxyToBackend(backend);
  for (let i = 0; i < 5; i++) expect((await request(junction.port)).status).toBe(200);
  expect(backend.connections).toBe(1);
});

test('an HTTP/1.0 request without keep-alive gets its full answer, then the connection closes', async () => {
  const backend = await echo();
  const junction = await proxyToBackend(backend);
  const result = await rawRequest(junction.port, 'GET /old HTTP/1.0\r\nHost: ka.test\r\n\r\n');
  expect(result.ended).toBe(true);
  expect(result.responses).toHaveLength(1);
  const [response] = result.responses;
  expect(response).toMatchObject({ statusCode: 200, complete: true });
  expect(response?.framing).not.toBe('chunked');
  expect((JSON.parse(response!.body.toString()) as EchoReply).url).toBe('/old');
});

test('an HTTP/1.0 request with Connection: keep-alive keeps the connection open', async () => {
  const backend = await echo();
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const request10 = 'GET /a HTTP/1.0\r\nHost: ka.test\r\nConnection: keep-alive\r\n\r\n';
  const first = await client.exchange(request10);
  const second = await client.exchange(request10);
  for (const response of [first, second]) {
    expect(response.statusCode).toBe(200);
    expect(response.framing).toBe('content-length');
    expect(response.headers['connection']?.toLowerCase()).toContain('keep-alive');
  }
  expect(await client.waitForEnd(200)).toBe(false);
});

test('an HTTP/1.0 client never gets a chunked response: a chunked upstream body is delimited by close', async () => {
  const backend = await chunkedBackend({ chunks: ['alpha-', 'beta-', 'gamma'], intervalMs: 10 });
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const result = await rawRequest(junction.port, 'GET / HTTP/1.0\r\nHost: ka.test\r\n\r\n');
  expect(result.ended).toBe(true);
  const [response] = result.responses;
  expect(response?.framing).not.toBe('chunked');
  expect(response?.headers['transfer-encoding']).toBeUndefined();
  expect(response?.body.toString()).toBe('alpha-beta-gamma');
});

test('an HTTP/1.1 request with Connection: close is answered with Connection: close, then closed', async () => {
  const backend = await echo();
  const junction = await proxyToBackend(backend);
  const result = await rawRequest(
    junction.port,
    'GET / HTTP/1.1\r\nHost: ka.test\r\nConnection: close\r\n\r\n',
  );
  expect(result.ended).toBe(true);
  expect(result.responses[0]).toMatchObject({ statusCode: 200, complete: true });
  expect(result.responses[0]?.headers['connection']?.toLowerCase()).toBe('close');
});

test('an idle keep-alive client connection is closed after client_idle', async () => {
  const backend = await echo();
  const junction = await proxyToBackend(backend, 'timeouts: { client_idle: 300ms }');
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  await client.exchange('GET / HTTP/1.1\r\nHost: ka.test\r\n\r\n');
  const idleSince = Date.now();
  expect(await client.waitForEnd(3_000)).toBe(true);
  expect(Date.now() - idleSince).toBeGreaterThanOrEqual(250);
});

test('an upstream connection whose response said Connection: close is not reused', async () => {
  const backend = await echo('closing', { headers: { connection: 'close' } });
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  for (let i = 0; i < 3; i++) {
    const response = await client.exchange(`GET /${i} HTTP/1.1\r\nHost: ka.test\r\n\r\n`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['connection'] ?? '').not.toMatch(/close/i);
  }
  expect(backend.connections).toBe(3);
  expect(client.ended).toBe(false);
});

test('a pooled upstream connection the backend closed while idle is not used: the next request succeeds', async () => {
  const backend = await echo('short-idle', { keepAliveTimeoutMs: 100 });
  const junction = await proxyToBackend(backend);
  expect((await request(junction.port)).status).toBe(200);
  await waitFor(() => backend.closedConnections === 1, { what: 'the backend to close its idle connection' });
  const res = await request(junction.port);
  expect(res.status).toBe(200);
  expect(backend.connections).toBe(2);
});

test('a client that gives up waiting does not leave its late response for the next request', async () => {
  const backend = await lateFirstAnswerBackend(300);
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const quitter = await RawClient.connect(junction.port);
  await quitter.write('GET /slow HTTP/1.1\r\nHost: ka.test\r\n\r\n');
  await waitFor(() => backend.connections === 1, { what: 'the request to reach the backend' });
  await quitter.close();
  await waitFor(() => backend.lateAnswerSent, { what: 'the late answer to be sent' });
  const bodies: string[] = [];
  for (let i = 0; i < 2; i++) bodies.push((await request(junction.port)).text);
  expect(bodies).toEqual(['fresh-2', 'fresh-3']);
});

test('a client that disconnects mid-upload does not poison the pooled upstream connection', async () => {
  const backend = await captureBackend();
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const quitter = await RawClient.connect(junction.port);
  await quitter.write('POST /upload HTTP/1.1\r\nHost: ka.test\r\nContent-Length: 1000\r\n\r\nonly-ten-b');
  await waitFor(() => backend.received.includes('only-ten-b'), {
    what: 'the partial body to reach the backend',
  });
  await quitter.close();
  const res = await request(junction.port, { path: '/after' });
  expect(res.status).toBe(200);
  expect(res.text).toBe('ok');
  expect(backend.parseErrors).toEqual([]);
  expect(backend.requests.map((r) => r.target)).toEqual(['/after']);
});
