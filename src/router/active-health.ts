import { proxyPreamble } from './proxy-preamble.ts';
import { parseResponseHead, type HeadLimits } from '../codec/index.ts';
import type { ActiveHealthConfig } from '../config/types.ts';
import { UpstreamPool, type ConnectHandler, type Connector, type PoolOptions } from '../connector/index.ts';
import type { ConnectError, ErrorCode } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { ClusterRuntime } from './cluster-runtime.ts';
import type { UpstreamChannel, UpstreamHandler } from './types.ts';
import type { UpstreamState } from './upstream-state.ts';

/**
 * Active health: for every backend of a cluster that asks for it, an HTTP request every `intervalMs` on
 * a connection of its own (HAProxy's `option httpchk`, Envoy's HTTP health checks). `unhealthyThreshold`
 * failed checks in a row take an up backend out of rotation; `healthyThreshold` passing checks in a row
 * bring a down one back. Backends start up, so traffic flows before the first checks have run.
 *
 * The verdict is independent of passive health (passive-health.ts): a backend serves only while neither
 * has it down, and a passing check does not end a passive ejection (nor does a readmission override a
 * failed check), so each judge's evidence stands until that judge sees otherwise.
 */
export type ActiveHealthSettings = ActiveHealthConfig;

/** What one check saw. */
export interface CheckResult {
  /** The response status, or 0 when no response head arrived. */
  readonly status: number;
  /** Why no usable response arrived (connect error, reset, timeout, malformed head); undefined if one did. */
  readonly errorCode: ErrorCode | undefined;
  /** The error's description, for logs. */
  readonly message?: string;
}

export type CheckEvent = 'marked-down' | 'marked-up' | undefined;

/** Whether `status` lies in one of the inclusive ranges. */
export function statusExpected(status: number, expect: ActiveHealthSettings['expectStatuses']): boolean {
  for (const [low, high] of expect) if (status >= low && status <= high) return true;
  return false;
}

/** Applies one check's result to an upstream's active state. Returns the transition it caused, if any. */
export function recordCheck(
  upstream: UpstreamState,
  result: CheckResult,
  settings: ActiveHealthSettings,
): CheckEvent {
  upstream.checks++;
  upstream.lastCheckStatus = result.status;
  upstream.lastCheckError = result.errorCode;
  if (result.errorCode === undefined && statusExpected(result.status, settings.expectStatuses)) {
    upstream.checkSuccesses++;
    upstream.checkFailures = 0;
    if (upstream.activeDown && upstream.checkSuccesses >= settings.healthyThreshold) {
      upstream.activeDown = false;
      return 'marked-up';
    }
    return undefined;
  }
  upstream.checkFailures++;
  upstream.checkSuccesses = 0;
  if (!upstream.activeDown && upstream.checkFailures >= settings.unhealthyThreshold) {
    upstream.activeDown = true;
    return 'marked-down';
  }
  return undefined;
}

/** What a failed check saw, in a few words: `status 500`, or the error code. */
export function describeCheck(result: CheckResult): string {
  return result.errorCode ?? `status ${result.status}`;
}

/**
 * One finished check and the verdict it left, as plain data: what the server that runs a group's
 * checks tells the others, which run none and apply it (applyActiveHealthEvent()). It names the backend
 * by cluster and id, so it survives the IPC and reloads: an event for a backend the receiver does not
 * have (a reload under way) is ignored.
 */
export interface ActiveHealthEvent {
  readonly cluster: string;
  /** The backend's id in its cluster. */
  readonly backend: string;
  /** The active verdict after this check: `down` once `unhealthy_threshold` checks in a row failed. */
  readonly result: 'up' | 'down';
  /** Whether this check passed. */
  readonly passed: boolean;
  /** The verdict changed with this check. */
  readonly changed: boolean;
  /** The response status, 0 when none arrived. */
  readonly status: number;
  /** Why no usable response arrived; absent when one did. */
  readonly code?: ErrorCode;
  /** What the check saw in a few words: `status 200`, `status 503`, an error code. */
  readonly reason: string;
  /** When the check finished, in ms since the epoch. */
  readonly at: number;
}

