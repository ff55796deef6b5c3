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
