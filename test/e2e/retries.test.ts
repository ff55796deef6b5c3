/**
 * Retries, decided by the Router: which failures are tried again (reset, timeout, configured statuses),
 * which never are (a sent body, a response already started), and the limits on them (attempts, the
 * retry budget, backoff). Clusters use first-available so the first attempt always goes to the first
 * backend and a retry walks down the list, and passive health is off so no backend leaves rotation.
 */
import { expect, onTestFinished, test } from 'vitest';
import { capturedLogs } from '../support/logs.ts';
import {
  closedPort,
  echoBackend,
  neverAnswerBackend,
  rawBackend,
  type Backend,
  type EchoReply,
} from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { backendList, startJunctionFromYaml, type StartJunctionOptions } from '../support/start-junction.ts';

/** Junction routing everything to cluster `app` over `backends`, in order, with `retry` as given. */
async function proxyTo(
  backends: readonly ({ address: string } | number)[],
  retryYaml: string,
  extraYaml = '',
  options: StartJunctionOptions = {},
) {
  const junction = await startJunctionFromYaml(
    `
routes: [{ cluster: app }]
clusters:
  app:
    strategy: first-available
    health: { passive: { consecutive_failures: 0 } }
    retry: ${retryYaml}
    backends: ${backendList(...backends)}
${extraYaml}`,
    options,
  );
  onTestFinished(() => junction.close());
  return junction;
}

/** Reads each request head, then resets the connection (TCP RST) without one byte of response. */
async function resetAfterHeadBackend() {
  const requestLines: string[] = [];
  const backend = await rawBackend((socket) => {
    let seen = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const end = seen.indexOf('\r\n\r\n');
      if (end < 0) return;
      requestLines.push(seen.subarray(0, seen.indexOf('\r\n')).toString('latin1'));
      socket.resetAndDestroy();
    });
  }, 'reset-after-head');
  onTestFinished(() => backend.close());
  return { backend, requestLines };
}

/** An echo backend, closed when the test finishes. */
async function echo(name: string, status = 200) {
  const backend = await echoBackend(name, { status });
  onTestFinished(() => backend.close());
  return backend;
}

const DEBUG = 20;
const WARN = 40;

function upstreamCounters(junction: { server: { upstreams(): { address: string }[] } }, backend: Backend) {
  return junction.server.upstreams().find((u) => u.address === backend.address);
}

test('a GET the upstream resets before answering is retried on another backend with on: [reset]', async () => {
  const { backend: resetting, requestLines } = await resetAfterHeadBackend();
  const healthy = await echo('healthy');
  const junction = await proxyTo(
    [resetting, healthy],
    '{ attempts: 3, on: [reset], backoff: { base: 0ms } }',
  );
  const res = await request(junction.port, { path: '/a' });
  expect(res.status).toBe(200);
  expect((res.json() as EchoReply).backend).toBe('healthy');
  expect(requestLines).toEqual(['GET /a HTTP/1.1']);
  expect(healthy.requests.map((r) => r.url)).toEqual(['/a']);
  // Both attempts' outcomes reached the Router: the reset counts against the backend that reset.
  expect(upstreamCounters(junction, resetting)).toMatchObject({ requests: 1, failures: 1 });
  expect(upstreamCounters(junction, healthy)).toMatchObject({ requests: 1, failures: 0 });
});

test('without reset in retry.on, a reset reaches the client as 502 and no other backend is asked', async () => {
  const { backend: resetting, requestLines } = await resetAfterHeadBackend();
  const healthy = await echo('healthy');
  const junction = await proxyTo([resetting, healthy], '{ attempts: 3, on: [], backoff: { base: 0ms } }');
  const res = await request(junction.port);
  expect(res.status).toBe(502);
  expect(requestLines).toHaveLength(1);
  expect(healthy.requests).toHaveLength(0);
});

test('a 503 is discarded and retried on another backend with on: [503]', async () => {
  const busy = await echo('busy', 503);
  const healthy = await echo('healthy');
  const junction = await proxyTo([busy, healthy], '{ attempts: 3, on: [503], backoff: { base: 0ms } }');
  const res = await request(junction.port);
  expect(res.status).toBe(200);
  expect((res.json() as EchoReply).backend).toBe('healthy');
  expect(busy.requests).toHaveLength(1);
  // A status is the attempt's answer, not a failure: it never counts towards ejection.
  expect(upstreamCounters(junction, busy)).toMatchObject({ requests: 1, failures: 0 });
});

