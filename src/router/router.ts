/**
 * The Router (router/'s central file): one per process.
 * Owns: the named strategies' runtimes, asking the Connector for connections, every retry decision
 * (attempts, budget, backoff), the outcome of every attempt (handed to the strategy and to passive
 * health, request-health.ts), and leases: a transaction or TCP session borrows a channel, and gives it
 * back with release(), retry() or abandon().
 * Must not: parse or frame HTTP (beyond an active check's response head), touch client sockets,
 * match routes, or open sockets itself (connector/ does).
 */
import type { BackendConfig, ClusterConfig, RetryConfig } from '../config/types.ts';
import { ClusterRuntime } from './cluster-runtime.ts';
import type { ConnectHandler, PoolOptions, UpstreamPool } from '../connector/index.ts';
import { RouteError, type ConnectError, type JunctionError } from '../errors/index.ts';
import type {
  Outcome,
  SelectionInput,
  Strategy,
  StrategyEnv,
  StrategyPlugin,
  Upstream,
} from '../strategies/index.ts';
import { RepeatLimiter, silentLogger, type Logger } from '../log/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { backoffDelayMs } from './backoff.ts';
import {
  attemptVerdict,
  countAttempt,
  readmitExpired,
  recordFailure,
  recordSuccess,
  type AttemptVerdict,
} from './passive-health.ts';
import { healthEvent } from './health-events.ts';
import { RequestHealth } from './request-health.ts';
import type { RetryBudget } from './retry-budget.ts';
import type {
  AcquireHandler,
  AttemptObserver,
  ClientConnection,
  Lease,
  LeaseSettings,
  UpstreamChannel,
} from './types.ts';
import { proxyPreamble } from './proxy-preamble.ts';
import { UpstreamState } from './upstream-state.ts';

/** A backend's pool settings: the cluster's pool, DNS and TLS sections (`https://` backends use TLS). */
export function poolOptionsFor(cluster: ClusterConfig, backend: BackendConfig): PoolOptions {
  const tls = cluster.tls;
  const protocol = cluster.protocol;
  return {
    ...cluster.pool,
    dns: cluster.dns,
    protocol,
    tls:
      backend.tls || tls.enabled
        ? {
            servername: tls.serverName,
            ca: tls.ca,
            rejectUnauthorized: tls.verify,
            cert: tls.cert,
            key: tls.key,
            ...(protocol === 'h2' ? { alpn: 'h2' as const } : {}),
          }
        : undefined,
  };
}

/**
 * What the Router needs of the Connector (narrow, so tests can stand in for it). The channel it lends
 * is a whole HTTP/1.1 connection or, for an HTTP/2 cluster, one stream of a shared session.
 */
export interface RouterConnector {
  pool(host: string, port: number, options: PoolOptions): UpstreamPool;
  reuse(pool: UpstreamPool): LentChannel | undefined;
  /** See Connector.connect: `takesReleased` and a transaction's own `maxTotal`. */
  connect(
    pool: UpstreamPool,
    timeoutMs: number,
    handler: ConnectHandler,
    preamble?: Buffer,
    takesReleased?: boolean,
    maxTotal?: number,
  ): void;
  release(conn: LentChannel, reusable: boolean): void;
  /** The pool of `base`'s upstream for a TLS server name a transaction set (txn-conf sni_policy). */
  poolForServerName?(base: UpstreamPool, serverName: string): UpstreamPool;
  /** The pool of `base`'s upstream that presents no client certificate (txn-conf ssl.client.cert.filename ""). */
  poolWithoutClientCertificate?(base: UpstreamPool): UpstreamPool;
}

/** A channel the Connector lends: the Router only carries it between the connector and a transaction. */
export type LentChannel = UpstreamChannel;

export interface RouterOptions {
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Uniform in [0, 1): strategies' randomness and backoff jitter. Injected so tests are deterministic. */
  readonly random?: () => number;
}

/**
 * Why a transaction asks for another attempt after its request reached an upstream. The transaction
 * only reports what happened; whether that is retried is the cluster's `retry` config, read here.
 */
