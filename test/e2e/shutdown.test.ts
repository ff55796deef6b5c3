/**
 * Graceful shutdown: close() stops accepting at once, lets in-flight transactions finish within the grace
 * period, closes idle connections, and resolves; past the grace period it cuts what is left, and the
 * log says how much was in flight, how much finished in time and how much was cut.
 */
import { connect } from 'node:net';
import { expect, onTestFinished, test } from 'vitest';
import { neverAnswerBackend, rawBackend, slowHeadBackend } from '../support/backends.ts';
import { rawRequest, RawClient, request } from '../support/clients.ts';
import { capturedLogs } from '../support/logs.ts';
import { backendList, proxyToBackend, startJunctionFromYaml } from '../support/start-junction.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';
import { closed, openWebSocket, wsBackend } from '../support/websocket.ts';

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

test('the log says what was in flight at shutdown, what finished within the grace period, and what it cut', async () => {
  // Slow enough to be still under way when close() comes, quick enough to finish within its grace.
  const slow = await slowHeadBackend(1_500);
  const quick = await slowHeadBackend(0, 'quick');
  const stall = await neverAnswerBackend();
  const ws = await wsBackend('ws');
  for (const backend of [slow, quick, stall, ws]) onTestFinished(() => backend.close());
  const { logger, lines } = capturedLogs('info');
  const junction = await startJunctionFromYaml(
    `
routes:
  - { match: { path: /slow }, cluster: slow }
  - { match: { path: /quick }, cluster: quick }
  - { match: { path: /ws }, cluster: ws }
  - { match: { path: / }, cluster: stall }
clusters:
  slow: { backends: ${backendList(slow)} }
  quick: { backends: ${backendList(quick)} }
  ws: { backends: ${backendList(ws)} }
  stall: { backends: ${backendList(stall)} }
`,
    { logger },
  );
  onTestFinished(() => junction.close());

  // An idle keep-alive connection, which is not in flight; then in flight: one request that finishes
  // during the grace period, two that never get an answer, and one WebSocket.
  const idle = await RawClient.connect(junction.port);
  onTestFinished(() => idle.close());
  await idle.exchange('GET /quick HTTP/1.1\r\nHost: s.test\r\n\r\n');
  const finishing = request(junction.port, { path: '/slow' });
  const stalled = [1, 2].map(() =>
    rawRequest(junction.port, 'GET /stall HTTP/1.1\r\nHost: s.test\r\n\r\n', { timeoutMs: 10_000 }),
  );
  const socket = await openWebSocket(`ws://127.0.0.1:${junction.port}/ws`);
  onTestFinished(() => {
    socket.terminate();
  });
  await waitFor(() => stall.connections === 2 && slow.requestsStarted === 1, {
    what: 'the requests to reach their backends',
  });

  await withTimeout(junction.close(3_000), 6_000, 'close(3000)');
  expect((await finishing).status).toBe(200);
  for (const result of await Promise.all(stalled)) expect(result.ended).toBe(true);
  await closed(socket);

  expect(lines.find((line) => line.msg.startsWith('shutdown: '))).toMatchObject({
    level: 30,
    graceMs: 3000,
    inFlightRequests: 3,
    inFlightTunnels: 1,
    msg: 'shutdown: 3 requests and 1 tunnel in flight; waiting up to 3000 ms for them (shutdown_grace)',
  });
  expect(lines.find((line) => line.msg.startsWith('shutdown_grace'))).toMatchObject({
    level: 40,
    graceMs: 3000,
    inFlight: 4,
    finished: 1,
    cut: 3,
    cutRequests: 2,
    cutTunnels: 1,
    msg: 'shutdown_grace (3000 ms) ended: cut 2 requests and 1 tunnel still in flight; 1 of 4 finished in time',
  });
  expect(lines.find((line) => line.msg === 'stopped')).toMatchObject({ cutRequests: 2, cutTunnels: 1 });
});

test('when everything in flight finishes within the grace period, the log says so and nothing was cut', async () => {
  const slow = await slowHeadBackend(200);
  onTestFinished(() => slow.close());
  const { logger, lines } = capturedLogs('info');
  const junction = await startJunctionFromYaml(
    `routes: [{ cluster: app }]\nclusters:\n  app: { backends: ${backendList(slow)} }\n`,
    { logger },
  );
  onTestFinished(() => junction.close());
  const responses = [1, 2].map(() => request(junction.port, { path: '/slow' }));
  await waitFor(() => slow.requestsStarted === 2, { what: 'both requests to reach the backend' });
  await withTimeout(junction.close(5_000), 5_000, 'close(5000)');
  for (const res of await Promise.all(responses)) expect(res.status).toBe(200);
  expect(lines.some((line) => line.msg.startsWith('shutdown_grace'))).toBe(false);
  expect(lines.find((line) => line.msg.startsWith('shutdown: all'))).toMatchObject({
    level: 30,
    inFlight: 2,
    finished: 2,
    cut: 0,
    msg: 'shutdown: all 2 in flight finished within shutdown_grace',
  });
  expect(lines.find((line) => line.msg === 'stopped')).toMatchObject({ cutRequests: 0, cutTunnels: 0 });
});

test('an open relay on a TCP listener counts as a tunnel in flight, and is cut when the grace period ends', async () => {
  const backend = await rawBackend((socket) => {
    socket.write('hello\n');
  }, 'greeter');
  onTestFinished(() => backend.close());
  const { logger, lines } = capturedLogs('info');
  const junction = await startJunctionFromYaml(
    `listeners:\n  - { address: 127.0.0.1, port: 0, protocol: tcp, cluster: db }\nclusters:\n  db: { backends: ${backendList(backend)} }\n`,
    { logger },
  );
  onTestFinished(() => junction.close());
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  await client.readUntil((bytes) => bytes.includes('hello\n'));
  await withTimeout(junction.close(200), 3_000, 'close(200)');
  expect(await client.waitForEnd(1_000)).toBe(true);
  expect(lines.find((line) => line.msg.startsWith('shutdown_grace'))).toMatchObject({
    inFlight: 1,
    finished: 0,
    cutRequests: 0,
    cutTunnels: 1,
  });
});
