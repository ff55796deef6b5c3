import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { parseConfigText } from '../config/index.ts';
import { UpstreamPool, type ConnectHandler, type UpstreamConnection } from '../connector/index.ts';
import { ConnectError, type JunctionError } from '../errors/index.ts';
import { createLogger, type Logger } from '../log/index.ts';
import { BUILTIN_STRATEGIES, type SelectionInput } from '../strategies/index.ts';
import type { ClusterRuntime } from './cluster-runtime.ts';
import { Router, type RouterConnector, type RouterLease } from './router.ts';
import type { AcquireHandler, UpstreamChannel } from './types.ts';

/** Stands in for the Connector: connects only when the test says how each attempt ends. */
class FakeConnector implements RouterConnector {
  readonly connects: { pool: UpstreamPool; handler: ConnectHandler }[] = [];
  readonly released: { conn: UpstreamConnection; reusable: boolean }[] = [];
  /** Idle connections reuse() hands out, by pool. */
  readonly idle = new Map<UpstreamPool, UpstreamConnection[]>();
  #nextId = 0;

  pool(host: string, port: number): UpstreamPool {
    return new UpstreamPool(host, port, { maxIdle: 1, idleTimeoutMs: 1_000 });
  }
  reuse(pool: UpstreamPool): UpstreamConnection | undefined {
    return this.idle.get(pool)?.shift();
  }
  connect(pool: UpstreamPool, _timeoutMs: number, handler: ConnectHandler): void {
    this.connects.push({ pool, handler });
  }
  release(conn: UpstreamConnection, reusable: boolean): void {
    this.released.push({ conn, reusable });
  }