test('when every attempt answers 503, the last one is forwarded as sent; each retry is logged, the failure warned', async () => {
  const first = await echo('busy-1', 503);
  const second = await echo('busy-2', 503);
  const { logger, lines } = capturedLogs();
  const junction = await proxyTo([first, second], '{ attempts: 3, on: [5xx], backoff: { base: 0ms } }', '', {
    logger,
  });
  const res = await request(junction.port);
  expect(res.status).toBe(503);
  // The backend's own response, not one Junction made: the third attempt went round to busy-1 again.
  expect((res.json() as EchoReply).backend).toBe('busy-1');
  expect([first.requests.length, second.requests.length]).toEqual([2, 1]);

  const retries = lines.filter((l) => l.level === DEBUG && l['component'] === 'router' && 'reason' in l);
  expect(retries.map((l) => [l['cluster'], l['upstream'], l['reason'], l['attempt']])).toEqual([
    ['app', first.address, 'status', 2],
    ['app', second.address, 'status', 3],
  ]);
  const warnings = lines.filter((l) => l.level === WARN && l['component'] === 'router');
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ cluster: 'app', attempts: 3, status: 503 });
});

test('a GET is never sent to more than `attempts` backends', async () => {
  const resetters = [
    await resetAfterHeadBackend(),
    await resetAfterHeadBackend(),
    await resetAfterHeadBackend(),
  ];
  const healthy = await echo('healthy');
  const junction = await proxyTo(
    [...resetters.map((r) => r.backend), healthy],
    '{ attempts: 2, on: [reset], backoff: { base: 0ms } }',
  );
  const res = await request(junction.port);
  expect(res.status).toBe(502);
  expect(resetters.map((r) => r.requestLines.length)).toEqual([1, 1, 0]);
  expect(healthy.requests).toHaveLength(0);
});

test('an upstream that does not answer within backend_response is retried elsewhere with on: [timeout]', async () => {
  const silent = await neverAnswerBackend();
  onTestFinished(() => silent.close());
  const healthy = await echo('healthy');
  const junction = await proxyTo(
    [silent, healthy],
    '{ attempts: 2, on: [timeout], backoff: { base: 0ms } }',
    'timeouts: { backend_response: 300ms }',
  );
  const started = Date.now();
  const res = await request(junction.port);
  const elapsed = Date.now() - started;
  expect(res.status).toBe(200);
  expect((res.json() as EchoReply).backend).toBe('healthy');
  expect(silent.connections).toBe(1);
  // The answer came after the first attempt timed out, not before.
  expect(elapsed).toBeGreaterThanOrEqual(250);
  expect(elapsed).toBeLessThan(3_000);
  expect(upstreamCounters(junction, silent)).toMatchObject({ requests: 1, failures: 1 });
});

test('without timeout in retry.on, a silent upstream still gets its 504', async () => {
  const silent = await neverAnswerBackend();
  onTestFinished(() => silent.close());
  const healthy = await echo('healthy');
  const junction = await proxyTo(
    [silent, healthy],
    '{ attempts: 2, on: [reset], backoff: { base: 0ms } }',
    'timeouts: { backend_response: 300ms }',
  );
  const res = await request(junction.port);
  expect(res.status).toBe(504);
  expect(healthy.requests).toHaveLength(0);
});

test('a POST whose body was sent is never retried, whatever retry.on says', async () => {
  const { backend: resetting, requestLines } = await resetAfterHeadBackend();
  const healthy = await echo('healthy');
  const junction = await proxyTo(
    [resetting, healthy],
    '{ attempts: 3, on: [reset, timeout, 5xx], backoff: { base: 0ms } }',
  );
  const res = await request(junction.port, { method: 'POST', path: '/upload', body: 'pay once' });
  expect(res.status).toBe(502);
  expect(requestLines).toEqual(['POST /upload HTTP/1.1']);
  expect(healthy.requests).toHaveLength(0);
});

