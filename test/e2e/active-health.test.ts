import { Writable } from 'node:stream';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createLogger } from '../../src/log/index.ts';
import type { UpstreamStatus } from '../../src/server/index.ts';
import { closedPort, healthCheckedBackend, type HealthCheckedBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { backendList, startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { delay, waitFor } from '../support/wait-for.ts';

/** Checks every 100 ms; two failures take a backend out, two passes bring it back. */
const ACTIVE =
  'active: { path: /healthz, interval: 100ms, timeout: 80ms, unhealthy_threshold: 2, healthy_threshold: 2 }';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly component?: string;
  readonly cluster?: string;
  readonly upstream?: string;
  readonly reason?: string;
}

/** Junction with one catch-all route to cluster `c` over `backends`, logging into the returned array. */
async function checkedJunction(
  backends: readonly ({ readonly address: string } | number)[],
  health = `{ ${ACTIVE} }`,
): Promise<{ junction: RunningJunction; logs: LogLine[] }> {
  const logs: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') logs.push(JSON.parse(line) as LogLine);
      }
      callback();
    },
  });
  const junction = await startJunctionFromYaml(
    `
routes: [{ cluster: c }]
clusters:
  c: { backends: ${backendList(...backends)}, health: ${health} }
`,
    { logger: createLogger({ level: 'info', destination }) },
  );
  onTestFinished(() => junction.close());
  return { junction, logs };
}

async function started(name: string): Promise<HealthCheckedBackend> {
  const backend = await healthCheckedBackend(name);
  onTestFinished(() => backend.close());
  return backend;
}

function statusOf(junction: RunningJunction, address: string): UpstreamStatus {
  const status = junction.server.upstreams().find((u) => u.address === address);
  if (status === undefined) throw new Error(`no upstream ${address}`);
  return status;
}

/** Sends `n` requests one after another and returns their statuses. */
async function send(junction: RunningJunction, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await request(junction.port, { path: `/r${i}` })).status);
  return statuses;
}