  /** A stand-in connection: the Router only passes it along. */
  connection(reuseCount = 0): UpstreamConnection {
    return { id: ++this.#nextId, reuseCount } as unknown as UpstreamConnection;
  }
  /** The port each connect was made to, in order. */
  get connectedPorts(): number[] {
    return this.connects.map((c) => c.pool.port);
  }
  /** Completes the latest connect attempt. */
  succeed(): UpstreamConnection {
    const conn = this.connection();
    this.connects.at(-1)!.handler.onConnected(conn);
    return conn;
  }
  fail(): void {
    const attempt = this.connects.at(-1)!;
    attempt.handler.onConnectFailed(
      new ConnectError('JCT_ERR_CONNECT_REFUSED', attempt.pool.upstreamId, 'refused'),
    );
  }
}

class RecordingHandler implements AcquireHandler {
  readonly ready: UpstreamChannel[] = [];
  readonly failed: JunctionError[] = [];
  onUpstreamReady(channel: UpstreamChannel): void {
    this.ready.push(channel);
  }
  onAcquireFailed(error: JunctionError): void {
    this.failed.push(error);
  }
}

const input: SelectionInput = {
  method: 'GET',
  host: 'app.test',
  path: '/',
  header: () => undefined,
  clientAddress: '127.0.0.1',
};

let now = 0;
let connector: FakeConnector;

function setup(retryYaml: string, options: { random?: () => number; backends?: number; log?: Logger } = {}) {
  const ports = Array.from({ length: options.backends ?? 3 }, (_, i) => 4001 + i);
  const config = parseConfigText(
    `
listeners: [{ port: 0 }]
routes: [{ cluster: app }]
clusters:
  app:
    strategy: first-available
    health: { passive: { consecutive_failures: 0 } }
    retry: ${retryYaml}
    backends: ${JSON.stringify(ports.map((p) => `127.0.0.1:${p}`))}
`,
    '<router.test>',
  );
  connector = new FakeConnector();
  const router = new Router(connector, BUILTIN_STRATEGIES, {
    clock: { now: () => now },
    random: options.random ?? ((): number => 0.5),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const clusterConfig = config.clusters.get('app')!;
  const cluster: ClusterRuntime = router.buildCluster(clusterConfig);
  const handler = new RecordingHandler();
  const acquire = (): RouterLease => router.acquire(cluster, input, 1_000, handler);
  return { router, cluster, handler, acquire };
}

beforeEach(() => {
  now = 0;
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Router retries', () => {
  test('waits the jittered backoff from the injected random, then connects to the next upstream', () => {
    const { router, handler, acquire } = setup(
      '{ attempts: 3, on: [reset], backoff: { base: 100ms, max: 1s } }',
    );
    const lease = acquire();
    const first = connector.succeed();
    expect(handler.ready).toHaveLength(1);

    expect(router.retry(lease, 'reset')).toBe(true);
    expect(connector.released).toEqual([{ conn: first, reusable: false }]);
    // First retry: 0.5 × min(1000, 100 × 2^0) = 50 ms.
    vi.advanceTimersByTime(49);
    expect(connector.connectedPorts).toEqual([4001]);
    vi.advanceTimersByTime(1);
    expect(connector.connectedPorts).toEqual([4001, 4002]);

    connector.succeed();
    expect(router.retry(lease, 'reset')).toBe(true);
    // Second retry: 0.5 × 200 ms.
    vi.advanceTimersByTime(99);
    expect(connector.connectedPorts).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(connector.connectedPorts).toEqual([4001, 4002, 4003]);
    expect(lease.attempts).toBe(3);
  });

  test('with a base of 0 the next attempt starts at once, with no timer', () => {
    const { router, acquire } = setup('{ attempts: 2, on: [reset], backoff: { base: 0ms } }');
    const lease = acquire();
    connector.succeed();
    expect(router.retry(lease, 'reset')).toBe(true);
    expect(connector.connectedPorts).toEqual([4001, 4002]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('a draw that rounds to 0 ms also retries at once', () => {
    const { router, acquire } = setup('{ attempts: 2, on: [reset], backoff: { base: 100ms } }', {
      random: () => 0.001,
    });
    const lease = acquire();
    connector.succeed();
    expect(router.retry(lease, 'reset')).toBe(true);
    expect(connector.connectedPorts).toEqual([4001, 4002]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('a lease abandoned during its backoff clears the timer and never connects', () => {
    const { router, handler, acquire } = setup(
      '{ attempts: 3, on: [reset], backoff: { base: 1s, max: 1s } }',
    );
    const lease = acquire();
    connector.succeed();
    expect(router.retry(lease, 'reset')).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    router.abandon(lease);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect(connector.connectedPorts).toEqual([4001]);
    expect(handler.ready).toHaveLength(1);
    expect(handler.failed).toHaveLength(0);
  });

  test('refuses once attempts are used up, and the lease keeps its connection', () => {
    const { router, acquire } = setup('{ attempts: 2, on: [reset, 503], backoff: { base: 0ms } }');
    const lease = acquire();
    connector.succeed();
    expect(router.retry(lease, 'status', 503)).toBe(true);
    const second = connector.succeed();
    expect(router.retry(lease, 'status', 503)).toBe(false);
    expect(router.retry(lease, 'reset')).toBe(false);
    expect(lease.connection).toBe(second);
    expect(connector.released).toHaveLength(1);
  });

  test('only the conditions in retry.on are retried', () => {
    const { router, acquire } = setup('{ attempts: 3, on: [502], backoff: { base: 0ms } }');
    const lease = acquire();
    connector.succeed();
    expect(router.retry(lease, 'reset')).toBe(false);
    expect(router.retry(lease, 'timeout')).toBe(false);
    expect(router.retry(lease, 'status', 503)).toBe(false);
    expect(router.retry(lease, 'status', 502)).toBe(true);
  });

  test('a refusal by the budget is counted on the cluster', () => {
    const { router, cluster, acquire } = setup(
      '{ attempts: 5, on: [reset], budget: { share: 0%, min_per_second: 0 }, backoff: { base: 0ms } }',
    );
    const lease = acquire();
    connector.succeed();
    expect(router.retry(lease, 'reset')).toBe(false);
    expect(cluster.retryBudget).toMatchObject({ requests: 1, retries: 0, retriesRefused: 1 });
    expect(lease.connection).toBeDefined();
  });

  test('the budget earns retries from requests: 50% of 2 requests is one retry', () => {
    const { router, cluster, acquire } = setup(
      '{ attempts: 5, on: [reset], budget: { share: 50%, min_per_second: 0 }, backoff: { base: 0ms } }',
    );
    const a = acquire();
    connector.succeed();
    const b = acquire();
    connector.succeed();
    expect(router.retry(a, 'reset')).toBe(true);
    connector.succeed();
    expect(router.retry(b, 'reset')).toBe(false);
    expect(cluster.retryBudget).toMatchObject({ requests: 2, retries: 1, retriesRefused: 1 });
  });

  test('a stale pooled connection is replayed once on a fresh connection, spending neither attempts nor budget', () => {
    const { router, cluster, acquire } = setup(
      '{ attempts: 1, on: [], budget: { share: 0%, min_per_second: 0 }, backoff: { base: 1s } }',
    );
    const pooled = connector.connection(3);
    connector.idle.set(cluster.upstreams[0]!.pool, [pooled, connector.connection(2)]);
    const lease = acquire();
    expect(lease.connection).toBe(pooled);
    expect(router.retry(lease, 'stale')).toBe(true);
    // At once, and not from the pool, which may hold more connections the upstream closed.
    expect(connector.connectedPorts).toEqual([4001]);
    expect(vi.getTimerCount()).toBe(0);
    connector.succeed();
    expect(lease.attempts).toBe(1);
    expect(cluster.retryBudget.retriesRefused).toBe(0);
    // A second stale connection in the same request is an ordinary reset: not in retry.on here.
    expect(router.retry(lease, 'stale')).toBe(false);
  });

  test('every retried attempt reaches passive health; a retried status is not a failure', () => {
    const { router, cluster, acquire } = setup('{ attempts: 3, on: [reset, 503], backoff: { base: 0ms } }');
    const lease = acquire();
    connector.succeed();
    router.retry(lease, 'status', 503);
    connector.succeed();
    router.retry(lease, 'reset');
    connector.succeed();
    router.release(lease, true, { status: 200, errorCode: undefined, durationMs: 1 });
    const [a, b, c] = cluster.upstreams;
    expect([a!.requests, a!.failures]).toEqual([1, 0]);
    expect([b!.requests, b!.failures]).toEqual([1, 1]);
    expect([c!.requests, c!.failures]).toEqual([1, 0]);
    expect([a!.inFlight, b!.inFlight, c!.inFlight]).toEqual([0, 0, 0]);
  });

  test("a request's first retry after a failed connect is free of the budget; the next is not", () => {
    const { handler, acquire } = setup(
      '{ attempts: 3, budget: { share: 0%, min_per_second: 0 }, backoff: { base: 0ms } }',
    );
    acquire();
    connector.fail();
    expect(connector.connectedPorts).toEqual([4001, 4002]);
    connector.fail();
    expect(connector.connectedPorts).toEqual([4001, 4002]);
    expect(handler.failed).toHaveLength(1);
    expect(handler.failed[0]!.code).toBe('JCT_ERR_NO_UPSTREAM');
    expect(handler.failed[0]!.message).toMatch(/retry budget is spent/);
  });

  test('connect failures also back off, and stop after attempts with one warning', () => {
    const warnings: string[] = [];
    const log = createLogger({
      level: 'warn',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          warnings.push(chunk.toString('utf8'));
          done();
        },
      }),
    });
    const { handler, acquire } = setup('{ attempts: 2, backoff: { base: 100ms } }', { log });
    acquire();
    connector.fail();
    expect(connector.connectedPorts).toEqual([4001]);
    vi.advanceTimersByTime(50);
    expect(connector.connectedPorts).toEqual([4001, 4002]);
    connector.fail();
    expect(handler.failed[0]!.message).toMatch(/after 2 attempts/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/failed after 2 attempts \(last: JCT_ERR_CONNECT_REFUSED/);
  });
});

/** A cluster of `backends` upstreams (ports 4001…) with the given strategy, health and retry YAML. */
function healthSetup(
  options: { backends?: number; strategy?: string; health?: string; retry?: string; log?: Logger } = {},
) {
  const ports = Array.from({ length: options.backends ?? 3 }, (_, i) => 4001 + i);
  const config = parseConfigText(
    `
listeners: [{ port: 0 }]
routes: [{ cluster: app }]
clusters:
  app:
    strategy: ${options.strategy ?? 'first-available'}
    health: ${options.health ?? '{}'}
    retry: ${options.retry ?? '{ attempts: 3, backoff: { base: 0ms } }'}
    backends: ${JSON.stringify(ports.map((p) => `127.0.0.1:${p}`))}
`,
    '<router.test>',
  );
  connector = new FakeConnector();
  const router = new Router(connector, BUILTIN_STRATEGIES, {
    clock: { now: () => now },
    random: (): number => 0.5,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const cluster = router.buildCluster(config.clusters.get('app')!);
  const handler = new RecordingHandler();
  const acquire = (): RouterLease => router.acquire(cluster, input, 1_000, handler);
  return { router, cluster, handler, acquire, upstreams: cluster.upstreams };
}

function logLines(level: 'info' | 'warn' = 'info'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({
    level,
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  return { log, lines };
}

const reset = { status: 0, errorCode: 'JCT_ERR_UPSTREAM_RESET', durationMs: 1 };
const answered = { status: 200, errorCode: undefined, durationMs: 1 };

describe('Router: what a request charges passive health with', () => {
  test("a request's failed attempts on one upstream count once against it, connects and resets alike", () => {
    const { router, acquire, upstreams } = healthSetup({ backends: 1 });
    const [only] = upstreams;
    // Three connect failures of one request.
    acquire();
    connector.fail();
    connector.fail();
    connector.fail();
    expect([only!.failures, only!.consecutiveFailures]).toEqual([3, 1]);
    // Three resets of the next request (the Router goes round to the only upstream again).
    const lease = acquire();
    connector.succeed();
    expect(router.retry(lease, 'reset')).toBe(true);
    connector.succeed();
    expect(router.retry(lease, 'reset')).toBe(true);
    connector.succeed();
    router.release(lease, false, reset);
    expect([only!.failures, only!.consecutiveFailures]).toEqual([6, 2]);
    expect(only!.passiveDown).toBe(false);
  });

  test('a request that failed the same way on every upstream it reached charges none of them', () => {
    const { log, lines } = logLines();
    const { router, acquire, upstreams } = healthSetup({
      health: '{ passive: { consecutive_failures: 2 } }',
      log,
    });
    for (let i = 0; i < 5; i++) {
      const lease = acquire();
      connector.succeed();
      router.retry(lease, 'reset');
      connector.succeed();
      router.retry(lease, 'reset');
      connector.succeed();
      router.release(lease, false, reset);
    }
    for (const u of upstreams) {
      expect(u).toMatchObject({ failures: 5, consecutiveFailures: 0, passiveDown: false });
    }
    expect(lines.filter((l) => l.includes('failed the same way on 3 backends'))).toHaveLength(5);
  });

  test('an attempt that never reached its upstream does not stop a request from being the poison', () => {
    const { router, acquire, upstreams } = healthSetup();
    const [a, b, c] = upstreams;
    const lease = acquire();
    connector.fail(); // a refused: charged at once
    connector.succeed();
    router.retry(lease, 'reset');
    connector.succeed();
    router.release(lease, false, reset);
    expect([a!.consecutiveFailures, b!.consecutiveFailures, c!.consecutiveFailures]).toEqual([1, 0, 0]);
  });

  test('a reset followed by an answer from another upstream charges the one that reset', () => {
    const { router, acquire, upstreams } = healthSetup();
    const [a, b] = upstreams;
    const lease = acquire();
    connector.succeed();
    router.retry(lease, 'reset');
    expect(a!.consecutiveFailures).toBe(0); // held until the request ends
    connector.succeed();
    router.release(lease, true, answered);
    expect([a!.consecutiveFailures, b!.consecutiveFailures]).toEqual([1, 0]);
  });

  test('resets on two upstreams, then a different failure: both are charged', () => {
    const { router, acquire, upstreams } = healthSetup();
    const lease = acquire();
    connector.succeed();
    router.retry(lease, 'reset');
    connector.succeed();
    router.retry(lease, 'reset');
    connector.succeed();
    router.release(lease, false, { status: 0, errorCode: 'JCT_ERR_HTTP_BAD_RESPONSE', durationMs: 1 });
    expect(upstreams.map((u) => u.consecutiveFailures)).toEqual([1, 1, 1]);
  });

  test('a client that leaves after its request reset two upstreams does not make them guilty', () => {
    const { router, acquire, upstreams } = healthSetup();
    const lease = acquire();
    connector.succeed();
    router.retry(lease, 'reset');
    connector.succeed();
    router.retry(lease, 'reset');
    connector.succeed();
    router.release(lease, false, { status: 0, errorCode: 'JCT_ERR_CLIENT_ABORTED', durationMs: 1 });
    expect(upstreams.map((u) => u.consecutiveFailures)).toEqual([0, 0, 0]);
  });

  test('held resets are charged when the client leaves during the backoff', () => {
    const { router, acquire, upstreams } = healthSetup({
      retry: '{ attempts: 3, backoff: { base: 100ms } }',
    });
    const lease = acquire();
    connector.succeed();
    router.retry(lease, 'reset');
    router.abandon(lease);
    expect(upstreams[0]!.consecutiveFailures).toBe(1);
  });

  test('a stale pooled connection says nothing about its upstream', () => {
    const { router, acquire, upstreams } = healthSetup();
    const [a] = upstreams;
    connector.idle.set(a!.pool, [connector.connection(3)]);
    const lease = acquire();
    router.retry(lease, 'stale');
    connector.succeed();
    router.release(lease, true, answered);
    expect(a!.consecutiveFailures).toBe(0);
  });
});

describe('Router: the ejection cap', () => {
  test('at most max_ejection_percent of the cluster is ejected, and never its last healthy upstream', () => {
    const { log, lines } = logLines('warn');
    const { acquire, upstreams } = healthSetup({
      health: '{ passive: { consecutive_failures: 1 } }',
      retry: '{ attempts: 1 }',
      log,
    });
    const [a, b, c] = upstreams;
    // Every connect fails: a goes (1 of 3 is the cap at 50%), b and c stay.
    for (let i = 0; i < 9; i++) {
      acquire();
      connector.fail();
    }
    expect([a!.passiveDown, b!.passiveDown, c!.passiveDown]).toEqual([true, false, false]);
    expect(b!.spared).toMatch(/1 of 3 backends are ejected already \(max_ejection_percent 50%\)/);
    // Logged once per upstream, not once per failure.
    expect(lines.filter((l) => l.includes('not ejected'))).toHaveLength(1);
  });

  test('a lone backend is never ejected by default; 100% lifts the cap', () => {
    const capped = healthSetup({ backends: 1, health: '{ passive: { consecutive_failures: 1 } }' });
    capped.acquire();
    connector.fail();
    expect(capped.upstreams[0]!.passiveDown).toBe(false);
    expect(capped.upstreams[0]!.spared).toMatch(/last healthy backend/);

    const uncapped = healthSetup({
      backends: 1,
      health: '{ passive: { consecutive_failures: 1, max_ejection_percent: 100% } }',
    });
    uncapped.acquire();
    connector.fail();
    expect(uncapped.upstreams[0]!.passiveDown).toBe(true);
  });
});

describe('Router: a trial is one request', () => {
  /** Ejects a (the first upstream) with one refused connect, then readmits it on trial. */
  function onTrial() {
    const setup = healthSetup({ health: '{ passive: { consecutive_failures: 1, ejection: 1s } }' });
    const { router, cluster, acquire, upstreams } = setup;
    acquire();
    connector.fail(); // a refused, ejected
    connector.succeed(); // b answers
    expect(upstreams[0]!.passiveDown).toBe(true);
    now += 1000;
    router.readmitExpired([cluster]);
    expect(upstreams[0]!.onTrial).toBe(true);
    return setup;
  }

  test('while its trial request is out, other requests go elsewhere; its answer restores it', () => {
    const { router, acquire, upstreams } = onTrial();
    const [a, b] = upstreams;
    const trial = acquire();
    expect(connector.connects.at(-1)!.pool).toBe(a!.pool);
    expect(a!.isUp).toBe(false);
    // Connecting, then in flight: still one request.
    const others = [acquire(), acquire()];
    expect(connector.connects.slice(-2).map((c) => c.pool)).toEqual([b!.pool, b!.pool]);
    connector.connects.at(-3)!.handler.onConnected(connector.connection());
    acquire();
    expect(connector.connects.at(-1)!.pool).toBe(b!.pool);
    router.release(trial, true, answered);
    expect(a!.onTrial).toBe(false);
    expect(a!.isUp).toBe(true);
    acquire();
    expect(connector.connects.at(-1)!.pool).toBe(a!.pool);
    expect(others).toHaveLength(2);
  });

  test('a failed trial ejects it again for twice as long', () => {
    const { router, acquire, upstreams } = onTrial();
    const [a] = upstreams;
    const trial = acquire();
    connector.succeed();
    router.release(trial, false, { status: 0, errorCode: 'JCT_ERR_UPSTREAM_TIMEOUT', durationMs: 3000 });
    expect(a!.passiveDown).toBe(true);
    expect(a!.ejectionReason).toBe('its trial request failed');
    expect(a!.ejectedUntil).toBe(now + 2000);
  });

  test('a trial whose client left while it connected frees the upstream for the next request', () => {
    const { router, acquire, upstreams } = onTrial();
    const [a] = upstreams;
    const trial = acquire();
    router.abandon(trial);
    expect(a!.isUp).toBe(false);
    connector.succeed(); // the connection arrives for nobody
    expect(a!.isUp && a!.onTrial).toBe(true);
    acquire();
    expect(connector.connects.at(-1)!.pool).toBe(a!.pool);
  });

  test("a TCP session's trial frees the upstream once connected", () => {
    const { router, cluster, upstreams } = onTrial();
    const [a] = upstreams;
    router.acquire(cluster, input, 1_000, new RecordingHandler(), cluster.strategy, undefined, true);
    expect(a!.isUp).toBe(false);
    connector.succeed();
    expect(a!.isUp && a!.onTrial).toBe(true);
  });

  test('a trial that becomes a tunnel frees the upstream once the tunnel starts', () => {
    const { router, acquire, upstreams } = onTrial();
    const [a] = upstreams;
    const trial = acquire();
    connector.succeed();
    expect(a!.isUp).toBe(false);
    router.tunnelling(trial);
    expect(a!.isUp && a!.onTrial).toBe(true);
  });
});

describe('Router: the attempt observer', () => {
  test('hears every attempt, new connection and retry, with its verdict, code and reason', () => {
    const { router, cluster, acquire } = setup('{ attempts: 3, on: [reset, 503], backoff: { base: 0ms } }');
    const heard: string[] = [];
    router.observer = {
      attemptEnded: (name, verdict, code) => heard.push(`attempt ${name} ${verdict} ${code ?? '-'}`),
      connected: (name, ms) => heard.push(`connected ${name} ${ms}`),
      retried: (name, reason) => heard.push(`retried ${name} ${reason}`),
    };
    const pooled = connector.connection(3);
    connector.idle.set(cluster.upstreams[0]!.pool, [pooled]);
    const lease = acquire();
    // The pooled connection was stale: replayed on a new one, which took 7 ms to open.
    router.retry(lease, 'stale');
    now = 7;
    connector.succeed();
    router.retry(lease, 'status', 503);
    connector.fail();
    connector.succeed();
    router.release(lease, true, { status: 200, errorCode: undefined, durationMs: 1 });
    expect(heard).toEqual([
      'attempt app neutral JCT_ERR_UPSTREAM_RESET',
      'retried app stale',
      'connected app 7',
      'attempt app success -',
      'retried app status',
      'attempt app unreached JCT_ERR_CONNECT_REFUSED',
      'retried app connect-failure',
      'connected app 0',
      'attempt app success -',
    ]);
  });
});

describe('Router: an attempt held for os-dns', () => {
  /** Holds every attempt and notes the upstream chosen. */
  class HoldingHandler extends RecordingHandler {
    readonly chosen: string[] = [];
    upstreamChosen(_lease: unknown, upstream: { id: string }): boolean {
      this.chosen.push(upstream.id);
      return true;
    }
  }

  test('nothing connects until proceed(); then to the upstream chosen, or the one given instead', () => {
    const { router, cluster } = setup('{ attempts: 1 }');
    const handler = new HoldingHandler();
    const lease = router.acquire(cluster, input, 1_000, handler);
    expect(handler.chosen).toEqual(['127.0.0.1:4001']);
    expect(connector.connects).toHaveLength(0);
    router.proceed(lease);
    expect(connector.connectedPorts).toEqual([4001]);

    const other = router.acquire(cluster, input, 1_000, handler);
    router.proceed(other, cluster.upstreams[2]);
    expect(connector.connectedPorts).toEqual([4001, 4003]);
    // Once only: a second proceed() does nothing.
    router.proceed(other);
    expect(connector.connects).toHaveLength(2);
  });

  test('a lease abandoned while held never connects', () => {
    const { router, cluster } = setup('{ attempts: 1 }');
    const handler = new HoldingHandler();
    const lease = router.acquire(cluster, input, 1_000, handler);
    router.abandon(lease);
    router.proceed(lease);
    expect(connector.connects).toHaveLength(0);
  });

  test('a handler without upstreamChosen connects at once', () => {
    const { acquire } = setup('{ attempts: 1 }');
    acquire();
    expect(connector.connectedPorts).toEqual([4001]);
  });
});
