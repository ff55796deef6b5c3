/**
 * The client-side timeouts issue 6 adds: a request body that stops arriving (timeouts.client_body),
 * a connection's maximum lifetime (timeouts.max_session), and the zombie checker's counters.
 */
import { expect, onTestFinished, test } from 'vitest';
import { echoBackend } from '../support/backends.ts';
import { RawClient } from '../support/clients.ts';
import { proxyToBackend } from '../support/start-junction.ts';
import { delay } from '../support/wait-for.ts';

test('a request body that stops arriving gets 408 after timeouts.client_body; the backend never completes it', async () => {
  const backend = await echoBackend('b');
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend, 'timeouts: { client_body: 200ms, backend_response: 10s }');
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const started = Date.now();
  await client.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789');
  const [response] = await client.readResponses(1, { timeoutMs: 5_000 });
  expect(response?.statusCode).toBe(408);
  // The client's time ran out, not the upstream's (backend_response is 10 s).
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(await client.waitForEnd(2_000)).toBe(true);
  expect(backend.requests).toHaveLength(0);
  const stats = junction.server.stats();
  expect(stats.deadlinesFired).toBeGreaterThanOrEqual(1);
  expect(stats.zombiesClosed).toBe(0);
});

test('past timeouts.max_session, the next response says Connection: close and the connection ends', async () => {
  const backend = await echoBackend('b');
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend, 'timeouts: { max_session: 300ms }');
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const first = await client.exchange('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n');
  expect(first.headers['connection']).toBeUndefined();
  await delay(400);
  const second = await client.exchange('GET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
  expect(second.statusCode).toBe(200);
  expect(second.headers['connection']).toBe('close');
  expect(await client.waitForEnd(2_000)).toBe(true);
});
