/**
 * Failures Junction answers itself (404, 503 after retries, 502, 504, 400, 431) and the one it cannot
 * answer: an upstream that dies mid-response, where the client must see the truncation and a close.
 */
import { expect, onTestFinished, test } from 'vitest';
import {
  closeBeforeHeadBackend,
  closedPort,
  closeMidBodyBackend,
  echoBackend,
  garbageBackend,
  neverAnswerBackend,
  type EchoReply,
  lateFirstAnswerBackend,
} from '../support/backends.ts';
import { rawRequest, RawClient, request } from '../support/clients.ts';
import { backendList, startJunctionFromYaml } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

/** Junction routing every request to one cluster made of `backends` (addresses or closed ports). */
async function proxyTo(
  backends: readonly ({ address: string } | number)[],
  clusterYaml = '',
  extraYaml = '',
) {
  const junction = await startJunctionFromYaml(`
routes:
  - { match: { host: app.test }, cluster: app }
clusters:
  app: { backends: ${backendList(...backends)} ${clusterYaml ? `, ${clusterYaml}` : ''} }
${extraYaml}`);
  onTestFinished(() => junction.close());
  return junction;
}

const GET = 'GET / HTTP/1.1\r\nHost: app.test\r\n\r\n';

test('a request no route matches gets a short 404 and the connection stays usable', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend]);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const notFound = await client.exchange('GET /x HTTP/1.1\r\nHost: unknown.test\r\n\r\n');
  expect(notFound.statusCode).toBe(404);
  expect(notFound.body.length).toBeGreaterThan(0);
  expect(notFound.body.length).toBeLessThan(1024);
  expect((await client.exchange(GET)).statusCode).toBe(200);
  expect(backend.requests).toHaveLength(1);
});

test('503 when every backend of the cluster refuses connections', async () => {
  const ports = [await closedPort(), await closedPort(), await closedPort()];
  const junction = await proxyTo(ports, 'retry: { attempts: 3 }');
  const res = await request(junction.port, { headers: { host: 'app.test' } });
  expect(res.status).toBe(503);
  expect(res.text.length).toBeGreaterThan(0);
});

test('a refused connect is retried on another backend: every request succeeds, no error shows', async () => {
  const alive = await echoBackend('alive');
  onTestFinished(() => alive.close());
  const junction = await proxyTo([await closedPort(), alive], 'retry: { attempts: 2 }');
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++)
    statuses.push((await request(junction.port, { headers: { host: 'app.test' } })).status);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
  expect(alive.requests).toHaveLength(6);
});

test('retries never pick the same backend twice while another is untried', async () => {
  const alive = await echoBackend('alive');
  onTestFinished(() => alive.close());
  const dead = [await closedPort(), await closedPort(), await closedPort()];
  // Four attempts over four backends: only an attempt repeating a dead backend could miss the live one.
  const junction = await proxyTo([...dead, alive], 'retry: { attempts: 4 }');
  const replies: string[] = [];
  for (let i = 0; i < 8; i++) {
    const res = await request(junction.port, { headers: { host: 'app.test' } });
    replies.push(res.status === 200 ? (res.json() as EchoReply).backend : String(res.status));
  }
  expect(replies).toEqual(Array<string>(8).fill('alive'));
});

test.each([
  ['answers with bytes that are not HTTP', () => garbageBackend()],
  ['closes before sending a response head', () => closeBeforeHeadBackend()],
  [
    'closes in the middle of its response head',
    () => closeBeforeHeadBackend({ partialHead: 'HTTP/1.1 200 OK\r\nContent-Le' }),
  ],
] as const)('502 when the upstream %s', async (_case, start) => {
  const backend = await start();
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend]);
  const result = await rawRequest(junction.port, GET, { responses: 1 });
  expect(result.responses[0]).toMatchObject({ statusCode: 502, complete: true });
});

test('a request already sent upstream is not retried elsewhere when the upstream closes without answering', async () => {
  const silent = await closeBeforeHeadBackend();
  const alive = await echoBackend('alive');
  onTestFinished(() => silent.close());
  onTestFinished(() => alive.close());
  const junction = await proxyTo([silent, alive], 'retry: { attempts: 2 }');
  const statuses: number[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await request(junction.port, {
      method: 'POST',
      headers: { host: 'app.test' },
      body: 'once only',
    });
    statuses.push(res.status);
  }
  // Round robin sends one POST to each backend; the one the silent backend swallowed must not be replayed.
  expect(statuses.sort()).toEqual([200, 502]);
  expect(alive.requests).toHaveLength(1);
  expect(silent.connections).toBe(1);
});

test('504 when the upstream does not answer within backend_response', async () => {
  const backend = await neverAnswerBackend();
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend], '', 'timeouts: { backend_response: 300ms }');
  const started = Date.now();
  const result = await rawRequest(junction.port, GET, { responses: 1, timeoutMs: 5_000 });
  const elapsed = Date.now() - started;
  expect(result.responses[0]).toMatchObject({ statusCode: 504, complete: true });
  expect(elapsed).toBeGreaterThanOrEqual(250);
  expect(elapsed).toBeLessThan(3_000);
});

