/**
 * The status records a running server reports: its listeners, clusters, backends and resource counters,
 * as `JunctionServer.listeners`, `clusters()`, `upstreams()` and `stats()` return them. Types only:
 * how they are filled in is introspection.ts's; the config's version and reloads are reload.ts's
 * (`ServerStatus`, `ReloadResult`, re-exported here).
 */
import type { JunctionConfig } from '../config/types.ts';
import type { ErrorCode } from '../errors/index.ts';
import type { ServerStatus } from './reload.ts';

/** One cluster's strategy and retry counters, as `JunctionServer.clusters()` reports them. */
export interface ClusterStatus {
  readonly name: string;
  /** The cluster's strategy name and kind. */
  readonly strategy: string;
  readonly strategyKind: string;
  readonly backends: number;
  /** Healthy backends: neither passive nor active health has them down, nor are they draining. */
  readonly backendsUp: number;
  /** Panic mode: fewer than `health.panic_threshold` of its backends are healthy, so all are picked. */
  readonly panic: boolean;
  /** Requests that entered the cluster (first attempts), retries granted, retries the budget refused. */
  readonly requests: number;
  readonly retries: number;
  readonly retriesRefused: number;
}

export interface BoundListener {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** `https` on a listener that terminates TLS. */
  readonly scheme: 'http' | 'https' | 'tcp';
}

/** One backend's health and counters, as `JunctionServer.upstreams()` reports them. */
export interface UpstreamStatus {
  readonly cluster: string;
  readonly id: string;
  readonly address: string;
  /**
   * Healthy: neither passive health nor active checks have it down, nor is it draining. Strategies
   * pick among the healthy backends, or among all not draining while the cluster is in panic mode.
   */
  readonly isUp: boolean;
  /** Being drained: no new picks, and removed once its attempts under way finish. */
  readonly draining: boolean;

  /** Passive health has it ejected. */
  readonly ejected: boolean;
  /** When an ejected upstream gets its trial, in ms from now; 0 when it is not ejected. */
  readonly ejectedForMs: number;
  /** Back in rotation after an ejection, waiting for one request to prove itself. */
  readonly onTrial: boolean;
  /** Why it was last ejected (`3 consecutive failures`, …); '' if it never was. */
  readonly ejectionReason: string;

  /** Its cluster has active health checks. */
  readonly checked: boolean;
  /** Active checks have it up (always true when it is not checked). */
  readonly activeUp: boolean;
  /** Checks finished so far. */
  readonly checks: number;
  /** The last check's response status; 0 if it got none (or none has run). */
  readonly lastCheckStatus: number;
  /** Why the last check got no usable response (a connect error, a reset, a timeout, a malformed head). */
  readonly lastCheckError: ErrorCode | undefined;
  /** Checks in a row that passed, and that failed (one of the two is 0). */
  readonly checkSuccesses: number;
  readonly checkFailures: number;

  readonly inFlight: number;
  /** Finished attempts, failed attempts, and failures in a row. */
  readonly requests: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  /** Pooled connections: open now, idle now, opened in all, reused in all. */
  readonly connectionsOpen: number;
  readonly connectionsIdle: number;
  readonly connectionsOpened: number;
  readonly connectionReuses: number;
  /** Connect attempts that failed, and asks refused because the pool was at `max_total`. */
  readonly connectFailures: number;
  readonly poolExhausted: number;
}

/**
 * Resource counters, as `JunctionServer.stats()` reports them: what a connection holds while it lives and
 * must give back when it ends, for leak checks (the abort-storm test) and dashboards.
 */
export interface RuntimeStats {
  /** Client connections with a live session. */
  readonly sessions: number;
  /** Head buffers: slices of the pre-allocated region in use and free, and its capacity. */
  readonly headBuffersInUse: number;
  readonly headBuffersFree: number;
  readonly headBuffersCapacity: number;
  /** acquire() calls that found the region empty and allocated instead, in all. */
  readonly headBufferFallbacks: number;
  /** Over every backend's pool: connections open (idle or leased), idle, and being connected. */
  readonly upstreamConnectionsOpen: number;
  readonly upstreamConnectionsIdle: number;
  readonly upstreamConnectionsConnecting: number;
  /** Attempts under way over every backend (each holds or awaits a leased connection). */
  readonly upstreamInFlight: number;
  /** Session deadlines the sweep fired (idle and head timeouts, slow bodies, silent upstreams), in all. */
  readonly deadlinesFired: number;
  /**
   * Sessions the zombie checker closed: still open well past a deadline that already fired, so their
   * own timeout handling did not end them. In a healthy run this stays 0.
   */
  readonly zombiesClosed: number;
  /** Over every listener: sockets accepted in all, waiting in accept queues now, and dropped from them
   * (queue full or waited past `accept_queue_timeout`), and refused with 429 by a per-client cap. */
  readonly connectionsAccepted: number;
  readonly acceptQueued: number;
  readonly acceptQueueDropped: number;
  readonly refusedPerClient: number;
  /** Over every HTTPS listener: handshakes under way now, done, failed, and closed at `handshake_timeout`. */
  readonly tlsHandshakesInProgress: number;
  readonly tlsHandshakes: number;
  readonly tlsHandshakeFailures: number;
  readonly tlsHandshakeTimeouts: number;
}

export type { LastReload, ReloadResult, ServerStatus } from './reload.ts';

/** A value, or a promise of it: what a group of workers answers after asking each of them. */
export type Answer<T> = T | Promise<T>;

/**
 * What a running Junction reports of itself, as the admin API and the dashboard read it. A
 * JunctionServer answers at once; a group of workers asks each worker and merges (possibly a promise).
 * `config` and `listeners` are synchronous: the config is validated where the reader runs, and the
 * listeners are bound from it.
 */
export interface StatusReadings {
  /** The validated config in force now (the one every worker serves). */
  readonly config: JunctionConfig;
  /** The listeners bound now, by name. */
  readonly listeners: readonly BoundListener[];
  /** The config's version, hash and source; `closing` once shutting down. */
  status(): Answer<ServerStatus>;
  /** Resource counters (sessions, buffers, connections): summed over workers for a group. */
  stats(): Answer<RuntimeStats>;
  /** Every cluster with its strategy and counters; a group may add a per-worker breakdown. */
  clusters(): Answer<readonly ClusterStatus[]>;
  /** Every backend with its health and counters; a group may add a per-worker breakdown. */
  upstreams(): Answer<readonly UpstreamStatus[]>;
}