export type RetryReason =
  /** A reused pooled connection closed before any response byte: the upstream had closed it while idle. */
  | 'stale'
  /** The upstream closed or reset the connection before a complete response head. */
  | 'reset'
  /** No response head within `timeouts.backend_response`. */
  | 'timeout'
  /** A complete response head; whether its status is retried is the cluster's `retry.on`. */
  | 'status';

/** Every reason an attempt can end in a retry, for logs. */
type AttemptFailure = RetryReason | 'connect-failure';

/** Why the Router declined a retry the failure would otherwise allow. */
type Refusal = 'attempts' | 'budget';

/**
 * The Router, one per process: drives the named strategies, asks the Connector for connections,
 * and is the only place that decides retries. Every attempt's outcome comes back through release(),
 * retry() or a failed connect, and is handed to the strategy and to passive health.
 */
export class Router {
  readonly #connector: RouterConnector;
  readonly #clock: Clock;
  readonly #random: () => number;
  #plugins: ReadonlyMap<string, StrategyPlugin>;
  readonly #env: StrategyEnv;
  readonly #log: Logger;
  /** Hears every attempt's end, new connection and retry (metrics); null: nobody listens. */
  observer: AttemptObserver | null = null;
  /** Warnings of failed requests, one line per cluster and code per 10 s while a backend stays down. */
  readonly failureLog = new RepeatLimiter();

  constructor(
    connector: RouterConnector,
    plugins: ReadonlyMap<string, StrategyPlugin>,
    options: RouterOptions = {},
  ) {
    const clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger();
    this.#connector = connector;
    this.#clock = clock;
    this.#random = options.random ?? Math.random;
    this.#plugins = plugins;
    this.#env = { random: this.#random, now: () => clock.now() };
  }

  /** Adds strategy plugins (a config's modules) beside those the Router was built with. */
  addStrategyPlugins(plugins: ReadonlyMap<string, StrategyPlugin>): void {
    if (plugins.size === 0) return;
    this.#plugins = new Map([...this.#plugins, ...plugins]);
  }