describe('active health checks', () => {
  test('a backend whose check starts failing is marked down, gets no traffic, and comes back when it recovers', async () => {
    const a = await started('a');
    const b = await started('b');
    const { junction, logs } = await checkedJunction([a, b]);

    // Backends start up, and the first checks come soon after start.
    expect(statusOf(junction, b.address)).toMatchObject({ isUp: true, checked: true, activeUp: true });
    await waitFor(() => a.healthChecks > 0 && b.healthChecks > 0, { what: 'first checks', timeoutMs: 1000 });
    expect(await send(junction, 4)).toEqual([200, 200, 200, 200]);
    expect(b.trafficRequests).toBe(2);

    b.healthStatus = 500;
    const failingFrom = b.healthChecks;
    await waitFor(() => !statusOf(junction, b.address).isUp, { what: 'b marked down', timeoutMs: 2000 });
    // Not before unhealthy_threshold failing checks (checkFailures below). A check the backend received
    // just before its status changed may be answered with the new one, so its own count can lag by one.
    expect(b.healthChecks - failingFrom).toBeGreaterThanOrEqual(1);
    expect(statusOf(junction, b.address)).toMatchObject({
      isUp: false,
      activeUp: false,
      ejected: false,
      lastCheckStatus: 500,
      lastCheckError: undefined,
      checkSuccesses: 0,
    });
    expect(statusOf(junction, b.address).checkFailures).toBeGreaterThanOrEqual(2);
    const down = logs.find((l) => l.msg.includes('marked down'));
    expect(down).toMatchObject({ level: 40, component: 'health', cluster: 'c', reason: 'status 500' });
    expect(down?.upstream).toBe(b.address);

    const trafficBefore = b.trafficRequests;
    expect(await send(junction, 10)).toEqual(Array<number>(10).fill(200));
    expect(b.trafficRequests).toBe(trafficBefore);

    b.healthStatus = 200;
    await waitFor(() => statusOf(junction, b.address).isUp, { what: 'b marked up', timeoutMs: 2000 });
    expect(statusOf(junction, b.address)).toMatchObject({ activeUp: true, lastCheckStatus: 200 });
    expect(statusOf(junction, b.address).checkSuccesses).toBeGreaterThanOrEqual(2);
    expect(logs.find((l) => l.msg.includes('marked up'))).toMatchObject({ level: 30, upstream: b.address });
    await send(junction, 6);
    expect(b.trafficRequests).toBe(trafficBefore + 3);
  });

  test('a backend that refuses connections is marked down by its checks alone', async () => {
    const a = await started('a');
    const port = await closedPort();
    const dead = `127.0.0.1:${port}`;
    const { junction, logs } = await checkedJunction([a, port]);

    await waitFor(() => !statusOf(junction, dead).isUp, {
      what: 'the dead backend marked down',
      timeoutMs: 2000,
    });
    expect(statusOf(junction, dead)).toMatchObject({
      activeUp: false,
      ejected: false, // no request ever tried it: active checks took it out
      lastCheckStatus: 0,
      lastCheckError: 'JCT_ERR_CONNECT_REFUSED',
      requests: 0,
    });
    expect(logs.find((l) => l.msg.includes('marked down'))?.reason).toBe('JCT_ERR_CONNECT_REFUSED');
    expect(await send(junction, 6)).toEqual(Array<number>(6).fill(200));
    expect(statusOf(junction, dead).requests).toBe(0);
    expect(a.trafficRequests).toBe(6);
  });

  test('with panic mode off and every backend down the answer is 503, at once, and nothing connects to them', async () => {
    const a = await started('a');
    const b = await started('b');
    const { junction } = await checkedJunction([a, b], `{ ${ACTIVE}, panic_threshold: 0% }`);
    a.healthStatus = 503;
    b.healthStatus = 503;
    await waitFor(() => junction.server.upstreams().every((u) => !u.isUp), {
      what: 'both marked down',
      timeoutMs: 2000,
    });

    for (let i = 0; i < 5; i++) {
      const startedAt = performance.now();
      const res = await request(junction.port, { path: `/r${i}` });
      // Both backends would answer 200 to traffic: a 503 means none of it reached them.
      expect(res.status).toBe(503);
      expect(performance.now() - startedAt).toBeLessThan(250);
    }
    expect(a.trafficRequests + b.trafficRequests).toBe(0);
    // Every connection they accepted carried a health check (a check's request may still be on its way).
    await waitFor(() => a.connectionsWithoutHealthCheck === 0 && b.connectionsWithoutHealthCheck === 0, {
      what: 'only check connections',
      timeoutMs: 1000,
    });
    for (const u of junction.server.upstreams())
      expect(u).toMatchObject({ requests: 0, connectionsOpened: 0 });
  });

  test('a route works again as soon as one backend passes its checks', async () => {
    const a = await started('a');
    a.healthStatus = 500;
    const { junction } = await checkedJunction([a], `{ ${ACTIVE}, panic_threshold: 0% }`);
    await waitFor(() => !statusOf(junction, a.address).isUp, { what: 'a marked down', timeoutMs: 2000 });
    expect((await request(junction.port)).status).toBe(503);
    a.healthStatus = 200;
    await waitFor(() => statusOf(junction, a.address).isUp, { what: 'a marked up', timeoutMs: 2000 });
    expect((await request(junction.port)).status).toBe(200);
  });

  test('panic mode (the default threshold, 50%): with fewer than half the backends healthy, all of them get traffic', async () => {
    const a = await started('a');
    const b = await started('b');
    const c = await started('c');
    const { junction, logs } = await checkedJunction([a, b, c]);
    const panic = (): boolean | undefined => junction.server.clusters()[0]?.panic;
    await waitFor(() => a.healthChecks > 0 && b.healthChecks > 0 && c.healthChecks > 0, {
      what: 'first checks',
      timeoutMs: 1000,
    });

    // One of three down: two thirds are healthy, no panic; the down one gets nothing.
    c.healthStatus = 500;
    await waitFor(() => !statusOf(junction, c.address).isUp, { what: 'c marked down', timeoutMs: 2000 });
    expect(panic()).toBe(false);
    const cBefore = c.trafficRequests;
    expect(await send(junction, 6)).toEqual(Array<number>(6).fill(200));
    expect(c.trafficRequests).toBe(cBefore);

    // Two of three down: a third is healthy, under the threshold: traffic goes to all three again.
    b.healthStatus = 500;
    await waitFor(() => !statusOf(junction, b.address).isUp, { what: 'b marked down', timeoutMs: 2000 });
    expect(panic()).toBe(true);
    expect(logs.find((l) => l.msg.includes('panic mode'))).toMatchObject({ level: 40, cluster: 'c' });
    const before = [a.trafficRequests, b.trafficRequests, c.trafficRequests];
    expect(await send(junction, 9)).toEqual(Array<number>(9).fill(200));
    expect([a.trafficRequests, b.trafficRequests, c.trafficRequests].map((n, i) => n - before[i]!)).toEqual([
      3, 3, 3,
    ]);
    // The admin view still says which are healthy.
    expect(junction.server.clusters()[0]).toMatchObject({ backends: 3, backendsUp: 1, panic: true });

    // b recovers: two of three healthy, out of panic, c gets nothing again.
    b.healthStatus = 200;
    await waitFor(() => panic() === false, { what: 'out of panic', timeoutMs: 2000 });
    const cAfter = c.trafficRequests;
    expect(await send(junction, 6)).toEqual(Array<number>(6).fill(200));
    expect(c.trafficRequests).toBe(cAfter);
  });

  test('the expected statuses and the method are configurable', async () => {
    const a = await started('a');
    a.healthStatus = 404;
    const { junction } = await checkedJunction(
      [a],
      `{ active: { path: /healthz, method: HEAD, interval: 100ms, timeout: 80ms, unhealthy_threshold: 1, expect: [200, 404] } }`,
    );
    await waitFor(() => statusOf(junction, a.address).checks >= 2, { what: 'two checks', timeoutMs: 2000 });
    expect(statusOf(junction, a.address)).toMatchObject({ isUp: true, lastCheckStatus: 404 });
    expect(a.requests.filter((r) => r.url === '/healthz').every((r) => r.method === 'HEAD')).toBe(true);
    expect(a.requests[0]?.headers['user-agent']).toBe('junction-health-check');
    expect(a.requests[0]?.headers.connection).toBe('close');
    expect(a.requests[0]?.headers.host).toBe(a.address);
  });

  test('close() stops the checks', async () => {
    const a = await started('a');
    const { junction } = await checkedJunction([a]);
    await waitFor(() => a.healthChecks >= 2, { what: 'checks running', timeoutMs: 2000 });
    await junction.close();
    const after = a.healthChecks;
    await delay(350); // three intervals in which no check may come
    expect(a.healthChecks).toBe(after);
  });

  test('a cluster without active settings is reported unchecked', async () => {
    const a = await started('a');
    const { junction } = await checkedJunction([a], '{ passive: { consecutive_failures: 5 } }');
    await delay(150);
    expect(statusOf(junction, a.address)).toMatchObject({
      isUp: true,
      checked: false,
      activeUp: true,
      checks: 0,
      lastCheckStatus: 0,
    });
    expect(a.healthChecks).toBe(0);
  });
});