/** Whether `value` (a message that crossed the IPC) has the shape of an ActiveHealthEvent. */
export function isActiveHealthEvent(value: unknown): value is ActiveHealthEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e['cluster'] === 'string' &&
    typeof e['backend'] === 'string' &&
    (e['result'] === 'up' || e['result'] === 'down') &&
    typeof e['passed'] === 'boolean' &&
    typeof e['changed'] === 'boolean' &&
    typeof e['status'] === 'number' &&
    (e['code'] === undefined || (typeof e['code'] === 'string' && e['code'].startsWith('JCT_ERR_'))) &&
    typeof e['reason'] === 'string' &&
    typeof e['at'] === 'number'
  );
}

/** The event one check's result makes, after recordCheck() applied it to `upstream`. */
export function activeHealthEvent(
  cluster: string,
  upstream: UpstreamState,
  result: CheckResult,
  transition: CheckEvent,
  at: number,
): ActiveHealthEvent {
  return {
    cluster,
    backend: upstream.id,
    result: upstream.activeDown ? 'down' : 'up',
    passed: upstream.checkFailures === 0,
    changed: transition !== undefined,
    status: result.status,
    ...(result.errorCode === undefined ? {} : { code: result.errorCode }),
    reason: describeCheck(result),
    at,
  };
}

/**
 * Applies a check another server ran: the same counters recordCheck() keeps, and the runner's verdict
 * as it is (not recomputed from this server's counts, so one that started after the runner marked a
 * backend down takes it out at once). Returns the transition it caused, if any.
 */
export function applyActiveHealthEvent(upstream: UpstreamState, event: ActiveHealthEvent): CheckEvent {
  upstream.checks++;
  upstream.lastCheckStatus = event.status;
  upstream.lastCheckError = event.code;
  if (event.passed) {
    upstream.checkSuccesses++;
    upstream.checkFailures = 0;
  } else {
    upstream.checkFailures++;
    upstream.checkSuccesses = 0;
  }
  const down = event.result === 'down';
  if (down === upstream.activeDown) return undefined;
  upstream.activeDown = down;
  return down ? 'marked-down' : 'marked-up';
}

/** The part of the Connector checks use: one fresh connect attempt, never a pooled connection. */
export type CheckConnector = Pick<Connector, 'connect'>;

export interface ActiveHealthOptions {
  readonly connector: CheckConnector;
  /** Limits on the response head a check reads. */
  readonly limits: HeadLimits;
  readonly log: Logger;
  /** Spreads checks over time; injected by tests. */
  readonly random?: () => number;
  /**
   * Hears every finished check, after its result was applied (the transition it caused, if any): how
   * a server tells the others of its group. Synchronous; must not throw.
   */
  readonly onCheck?: (
    cluster: ClusterRuntime,
    upstream: UpstreamState,
    result: CheckResult,
    transition: CheckEvent,
  ) => void;
}

/** The first check runs within this share of the interval after start, so they do not all go at once. */
const FIRST_CHECK_SPREAD = 0.1;
/** Later checks run every interval, plus or minus this share, so backends checked together drift apart. */
const INTERVAL_JITTER = 0.1;

/**
 * Runs the active checks of every cluster that has them, one schedule per backend. Owned by the server:
 * start() once listeners are bound, stop() on close.
 */
export class ActiveHealthChecker {
  readonly #checks = new Map<UpstreamState, BackendCheck>();
  readonly #options: ActiveHealthOptions;
  readonly #random: () => number;
  /** start() works once, and not after stop(). */
  #canStart = true;

  constructor(clusters: Iterable<ClusterRuntime>, options: ActiveHealthOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    for (const cluster of clusters) {
      const settings = cluster.config.health.active;
      if (settings === undefined) continue;
      for (const upstream of cluster.upstreams) {
        this.#checks.set(upstream, new BackendCheck(cluster, upstream, settings, options, this.#random));
      }
    }
  }

  /** Backends with checks. */
  get size(): number {
    return this.#checks.size;
  }