test('400 and a closed connection for a malformed request line; nothing is forwarded', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend]);
  const result = await rawRequest(junction.port, 'THIS IS NOT HTTP\r\n\r\n');
  expect(result.ended).toBe(true);
  expect(result.responses).toHaveLength(1);
  expect(result.responses[0]).toMatchObject({ statusCode: 400, complete: true });
  expect(result.responses[0]?.headers['connection']?.toLowerCase()).toBe('close');
  expect(backend.requestsStarted).toBe(0);
});

test('431 and a closed connection for a request head over max_head_size; nothing is forwarded', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend], '', 'limits: { max_head_size: 8KiB }');
  const oversized = `GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: ${'a'.repeat(12 * 1024)}\r\n\r\n`;
  const result = await rawRequest(junction.port, oversized);
  expect(result.ended).toBe(true);
  expect(result.responses[0]).toMatchObject({ statusCode: 431, complete: true });
  expect(result.responses[0]?.headers['connection']?.toLowerCase()).toBe('close');
  expect(backend.requestsStarted).toBe(0);
});

test('431 and a closed connection for more header fields than max_header_count', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend], '', 'limits: { max_header_count: 10 }');
  const fields = Array.from({ length: 20 }, (_, i) => `X-F${i}: ${i}\r\n`).join('');
  const result = await rawRequest(junction.port, `GET / HTTP/1.1\r\nHost: app.test\r\n${fields}\r\n`);
  expect(result.ended).toBe(true);
  expect(result.responses[0]).toMatchObject({ statusCode: 431, complete: true });
  expect(backend.requestsStarted).toBe(0);
});

test('414 and a closed connection for a request line over max_request_line', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend], '', 'limits: { max_request_line: 1KiB }');
  const result = await rawRequest(
    junction.port,
    `GET /${'p'.repeat(2048)} HTTP/1.1\r\nHost: app.test\r\n\r\n`,
  );
  expect(result.ended).toBe(true);
  expect(result.responses[0]).toMatchObject({ statusCode: 414, complete: true });
  expect(backend.requestsStarted).toBe(0);
});

test('400 and a closed connection for an HTTP/1.1 request without Host', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend]);
  const result = await rawRequest(junction.port, 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n');
  expect(result.ended).toBe(true);
  expect(result.responses[0]).toMatchObject({ statusCode: 400, complete: true });
  expect(backend.requestsStarted).toBe(0);
});

test('a client whose request head stalls is disconnected after client_head', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend], '', 'timeouts: { client_head: 300ms }');
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const started = Date.now();
  await client.write('GET / HTTP/1.1\r\nHost: app.te');
  expect(await client.waitForEnd(3_000)).toBe(true);
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  expect(backend.requestsStarted).toBe(0);
});

test('a head just under max_head_size is accepted', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend], '', 'limits: { max_head_size: 8KiB }');
  const head = `GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: ${'a'.repeat(7 * 1024)}\r\n\r\n`;
  const result = await rawRequest(junction.port, head, { responses: 1 });
  expect(result.responses[0]?.statusCode).toBe(200);
});

test('an upstream dying mid-body: the client gets the truncated body, then a close (not a hang)', async () => {
  const backend = await closeMidBodyBackend({ declaredBytes: 1000, sentBytes: 10 });
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend]);
  const result = await rawRequest(junction.port, GET, { timeoutMs: 5_000 });
  expect(result.ended).toBe(true);
  expect(result.timedOut).toBe(false);
  expect(result.responses).toHaveLength(1);
  const [response] = result.responses;
  expect(response?.statusCode).toBe(200);
  // Not re-framed as complete: the client can tell the body is short.
  expect(response?.complete).toBe(false);
  expect(response?.body.toString()).toBe('x'.repeat(10));
});

test('an upstream dying mid-chunked-body: no terminating chunk is invented, the client sees a close', async () => {
  const backend = await closeMidBodyBackend({ chunked: true, sentBytes: 10 });
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend]);
  const result = await rawRequest(junction.port, GET, { timeoutMs: 5_000 });
  expect(result.ended).toBe(true);
  expect(result.timedOut).toBe(false);
  expect(result.responses).toHaveLength(1);
  expect(result.responses[0]?.complete).toBe(false);
  expect(result.text).not.toMatch(/\r\n0\r\n\r\n$/);
});

test('after a 504 the late upstream response never reaches a later request', async () => {
  const backend = await lateFirstAnswerBackend(500);
  onTestFinished(() => backend.close());
  const junction = await proxyTo([backend], '', 'timeouts: { backend_response: 200ms }');
  const first = await rawRequest(junction.port, GET, { responses: 1 });
  expect(first.responses[0]?.statusCode).toBe(504);
  // Let the stale answer go out on whatever connection carried the first request.
  await waitFor(() => backend.lateAnswerSent, { what: 'the late answer to be sent' });
  const bodies: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await request(junction.port, { headers: { host: 'app.test' } });
    bodies.push(`${res.status} ${res.text}`);
  }
  expect(bodies).toEqual(['200 fresh-2', '200 fresh-3', '200 fresh-4']);
});
