import type { ClusterConfig } from '../config/types.ts';
import { ClusterRuntime } from './cluster-runtime.ts';
import type { ConnectHandler, Connector, UpstreamConnection } from '../connector/index.ts';
import { RouteError, type ConnectError, type JunctionError } from '../errors/index.ts';
import type { Outcome, SelectionInput, Strategy, StrategyEnv, StrategyPlugin } from '../strategies/index.ts';
import { silentLogger, type Logger } from '../log/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { readmitExpired, recordOutcome } from './passive-health.ts';
import type { AcquireHandler, Lease } from './types.ts';
import { UpstreamState } from './upstream-state.ts';

export interface PoolSettings {
  readonly maxIdle: number;
  readonly idleTimeoutMs: number;
}

/**
 * The Router, one per process: drives the named strategies, asks the Connector for connections,
 * and is the only place that decides retries. Every attempt's outcome comes back through release()
 * or a failed connect, and is handed to the strategy.
 */
export class Router {
  readonly #connector: Connector;
  readonly #clock: Clock;
  #plugins: ReadonlyMap<string, StrategyPlugin>;
  readonly #env: StrategyEnv;
  readonly #log: Logger;

  constructor(
    connector: Connector,
    plugins: ReadonlyMap<string, StrategyPlugin>,
    options: { clock?: Clock; log?: Logger } = {},
  ) {
    const clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger();
    this.#connector = connector;
    this.#clock = clock;
    this.#plugins = plugins;
    this.#env = { random: Math.random, now: () => clock.now() };
  }

  /** Adds strategy plugins (a config's modules) beside those the Router was built with. */
  addStrategyPlugins(plugins: ReadonlyMap<string, StrategyPlugin>): void {
    if (plugins.size === 0) return;
    this.#plugins = new Map([...this.#plugins, ...plugins]);
  }

  /** Builds the runtime of a cluster. Throws if its strategy kind is unknown (config validation catches it first). */
  buildCluster(config: ClusterConfig, pool: PoolSettings): ClusterRuntime {
    const upstreams = config.backends.map(
      (b) => new UpstreamState(b, this.#connector.pool(b.host, b.port, pool)),
    );
    return new ClusterRuntime(config, upstreams, this.#plugins, this.#env);
  }

  /**
   * Finds a connection to an upstream of the cluster for one transaction. Up to the cluster's
   * `retryAttempts` connect attempts, never to an upstream already tried while another is left.
   * The handler hears back exactly once: synchronously on a pooled connection, later otherwise.
   * `fresh` skips pooled connections (a retry after a pooled connection proved stale).
   */
  acquire(
    cluster: ClusterRuntime,
    input: SelectionInput,
    connectTimeoutMs: number,
    handler: AcquireHandler,
    fresh = false,
    strategy: Strategy = cluster.strategy,
  ): RouterLease {
    const lease = new RouterLease(
      this,
      cluster,
      strategy,
      input,
      connectTimeoutMs,
      handler,
      this.#clock.now(),
      fresh,
    );
    this.#attempt(lease);
    return lease;
  }

  /** Gives a connection back and reports the attempt's outcome. */
  release(lease: RouterLease, reusable: boolean, outcome: Outcome): void {
    const upstream = lease.upstream;
    const conn = lease.connection;
    if (upstream === undefined || conn === undefined) return;
    lease.connection = undefined;
    upstream.inFlight--;
    this.#record(lease, upstream, outcome);
    this.#connector.release(conn, reusable);
  }

  /** The transaction is gone: drop the lease, whatever state it is in. */
  abandon(lease: RouterLease): void {
    lease.abandoned = true;
  }

  now(): number {
    return this.#clock.now();
  }

  #record(lease: RouterLease, upstream: UpstreamState, outcome: Outcome): void {
    const cluster = lease.cluster;
    const event = recordOutcome(upstream, outcome, this.#clock.now(), cluster.config.health.passive);
    if (event === 'ejected') {
      this.#log.warn(
        {
          cluster: cluster.name,
          upstream: upstream.id,
          until: upstream.ejectedUntil,
          code: outcome.errorCode,
        },
        `upstream ${upstream.id} of cluster '${cluster.name}' ejected: ${upstream.ejectionReason}`,
      );
    } else if (event === 'restored') {
      this.#log.info(
        { cluster: cluster.name, upstream: upstream.id },
        `upstream ${upstream.id} is healthy again`,
      );
    }
    lease.strategy.report?.(upstream, outcome);
  }

