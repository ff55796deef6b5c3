/**
 * Graceful shutdown: close() stops accepting at once, lets in-flight transactions finish within the grace
 * period, closes idle connections, and resolves; past the grace period it cuts what is left.
 */
import { connect } from 'node:net';
import { expect, onTestFinished, test } from 'vitest';
import { neverAnswerBackend, slowHeadBackend } from '../support/backends.ts';
import { rawRequest, RawClient, request } from '../support/clients.ts';
import { proxyToBackend } from '../support/start-junction.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';

/** Resolves with the error code of a connection attempt, or `connected`. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, 2_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? error.message);
    });
  });
}

test('close() lets an in-flight request finish with 200, refuses new connections, then resolves', async () => {
  const backend = await slowHeadBackend(600);
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const events: string[] = [];
  const inFlight = request(junction.port, { path: '/slow' }).then((res) => {
    events.push('responded');
    return res;
  });
  await waitFor(() => backend.requestsStarted === 1, { what: 'the slow request to reach the backend' });
  const closing = junction.close(5_000).then(() => {
    events.push('closed');
  });
  expect(await waitFor(async () => (await tryConnect(junction.port)) === 'ECONNREFUSED')).toBe(true);
  const res = await inFlight;
  expect(res.status).toBe(200);
  expect(res.bodyLength).toBeGreaterThan(0);
  await withTimeout(closing, 3_000, 'close() after the in-flight request finished');
  expect(events).toEqual(['responded', 'closed']);
});

test('close() closes idle keep-alive client connections and resolves well before the grace period', async () => {
  const backend = await slowHeadBackend(0, 'quick');
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  await client.exchange('GET / HTTP/1.1\r\nHost: s.test\r\n\r\n');
  const started = Date.now();
  await withTimeout(junction.close(10_000), 3_000, 'close() with only idle connections');
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(await client.waitForEnd(1_000)).toBe(true);
});

test('past the grace period close() cuts the connection of a request still waiting, and resolves', async () => {
  const backend = await neverAnswerBackend();
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const pending = rawRequest(junction.port, 'GET / HTTP/1.1\r\nHost: s.test\r\n\r\n', { timeoutMs: 5_000 });
  await waitFor(() => backend.connections === 1, { what: 'the request to reach the backend' });
  const started = Date.now();
  await withTimeout(junction.close(300), 3_000, 'close(300) with a request that never completes');
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  const result = await pending;
  expect(result.ended).toBe(true);
  expect(result.timedOut).toBe(false);
});