  /** Checks under way right now. */
  get inFlight(): number {
    let n = 0;
    for (const check of this.#checks.values()) if (check.inFlight) n++;
    return n;
  }

  /** Starts every backend's schedule. Once only: a stopped checker stays stopped. */
  start(): void {
    if (!this.#canStart) return;
    this.#canStart = false;
    for (const check of this.#checks.values()) {
      check.start(this.#random() * check.settings.intervalMs * FIRST_CHECK_SPREAD);
    }
    if (this.#checks.size > 0) {
      this.#options.log.debug({ backends: this.#checks.size }, 'active health checks started');
    }
  }

  /**
   * Checks `upstream` now instead of at its next turn (its schedule restarts from this check). Returns
   * false, starting nothing, when a check of it is already under way, it is not checked, or the checker
   * was stopped.
   */
  checkNow(upstream: UpstreamState): boolean {
    return this.#checks.get(upstream)?.run() ?? false;
  }

  /** Clears every timer and destroys the checks under way; their results are dropped. */
  stop(): void {
    this.#canStart = false;
    for (const check of this.#checks.values()) check.stop();
  }
}

/** One backend's schedule: at most one check in flight, the next one timed from the last one's end. */
class BackendCheck {
  readonly cluster: ClusterRuntime;
  readonly upstream: UpstreamState;
  readonly settings: ActiveHealthSettings;
  readonly #options: ActiveHealthOptions;
  readonly #random: () => number;
  readonly #request: Buffer;
  readonly #preamble: Buffer | undefined;
  /**
   * Checks dial through a pool of their own with the backend pool's transport settings (TLS, DNS): they
   * never take or return a pooled connection, and never use up a `max_total` slot that traffic needs.
   */
  readonly #pool: UpstreamPool;
  #poolOptionsFrom: PoolOptions;
  #timer: NodeJS.Timeout | undefined = undefined;
  #probe: HealthProbe | undefined = undefined;
  /** Created idle (checks only on demand), running on its schedule after start(), stopped for good. */
  #state: 'idle' | 'running' | 'stopped' = 'idle';

  constructor(
    cluster: ClusterRuntime,
    upstream: UpstreamState,
    settings: ActiveHealthSettings,
    options: ActiveHealthOptions,
    random: () => number,
  ) {
    this.cluster = cluster;
    this.upstream = upstream;
    this.settings = settings;
    this.#options = options;
    this.#random = random;
    const pool = upstream.pool;
    this.#request = Buffer.from(
      `${settings.method} ${settings.path} HTTP/1.1\r\n` +
        `Host: ${settings.host ?? pool.upstreamId}\r\n` +
        'Connection: close\r\n' +
        'User-Agent: junction-health-check\r\n\r\n',
      'latin1',
    );
    const proxyVersion = cluster.config.proxyProtocol;
    // A backend that expects PROXY headers refuses connections without one; checks send LOCAL.
    this.#preamble = proxyVersion === undefined ? undefined : proxyPreamble(proxyVersion, undefined);
    this.#poolOptionsFrom = pool.options;
    this.#pool = new UpstreamPool(pool.host, pool.port, checkPoolOptions(pool.options));
  }

  get inFlight(): boolean {
    return this.#probe !== undefined;
  }

  start(firstDelayMs: number): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    this.#schedule(firstDelayMs);
  }

  run(): boolean {
    if (this.#state === 'stopped' || this.#probe !== undefined) return false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const source = this.upstream.pool.options;
    if (source !== this.#poolOptionsFrom) {
      // The backend's pool was given new settings (a reload): dial the way it now does.
      this.#poolOptionsFrom = source;
      this.#pool.options = checkPoolOptions(source);
    }
    this.#probe = new HealthProbe(
      this.#options.connector,
      this.#pool,
      this.#request,
      this.settings,
      this.#options.limits,
      this.#onResult,
      this.#preamble,
    );
    return true;
  }

  stop(): void {
    this.#state = 'stopped';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#probe?.cancel();
    this.#probe = undefined;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(this.#onTimer, delayMs);
    this.#timer.unref();
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.run();
  };

  readonly #onResult = (result: CheckResult): void => {
    this.#probe = undefined;
    if (this.#state === 'stopped') return;
    const upstream = this.upstream;
    const cluster = this.cluster;
    const event = recordCheck(upstream, result, this.settings);
    if (event === 'marked-down') {
      const reason = describeCheck(result);
      this.#options.log.warn(
        {
          cluster: cluster.name,
          upstream: upstream.id,
          reason,
          status: result.status,
          code: result.errorCode,
          detail: result.message,
        },
        `upstream ${upstream.id} of cluster '${cluster.name}' marked down: ${upstream.checkFailures} health checks in a row failed (last: ${reason})`,
      );
      cluster.membersChanged();
    } else if (event === 'marked-up') {
      this.#options.log.info(
        {
          cluster: cluster.name,
          upstream: upstream.id,
          reason: describeCheck(result),
          status: result.status,
        },
        `upstream ${upstream.id} of cluster '${cluster.name}' marked up: ${upstream.checkSuccesses} health checks in a row passed`,
      );
      cluster.membersChanged();
    }
    this.#options.onCheck?.(cluster, upstream, result, event);
    if (this.#state !== 'running') return;
    const interval = this.settings.intervalMs;
    this.#schedule(interval * (1 - INTERVAL_JITTER + 2 * INTERVAL_JITTER * this.#random()));
  };
}

/** The backend pool's transport settings, without its limits: a check connection is never pooled. */
function checkPoolOptions(options: PoolOptions): PoolOptions {
  return { ...options, maxIdle: 0, maxTotal: 0, maxRequestsPerConnection: 0 };
}

/**
 * One check: connect, send the request, read the response head, close. Settles exactly once, through
 * `done`, unless cancelled first; the whole check, connect included, must finish within `timeoutMs`.
 */
class HealthProbe implements ConnectHandler, UpstreamHandler {
  readonly #request: Buffer;
  readonly #method: string;
  readonly #limits: HeadLimits;
  readonly #done: (result: CheckResult) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #timeoutMs: number;
  #conn: UpstreamChannel | undefined = undefined;
  #received: Buffer | undefined = undefined;
  #settled = false;