  /** Puts ejected upstreams whose backoff is over back in rotation, on trial. Called by the server's sweep. */
  readmitExpired(clusters: Iterable<ClusterRuntime>): void {
    const now = this.#clock.now();
    for (const cluster of clusters) {
      if (readmitExpired(cluster.upstreams, now) > 0) cluster.membersChanged();
    }
  }

  #attempt(lease: RouterLease): void {
    const cluster = lease.cluster;
    const strategy = lease.strategy;
    let upstream = strategy.select(lease.input, lease.tried) as UpstreamState | undefined;
    // Everything was tried and attempts remain: go round again rather than give up early (Sōzu).
    if (upstream === undefined && lease.tried !== undefined) {
      upstream = strategy.select(lease.input, undefined) as UpstreamState | undefined;
    }
    if (upstream === undefined) {
      const cause = lease.lastError;
      lease.handler.onAcquireFailed(
        new RouteError(
          'JCT_ERR_NO_UPSTREAM',
          cause
            ? `no upstream of cluster '${cluster.name}' could be reached (last: ${cause.message})`
            : `no upstream of cluster '${cluster.name}' is available`,
          { cause },
        ),
      );
      return;
    }
    lease.attempts++;
    lease.upstream = upstream;
    const pooled = lease.fresh ? undefined : this.#connector.reuse(upstream.pool);
    if (pooled !== undefined) {
      lease.bind(pooled);
      return;
    }
    this.#connector.connect(upstream.pool, lease.connectTimeoutMs, lease);
  }

  /** @internal called by a lease whose connect attempt failed. */
  retryAfter(lease: RouterLease, error: ConnectError): void {
    const upstream = lease.upstream!;
    this.#record(lease, upstream, {
      status: 0,
      errorCode: error.code,
      durationMs: this.#clock.now() - lease.startedAt,
    });
    lease.lastError = error;
    (lease.tried ??= new Set()).add(upstream);
    lease.upstream = undefined;
    if (lease.abandoned) return;
    if (lease.attempts >= lease.cluster.config.retry.attempts) {
      lease.handler.onAcquireFailed(
        new RouteError(
          'JCT_ERR_NO_UPSTREAM',
          `no upstream of cluster '${lease.cluster.name}' could be reached after ${lease.attempts} attempts (last: ${error.message})`,
          { cause: error },
        ),
      );
      return;
    }
    this.#attempt(lease);
  }

  /** @internal a connection arrived for a transaction that no longer wants it. */
  returnUnused(conn: UpstreamConnection): void {
    this.#connector.release(conn, true);
  }
}

/** One transaction's claim on the Router: the attempts made and the connection it holds. */
export class RouterLease implements Lease, ConnectHandler {
  readonly router: Router;
  readonly cluster: ClusterRuntime;
  /** The cluster's strategy, or the one the route picked for this transaction. */
  readonly strategy: Strategy;
  readonly input: SelectionInput;
  readonly connectTimeoutMs: number;
  readonly handler: AcquireHandler;
  readonly startedAt: number;
  readonly fresh: boolean;
  attempts = 0;
  tried: Set<UpstreamState> | undefined = undefined;
  upstream: UpstreamState | undefined = undefined;
  connection: UpstreamConnection | undefined = undefined;
  lastError: JunctionError | undefined = undefined;
  abandoned = false;

  constructor(
    router: Router,
    cluster: ClusterRuntime,
    strategy: Strategy,
    input: SelectionInput,
    connectTimeoutMs: number,
    handler: AcquireHandler,
    startedAt: number,
    fresh: boolean,
  ) {
    this.router = router;
    this.cluster = cluster;
    this.strategy = strategy;
    this.input = input;
    this.connectTimeoutMs = connectTimeoutMs;
    this.handler = handler;
    this.startedAt = startedAt;
    this.fresh = fresh;
  }

  get upstreamId(): string {
    return this.upstream?.pool.upstreamId ?? '';
  }

  bind(conn: UpstreamConnection): void {
    this.connection = conn;
    this.upstream!.inFlight++;
    this.handler.onUpstreamReady(conn, this);
  }

  onConnected(conn: UpstreamConnection): void {
    if (this.abandoned) {
      this.router.returnUnused(conn);
      return;
    }
    this.bind(conn);
  }

  onConnectFailed(error: ConnectError): void {
    this.router.retryAfter(this, error);
  }
}