  /**
   * Builds the runtime of a cluster: each backend's pool (shared with other clusters naming the same
   * address and transport) and the cluster's strategy. Throws if its strategy kind is unknown (config
   * validation catches that first) or its TLS material is not PEM. On a reload, `previous` is the
   * cluster's runtime in the running snapshot: its unchanged backends' states carry over.
   */
  buildCluster(config: ClusterConfig, previous?: ClusterRuntime): ClusterRuntime {
    const upstreams = config.backends.map((b) => {
      const pool = this.#connector.pool(b.host, b.port, poolOptionsFor(config, b));
      // A reload keeps the state (health, counters) of a backend that is still the same one: same id,
      // address and weight, and the same pool (transport settings unchanged).
      const kept = previous?.upstreams.find((u) => u.id === b.id);
      return kept?.pool === pool && kept.host === b.host && kept.port === b.port && kept.weight === b.weight
        ? kept
        : new UpstreamState(b, pool);
    });
    return new ClusterRuntime(config, upstreams, this.#plugins, this.#env, this.#log);
  }

  /**
   * Finds a connection to an upstream of the cluster for one transaction. A failed connect is
   * retried (see connectFailed), never on an upstream already tried while another is left.
   * The handler hears back exactly once per attempt: synchronously on a pooled connection, later
   * otherwise. For a cluster with `proxy_protocol`, `client` is what the header names; such a lease
   * only ever gets a fresh connection, and its connection is never pooled after (a PROXY header
   * speaks for one client, so the connection is private to it, as HAProxy marks them). A `tunnel`
   * (a TCP session) gets a private connection too: its stream has no message boundaries to reuse at.
   */
  acquire(
    cluster: ClusterRuntime,
    input: SelectionInput,
    connectTimeoutMs: number,
    handler: AcquireHandler,
    strategy: Strategy = cluster.strategy,
    client?: ClientConnection,
    tunnel = false,
    settings?: LeaseSettings,
  ): RouterLease {
    const now = this.#clock.now();
    const budget = cluster.retryBudget;
    budget.recordRequest(now);
    const lease = new RouterLease(this, cluster, strategy, budget, input, connectTimeoutMs, handler);
    const version = cluster.config.proxyProtocol;
    if (version !== undefined) lease.preamble = proxyPreamble(version, client);
    lease.isPrivate = tunnel || version !== undefined;
    lease.tunnel = tunnel;
    lease.fresh = lease.isPrivate;
    lease.settings = settings;
    this.#attempt(lease, now);
    return lease;
  }

  /** Gives a connection back and reports the attempt's outcome: the lease's last attempt is over. */
  release(lease: RouterLease, reusable: boolean, outcome: Outcome): void {
    const upstream = lease.upstream;
    const conn = lease.connection;
    if (upstream === undefined || conn === undefined) return;
    lease.connection = undefined;
    upstream.inFlight--;
    this.#record(lease, upstream, outcome, true);
    this.#connector.release(conn, reusable && !lease.isPrivate);
    if (lease.retries > 0) this.#reportAfterRetries(lease, upstream, outcome.errorCode, outcome.status);
  }

  /**
   * The transaction's attempt failed after its request went out, in a way it could replay: nothing
   * went to the client, and the request is idempotent with a body it can send again. Decides whether
   * to try again, from the cluster's retry config (the reason is retried, attempts remain, the budget
   * allows it), then waits out the backoff and starts the next attempt on an upstream not tried yet.
   *
   * Returns true when the lease took the failure: the connection is closed, the attempt's outcome is
   * recorded, and the handler hears onUpstreamReady or onAcquireFailed for the next attempt, possibly
   * before this returns. Returns false when the failure stands: nothing changed, the lease keeps its
   * connection, and the transaction fails (or forwards the response) as it would have.
   *
   * A stale pooled connection ('stale') is replayed once on a fresh connection without counting as an
   * attempt or spending budget: the upstream never saw the request.
   */
  retry(lease: RouterLease, reason: RetryReason, status = 0): boolean {
    const policy = lease.cluster.config.retry;
    // First, as it is asked after every response head: most statuses are never retried.
    if (reason === 'status' && !policy.onStatuses.has(status)) return false;
    const upstream = lease.upstream;
    if (lease.abandoned || upstream === undefined || lease.connection === undefined) return false;
    let failure: RetryReason = reason;
    if (failure === 'stale') {
      if (!lease.replayedStale) {
        lease.replayedStale = true;
        lease.fresh = true;
        this.#endAttempt(lease, upstream, failure, status);
        this.observer?.retried(lease.cluster.name, failure);
        this.#log.debug(
          { cluster: lease.cluster.name, upstream: upstream.id, reason: failure, attempt: lease.attempts },
          `replaying a request to cluster '${lease.cluster.name}' on a fresh connection: the pooled one to ${upstream.id} was stale`,
        );
        this.#attempt(lease, this.#clock.now());
        return true;
      }
      failure = 'reset';
    }
    if (!retriesOn(policy, failure, status)) return false;
    if (this.#refusal(lease, upstream, failure, false) !== undefined) return false;
    this.#endAttempt(lease, upstream, failure, status);
    (lease.tried ??= new Set()).add(upstream);
    this.#retryAfterBackoff(lease, upstream, failure);
    return true;
  }

  /**
   * The lease's exchange became a tunnel (an upgrade's 101; a TCP session once connected), which may
   * last for hours: if it was its upstream's trial, other requests may pick the upstream from now on.
   * The trial is still decided by the tunnel's outcome when it ends.
   */
  tunnelling(lease: RouterLease): void {
    const upstream = lease.upstream;
    if (upstream !== undefined) this.#endTrial(lease, upstream);
  }

  /** The transaction is gone: drop the lease, whatever state it is in. */
  abandon(lease: RouterLease): void {
    lease.abandoned = true;
    // What its attempts so far held against upstreams is charged: nothing more will come of them.
    this.#settle(lease);
    if (lease.backoffTimer !== undefined) {
      clearTimeout(lease.backoffTimer);
      lease.backoffTimer = undefined;
    }
  }

  now(): number {
    return this.#clock.now();
  }

  /**
   * One attempt is over: its statistics, its trial, and what passive health is charged with (once per
   * request and upstream; resets and timeouts after the request went out wait for the request's end,
   * see request-health.ts). `last`: the request ends with this attempt. `stale`: a pooled connection
   * found closed, which says nothing about the upstream.
   */
  #record(lease: RouterLease, upstream: UpstreamState, outcome: Outcome, last: boolean, stale = false): void {
    const code = outcome.errorCode;
    const verdict: AttemptVerdict = stale ? 'neutral' : attemptVerdict(code);
    countAttempt(upstream, verdict);
    this.observer?.attemptEnded(lease.cluster.name, verdict, code);
    this.#endTrial(lease, upstream);
    // Most requests succeed at once and never make a RequestHealth.
    if (!stale && (lease.health !== undefined || (verdict !== 'success' && verdict !== 'neutral'))) {
      (lease.health ??= new RequestHealth()).attempt(upstream, verdict, code);
    }
    if (last) this.#settle(lease);
    if (verdict === 'success') {
      const settings = lease.cluster.config.health.passive;
      healthEvent(
        this.#log,
        lease.cluster,
        upstream,
        recordSuccess(upstream, this.#clock.now(), settings),
        code,
      );
    } else if ((verdict === 'failure' || verdict === 'unreached') && lease.health!.charge(upstream)) {
      this.#chargeFailure(lease.cluster, upstream, code);
    }
    lease.strategy.report?.(upstream, outcome);
  }

  /** The request is over: charge what its attempts held against upstreams, unless it was the poison. */
  #settle(lease: RouterLease): void {
    const health = lease.health;
    if (health === undefined) return;
    const { charge, forgiven } = health.settle();
    for (const upstream of charge) this.#chargeFailure(lease.cluster, upstream, undefined);
    if (forgiven > 0) {
      this.#log.info(
        { cluster: lease.cluster.name, attempts: lease.attempts, backends: forgiven },
        `a request to cluster '${lease.cluster.name}' failed the same way on ${forgiven} backends: the request is the likely cause, so none is charged with it`,
      );
    }
  }

  #chargeFailure(cluster: ClusterRuntime, upstream: UpstreamState, code: string | undefined): void {
    const event = recordFailure(
      upstream,
      this.#clock.now(),
      cluster.config.health.passive,
      cluster.upstreams,
    );
    healthEvent(this.#log, cluster, upstream, event, code);
  }

  /** The lease's attempt on `upstream` is over: if it was that upstream's trial, another may go. */
  #endTrial(lease: RouterLease, upstream: UpstreamState): void {
    if (lease.trial !== upstream) return;
    lease.trial = undefined;
    upstream.trialHeld = false;
  }

  /** Puts ejected upstreams whose backoff is over back in rotation, on trial. Called by the server's sweep. */
  readmitExpired(clusters: Iterable<ClusterRuntime>): void {
    const now = this.#clock.now();
    for (const cluster of clusters) {
      if (readmitExpired(cluster.upstreams, now) > 0) cluster.membersChanged();
    }
  }

  #attempt(lease: RouterLease, now: number): void {
    const cluster = lease.cluster;
    const strategy = lease.strategy;
    let upstream = strategy.select(lease.input, lease.tried) as UpstreamState | undefined;
    // Everything was tried and attempts remain: go round again rather than give up early (Sōzu).
    if (upstream === undefined && lease.tried !== undefined) {
      upstream = strategy.select(lease.input, undefined) as UpstreamState | undefined;
    }
    if (upstream === undefined) {
      this.#settle(lease);
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
    // os-dns: the handler may look at the choice, and replace it, before any connection is made; it
    // then calls proceed() (at once or later). Without a handler that asks, this is one call.
    const handler = lease.handler;
    if (handler.upstreamChosen !== undefined) {
      lease.chosen = upstream;
      if (handler.upstreamChosen(lease, upstream)) return;
      lease.chosen = undefined;
    }
    this.#connectTo(lease, upstream, now);
  }

  /**
   * The handler that held an attempt (AcquireHandler.upstreamChosen) lets it go on, to the upstream
   * chosen or to `instead` (one of the lease's cluster). Nothing happens for a lease abandoned meanwhile.
   */
  proceed(lease: RouterLease, instead?: Upstream): void {
    const chosen = lease.chosen;
    lease.chosen = undefined;
    if (lease.abandoned || chosen === undefined) return;
    const other = instead === undefined ? undefined : lease.cluster.upstreams.find((u) => u === instead);
    this.#connectTo(lease, other ?? chosen, this.#clock.now());
  }

  /** The attempt's connection to `upstream`: a pooled one, or a new one. */
  #connectTo(lease: RouterLease, upstream: UpstreamState, now: number): void {
    lease.upstream = upstream;
    lease.attemptStartedAt = now;
    // A readmitted upstream's trial is one request: until it ends, strategies skip the upstream.
    if (upstream.onTrial && !upstream.trialHeld) {
      upstream.trialHeld = true;
      lease.trial = upstream;
    }
    const settings = lease.settings;
    // A transaction's own TLS server name: the upstream's pool of connections made with that name.
    const named =
      settings?.serverName === undefined
        ? upstream.pool
        : (this.#connector.poolForServerName?.(upstream.pool, settings.serverName) ?? upstream.pool);
    // A transaction that asked to present no client certificate: that pool of the upstream's.
    const pool =
      settings?.clientCertificate === false
        ? (this.#connector.poolWithoutClientCertificate?.(named) ?? named)
        : named;
    const pooled = lease.fresh ? undefined : this.#connector.reuse(pool);
    if (pooled !== undefined) {
      lease.bind(pooled);
      return;
    }
    // A lease that takes pooled connections takes one released while its connect is under way.
    this.#connector.connect(
      pool,
      lease.connectTimeoutMs,
      lease,
      lease.preamble,
      !lease.fresh,
      settings?.maxConnections,
    );
  }

  /** Closes the failed attempt's connection and records its outcome; the lease holds nothing after. */
  #endAttempt(lease: RouterLease, upstream: UpstreamState, reason: RetryReason, status: number): void {
    const conn = lease.connection!;
    lease.connection = undefined;
    lease.upstream = undefined;
    upstream.inFlight--;
    const outcome: Outcome = {
      status,
      // A retried status is that attempt's answer, not an error: statuses never eject an upstream.
      errorCode:
        reason === 'status'
          ? undefined
          : reason === 'timeout'
            ? 'JCT_ERR_UPSTREAM_TIMEOUT'
            : 'JCT_ERR_UPSTREAM_RESET',
      durationMs: this.#clock.now() - lease.attemptStartedAt,
    };
    this.#record(lease, upstream, outcome, false, reason === 'stale');
    // The response (if any) was not read to its end, so the connection is out of step: close it.
    this.#connector.release(conn, false);
  }

  /**
   * Whether attempts and the budget deny another attempt. `exempt` skips the budget (neither asked
   * nor charged). A refusal is counted on the budget (retriesRefused) and logged at debug.
   */
  #refusal(
    lease: RouterLease,
    upstream: UpstreamState,
    reason: AttemptFailure,
    exempt: boolean,
  ): Refusal | undefined {
    const cluster = lease.cluster;
    if (lease.attempts >= cluster.config.retry.attempts) return 'attempts';
    if (exempt || lease.budget.tryRetry(this.#clock.now())) return undefined;
    this.#log.debug(
      { cluster: cluster.name, upstream: upstream.id, reason, attempt: lease.attempts },
      `not retrying a request to cluster '${cluster.name}' after ${reason}: its retry budget is spent`,
    );
    return 'budget';
  }

  /** Starts the lease's next attempt after the backoff: at once, with no timer, when it is 0 ms. */
  #retryAfterBackoff(lease: RouterLease, failed: UpstreamState, reason: AttemptFailure): void {
    const policy = lease.cluster.config.retry;
    const delayMs = backoffDelayMs(lease.retries, policy.backoffBaseMs, policy.backoffMaxMs, this.#random);
    lease.retries++;
    lease.lastFailure = reason;
    this.observer?.retried(lease.cluster.name, reason);
    this.#log.debug(
      {
        cluster: lease.cluster.name,
        upstream: failed.id,
        reason,
        attempt: lease.attempts,
        delayMs,
      },
      `retrying a request to cluster '${lease.cluster.name}' after ${reason} from ${failed.id} (attempt ${lease.attempts} of ${policy.attempts})`,
    );
    if (delayMs === 0) {
      this.#attempt(lease, this.#clock.now());
      return;
    }
    const timer = setTimeout(this.#attemptAfterBackoff, delayMs, lease);
    // A waiting retry must not hold the process open on its own; the client connection does that.
    timer.unref();
    lease.backoffTimer = timer;
  }

  readonly #attemptAfterBackoff = (lease: RouterLease): void => {
    lease.backoffTimer = undefined;
    if (lease.abandoned) return;
    this.#attempt(lease, this.#clock.now());
  };

  /** The lease's last attempt ended after retries: say so when the request failed in the end. */
  #reportAfterRetries(
    lease: RouterLease,
    upstream: UpstreamState,
    code: string | undefined,
    status: number,
  ): void {
    const failedStatus = code === undefined && lease.cluster.config.retry.onStatuses.has(status);
    if ((code === undefined && !failedStatus) || code === 'JCT_ERR_CLIENT_ABORTED') return;
    this.failureLog.warn(
      this.#log,
      `retries|${lease.cluster.name}|${code ?? status}`,
      {
        cluster: lease.cluster.name,
        upstream: upstream.id,
        attempts: lease.attempts,
        code,
        status,
      },
      `a request to cluster '${lease.cluster.name}' failed after ${lease.attempts} attempts (last: ${code ?? `status ${status}`} from ${upstream.id})`,
    );
  }

  /** @internal called by a lease whose connect attempt failed. */
  connectFailed(lease: RouterLease, error: ConnectError): void {
    const upstream = lease.upstream!;
    lease.upstream = undefined;
    (lease.tried ??= new Set()).add(upstream);
    lease.lastError = error;
    // The request never reached an upstream, so a retry costs the cluster one connect, not one request:
    // a request's first retry after a failed connect is free of the budget (Sōzu retries them freely).
    // Later ones are budgeted, so a cluster refusing every connect costs at most twice its requests.
    const refusal = lease.abandoned
      ? undefined
      : this.#refusal(lease, upstream, 'connect-failure', lease.retries === 0);
    const outcome: Outcome = {
      status: 0,
      errorCode: error.code,
      durationMs: this.#clock.now() - lease.attemptStartedAt,
    };
    this.#record(lease, upstream, outcome, lease.abandoned || refusal !== undefined);
    if (lease.abandoned) return;
    if (refusal !== undefined) {
      const cluster = lease.cluster;
      const why =
        refusal === 'attempts'
          ? `after ${lease.attempts === 1 ? '1 attempt' : `${lease.attempts} attempts`}`
          : `and its retry budget is spent (${lease.attempts} attempts)`;
      if (lease.retries > 0) this.#reportAfterRetries(lease, upstream, error.code, 0);
      lease.handler.onAcquireFailed(
        new RouteError(
          'JCT_ERR_NO_UPSTREAM',
          `no upstream of cluster '${cluster.name}' could be reached ${why} (last: ${error.message})`,
          { cause: error },
        ),
      );
      return;
    }
    this.#retryAfterBackoff(lease, upstream, 'connect-failure');
  }

  /** @internal a lease's new connection opened: its connect time, for the observer. */
  connected(lease: RouterLease): void {
    this.observer?.connected(lease.cluster.name, this.#clock.now() - lease.attemptStartedAt);
  }

  /** @internal a connection arrived for a transaction that no longer wants it. */
  returnUnused(lease: RouterLease, conn: LentChannel, reusable: boolean): void {
    const upstream = lease.upstream;
    lease.upstream = undefined;
    if (upstream !== undefined) this.#endTrial(lease, upstream);
    this.#connector.release(conn, reusable);
  }
}

