/**
 * Timeouts of a transaction's two sides: a request body that stops arriving (timeouts.client_body), a
 * response body that stops arriving (timeouts.backend_body, apart from the wait for the head), a
 * connection's maximum lifetime (timeouts.max_session), and the zombie checker's counters.
 */
import type { Socket } from 'node:net';
import { expect, onTestFinished, test } from 'vitest';
import { echoBackend, rawBackend } from '../support/backends.ts';
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

/** Answers after `headDelayMs` with a head and half of a 10-byte body, then stalls for `stallMs`. */
async function stallingBodyBackend(headDelayMs: number, stallMs: number) {
  const backend = await rawBackend((socket: Socket) => {
    socket.once('data', () => {
      setTimeout(() => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Type: text/plain\r\n\r\n01234');
        setTimeout(() => socket.end('56789'), stallMs).unref();
      }, headDelayMs).unref();
    });
  });
  onTestFinished(() => backend.close());
  return backend;
}

test('a response body that stops arriving is cut after timeouts.backend_body, not backend_response', async () => {
  const backend = await stallingBodyBackend(0, 5_000);
  const junction = await proxyToBackend(backend, 'timeouts: { backend_response: 10s, backend_body: 200ms }');
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const started = Date.now();
  await client.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  expect(await client.waitForEnd(4_000)).toBe(true);
  expect(Date.now() - started).toBeLessThan(3_000);
  // The head and the first half went out; the cut connection tells the client the body is incomplete.
  const [partial] = client.pendingResponses();
  expect(partial?.statusCode).toBe(200);
  expect(partial?.complete).toBe(false);
  expect(junction.server.stats().deadlinesFired).toBeGreaterThanOrEqual(1);
});

test('the wait for the response head is timeouts.backend_response even when backend_body is shorter', async () => {
  const backend = await stallingBodyBackend(400, 50);
  const junction = await proxyToBackend(backend, 'timeouts: { backend_response: 5s, backend_body: 200ms }');
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const response = await client.exchange('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
  expect(response.statusCode).toBe(200);
  expect(response.body.toString()).toBe('0123456789');
});

test('a rule at read-response can lengthen timeout<backend-body> for one response', async () => {
  const backend = await stallingBodyBackend(0, 500);
  const junction = await proxyToBackend(
    backend,
    `timeouts: { backend_body: 200ms }
rules:
  - when: read-response
    do:
      - with: '{upstream-rsp-field<content-type>}'
        select:
          - prefix: text/
            do: [{ timeout<backend-body>: 5s }]`,
  );
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const response = await client.exchange('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 4_000 });
  expect(response.body.toString()).toBe('0123456789');
});