  constructor(
    connector: CheckConnector,
    pool: UpstreamPool,
    request: Buffer,
    settings: ActiveHealthSettings,
    limits: HeadLimits,
    done: (result: CheckResult) => void,
    preamble: Buffer | undefined,
  ) {
    this.#request = request;
    this.#method = settings.method;
    this.#limits = limits;
    this.#done = done;
    this.#timeoutMs = settings.timeoutMs;
    this.#timer = setTimeout(this.#onTimeout, settings.timeoutMs);
    this.#timer.unref();
    connector.connect(pool, settings.timeoutMs, this, preamble);
  }

  cancel(): void {
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#conn?.destroy();
  }

  onConnected(conn: UpstreamChannel): void {
    if (this.#settled) {
      conn.destroy();
      return;
    }
    this.#conn = conn;
    conn.attach(this);
    conn.write(this.#request);
  }

  onConnectFailed(error: ConnectError): void {
    this.#finish({ status: 0, errorCode: error.code, message: error.message });
  }

  onUpstreamData(chunk: Buffer): void {
    const received = this.#received === undefined ? chunk : Buffer.concat([this.#received, chunk]);
    this.#received = received;
    let start = 0;
    for (;;) {
      const step = parseResponseHead(received, start, received.length, this.#limits, this.#method);
      if (step.kind === 'need-more') return;
      if (step.kind === 'reject') {
        this.#finish({ status: 0, errorCode: step.error.code, message: step.error.message });
        return;
      }
      const status = step.head.status;
      // An interim 1xx head is followed by the real one.
      if (status >= 200 || status === 101) {
        this.#finish({ status, errorCode: undefined });
        return;
      }
      start += step.consumed;
    }
  }

  onUpstreamEnd(): void {
    this.#closedEarly(undefined);
  }

  onUpstreamClose(error: Error | undefined): void {
    this.#closedEarly(error);
  }

  onUpstreamDrain(): void {
    // The request is a few hundred bytes: it never waits for drain.
  }

  #closedEarly(error: Error | undefined): void {
    const detail = error === undefined ? '' : `: ${error.message}`;
    this.#finish({
      status: 0,
      errorCode: 'JCT_ERR_UPSTREAM_RESET',
      message: `the connection closed before a complete response head${detail}`,
    });
  }

  readonly #onTimeout = (): void => {
    const connected = this.#conn !== undefined;
    this.#finish({
      status: 0,
      errorCode: connected ? 'JCT_ERR_UPSTREAM_TIMEOUT' : 'JCT_ERR_CONNECT_TIMEOUT',
      message: `no ${connected ? 'response head' : 'connection'} within ${this.#timeoutMs} ms`,
    });
  };

  #finish(result: CheckResult): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    // Never pooled: the request asked for Connection: close, and the pool is for traffic.
    this.#conn?.destroy();
    this.#received = undefined;
    this.#done(result);
  }
}