/** Whether the cluster's `retry.on` covers this failure (a failed connect is always retried). */
function retriesOn(policy: RetryConfig, reason: RetryReason, status: number): boolean {
  switch (reason) {
    case 'status':
      return policy.onStatuses.has(status);
    case 'reset':
      return policy.onReset;
    case 'timeout':
      return policy.onTimeout;
    case 'stale':
      return true;
  }
}

/** One transaction's claim on the Router: the attempts made and the connection it holds. */
export class RouterLease implements Lease, ConnectHandler {
  readonly router: Router;
  readonly cluster: ClusterRuntime;
  /** The cluster's strategy, or the one the route picked for this transaction. */
  readonly strategy: Strategy;
  readonly budget: RetryBudget;
  readonly input: SelectionInput;
  readonly connectTimeoutMs: number;
  readonly handler: AcquireHandler;
  /** When the current attempt began (its upstream was chosen), on the Router's clock. */
  attemptStartedAt = 0;
  /** Skip pooled connections: set once a pooled connection proved stale, or for a PROXY protocol cluster. */
  fresh = false;
  /** The PROXY protocol header every connection of this lease starts with, if its cluster sends one. */
  preamble: Buffer | undefined = undefined;
  /** Its connections are fresh and never pooled after: a PROXY protocol cluster's, or a tunnel's. */
  isPrivate = false;
  /** A TCP session's: its connection is the tunnel from the start. */
  tunnel = false;
  /** Retries granted so far; a stale connection's replay is not one. */
  retries = 0;
  replayedStale = false;
  lastFailure: AttemptFailure | undefined = undefined;
  tried: Set<UpstreamState> | undefined = undefined;
  /** What this request's attempts charge upstreams with; made at its first failure. */
  health: RequestHealth | undefined = undefined;
  /** The upstream whose trial request this lease's current attempt is, if any. */
  trial: UpstreamState | undefined = undefined;
  upstream: UpstreamState | undefined = undefined;
  /** The upstream chosen for an attempt its handler holds (os-dns) until Router.proceed(). */
  chosen: UpstreamState | undefined = undefined;
  connection: LentChannel | undefined = undefined;
  lastError: JunctionError | undefined = undefined;
  /** The transaction's own connection settings (its TLS server name, its connection limit), if any. */
  settings: LeaseSettings | undefined = undefined;
  /** Set while a retry waits out its backoff. */
  backoffTimer: NodeJS.Timeout | undefined = undefined;
  abandoned = false;

  constructor(
    router: Router,
    cluster: ClusterRuntime,
    strategy: Strategy,
    budget: RetryBudget,
    input: SelectionInput,
    connectTimeoutMs: number,
    handler: AcquireHandler,
  ) {
    this.router = router;
    this.cluster = cluster;
    this.strategy = strategy;
    this.budget = budget;
    this.input = input;
    this.connectTimeoutMs = connectTimeoutMs;
    this.handler = handler;
  }

  /** Attempts made or under way, the first one included. */
  get attempts(): number {
    return this.retries + 1;
  }

  get upstreamId(): string {
    return this.upstream?.pool.upstreamId ?? '';
  }

  bind(conn: LentChannel): void {
    this.connection = conn;
    this.upstream!.inFlight++;
    if (this.tunnel) this.router.tunnelling(this);
    this.handler.onUpstreamReady(conn, this);
  }

  onConnected(conn: LentChannel): void {
    this.router.connected(this);
    if (this.abandoned) {
      this.router.returnUnused(this, conn, !this.isPrivate);
      return;
    }
    this.bind(conn);
  }

  onConnectFailed(error: ConnectError): void {
    this.router.connectFailed(this, error);
  }
}