test('a PUT with a small body that arrived whole is retried with the same body', async () => {
  const { backend: resetting, requestLines } = await resetAfterHeadBackend();
  const healthy = await echo('healthy');
  const junction = await proxyTo(
    [resetting, healthy],
    '{ attempts: 2, on: [reset], backoff: { base: 0ms } }',
  );
  const body = 'x'.repeat(4096);
  const res = await request(junction.port, { method: 'PUT', path: '/doc', body });
  expect(res.status).toBe(200);
  expect(requestLines).toEqual(['PUT /doc HTTP/1.1']);
  expect(healthy.requests).toHaveLength(1);
  expect(healthy.requests[0]).toMatchObject({ method: 'PUT', url: '/doc', bodyText: body });
});

test('a PUT with a body over 16 KiB is sent once: not kept, never retried', async () => {
  const { backend: resetting, requestLines } = await resetAfterHeadBackend();
  const healthy = await echo('healthy');
  const junction = await proxyTo(
    [resetting, healthy],
    '{ attempts: 2, on: [reset], backoff: { base: 0ms } }',
  );
  const res = await request(junction.port, { method: 'PUT', path: '/big', body: 'y'.repeat(20 * 1024) });
  expect(res.status).toBe(502);
  expect(requestLines).toEqual(['PUT /big HTTP/1.1']);
  expect(healthy.requests).toHaveLength(0);
});

test('a stale pooled connection is replayed once on a fresh one, even with no retries configured and no budget', async () => {
  // Answers the first request of each connection, then closes when a second one arrives on it: the
  // race of an upstream closing an idle keep-alive connection just as Junction reuses it.
  let answered = 0;
  const backend = await rawBackend((socket) => {
    let pending = Buffer.alloc(0);
    let requestsOnConnection = 0;
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        pending = pending.subarray(end + 4);
        if (++requestsOnConnection > 1) {
          socket.destroy();
          return;
        }
        answered++;
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
  }, 'closes-on-reuse');
  onTestFinished(() => backend.close());
  const junction = await proxyTo(
    [backend],
    '{ attempts: 1, on: [], budget: { share: 0%, min_per_second: 0 }, backoff: { base: 0ms } }',
  );
  expect((await request(junction.port)).status).toBe(200);
  const res = await request(junction.port);
  expect(res.status).toBe(200);
  expect(res.text).toBe('ok');
  expect(backend.connections).toBe(2);
  expect(answered).toBe(2);
});

test('backoff: retried requests wait a jittered delay, never past backoff.max', async () => {
  const { backend: resetting, requestLines } = await resetAfterHeadBackend();
  const healthy = await echo('healthy');
  const junction = await proxyTo(
    [resetting, healthy],
    '{ attempts: 2, on: [reset], backoff: { base: 100ms, max: 100ms } }',
  );
  const durations: number[] = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    expect((await request(junction.port)).status).toBe(200);
    durations.push(performance.now() - started);
  }
  expect(requestLines).toHaveLength(10);
  // Each wait is uniform in [0, 100 ms): ten of them add up to under 100 ms with probability 1/10!
  // (about 3e-7), while without backoff ten local retries take a few milliseconds in all.
  expect(durations.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(100);
  for (const duration of durations) expect(duration).toBeLessThan(100 + 400);
});

test('budget: with a share of 0% and no minimum, a reset is not retried; the refusal is logged', async () => {
  const { backend: resetting, requestLines } = await resetAfterHeadBackend();
  const healthy = await echo('healthy');
  const { logger, lines } = capturedLogs();
  const junction = await proxyTo(
    [resetting, healthy],
    '{ attempts: 5, on: [reset], budget: { share: 0%, min_per_second: 0 }, backoff: { base: 0ms } }',
    '',
    { logger },
  );
  const res = await request(junction.port);
  expect(res.status).toBe(502);
  expect(requestLines).toHaveLength(1);
  expect(healthy.requests).toHaveLength(0);
  expect(lines.some((l) => l.level === DEBUG && l.msg.includes('retry budget is spent'))).toBe(true);
});

test('budget: a request’s first retry after a failed connect is free, later ones are budgeted', async () => {
  const healthy = await echo('healthy');
  const zeroBudget = '{ attempts: 3, budget: { share: 0%, min_per_second: 0 }, backoff: { base: 0ms } }';
  const oneDead = await proxyTo([await closedPort(), healthy], zeroBudget);
  expect((await request(oneDead.port)).status).toBe(200);
  expect(healthy.requests).toHaveLength(1);

  const twoDead = await proxyTo([await closedPort(), await closedPort(), healthy], zeroBudget);
  expect((await request(twoDead.port)).status).toBe(503);
  expect(healthy.requests).toHaveLength(1);
});
