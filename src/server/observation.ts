/**
 * A read of every counter and gauge the running server already keeps, by config name, for the metrics
 * endpoint: listeners' connections and handshakes, clusters' retry counters, backends' health, attempts
 * and pools, the config in force and the rule language's stats. Nothing here is counted per request: it
 * walks the current snapshot and the bound listeners when asked (at a scrape), so it costs the hot path
 * nothing.
 *
 * Counters live on objects a reload may replace (a rebound listener, a changed cluster's runtime, a
 * changed backend's state). Each group of counters therefore names the object that holds it
 * (`counters`): when that object is a different one, the counts started again from 0, and a reader
 * that exports totals (metrics/) adds the old object's last counts to keep them monotonic.
 */
import { observeCache, type CacheObservation } from '../cache/index.ts';
import type { Listener } from '../listener/index.ts';
import type { ClusterRuntime } from '../router/index.ts';
import type { RuntimeSnapshot } from '../transaction/index.ts';
import type { ServerStatus } from './reload.ts';

export interface ListenerObservation {
  readonly name: string;
  readonly scheme: 'http' | 'https' | 'tcp';
  /** Who holds the counters below; a different object means they restarted from 0. */
  readonly counters: object;
  /** Connections holding a slot now (sessions, and TLS handshakes under way). */
  readonly open: number;
  /** Waiting in the accept queue now. */
  readonly queued: number;
  /** Sockets accepted, in all. */
  readonly accepted: number;
  /** Dropped from the accept queue (full, or waited past `accept_queue_timeout`), in all. */
  readonly droppedFromQueue: number;
  /** Refused because the client had `max_connections_per_client` sessions, in all. */
  readonly refusedPerClient: number;
  /** HTTPS listeners only: handshakes under way now, and done, failed, timed out in all. */
  readonly tls:
    | {
        readonly inProgress: number;
        readonly completed: number;
        readonly failed: number;
        readonly timedOut: number;
        /** By negotiated version; plain data, so it crosses process boundaries as JSON. */
        readonly completedByVersion: Readonly<Record<string, number>>;
      }
    | undefined;
}

export interface ClusterObservation {
  readonly name: string;
  /** Who holds the counters below (the cluster's retry budget). */
  readonly counters: object;
  /** Requests that entered the cluster (first attempts), retries granted, retries the budget refused. */
  readonly requests: number;
  readonly retries: number;
  readonly retriesRefused: number;
}

export interface PoolObservation {
  /** The pool (by address and transport; backends of several clusters may share one). */
  readonly counters: object;
  readonly open: number;
  readonly idle: number;
  readonly connecting: number;
  readonly opened: number;
  readonly reuses: number;
  readonly connectFailures: number;
  readonly exhausted: number;
}

export interface BackendObservation {
  readonly cluster: string;
  readonly id: string;
  /** Who holds the health counters below (the backend's state, kept by reloads while it is unchanged). */
  readonly counters: object;
  readonly up: boolean;
  readonly ejected: boolean;
  /** Times passive health ejected it, in all. */
  readonly ejections: number;
  readonly onTrial: boolean;
  readonly draining: boolean;
  /** Whether its cluster has active health checks, and whether they have it up. */
  readonly checked: boolean;
  readonly activeUp: boolean;
  readonly checks: number;
  readonly inFlight: number;
  /** Finished attempts, and those that failed. */
  readonly attempts: number;
  readonly failures: number;
  readonly pool: PoolObservation;
}

export interface ServerObservation {
  readonly status: ServerStatus;
  readonly listeners: readonly ListenerObservation[];
  readonly clusters: readonly ClusterObservation[];
  readonly backends: readonly BackendObservation[];
  /** Session deadlines the sweep fired, and zombie sessions it closed, in all. */
  readonly deadlinesFired: number;
  readonly zombiesClosed: number;
  /** The rule language's `stat-define` counters, by name. */
  readonly ruleStats: readonly { readonly name: string; readonly value: number }[];
  /** The HTTP cache; absent when no route caches (and in a group's merged view, for now). */
  readonly cache?: CacheObservation | undefined;
}

/** The server's private state observe() reads. */
export interface ObservedState {
  readonly status: ServerStatus;
  readonly snapshot: RuntimeSnapshot;
  readonly listeners: Iterable<Listener>;
  readonly deadlinesFired: number;
  readonly zombiesClosed: number;
}

export function observe(state: ObservedState): ServerObservation {
  const listeners: ListenerObservation[] = [];
  for (const listener of state.listeners) listeners.push(observeListener(listener));
  const clusters: ClusterObservation[] = [];
  const backends: BackendObservation[] = [];
  for (const cluster of state.snapshot.clusters.values()) {
    clusters.push({
      name: cluster.name,
      counters: cluster.retryBudget,
      requests: cluster.retryBudget.requests,
      retries: cluster.retryBudget.retries,
      retriesRefused: cluster.retryBudget.retriesRefused,
    });
    observeBackends(cluster, backends);
  }
  const rules = state.snapshot.config.rules;
  return {
    status: state.status,
    listeners,
    clusters,
    backends,
    deadlinesFired: state.deadlinesFired,
    zombiesClosed: state.zombiesClosed,
    ruleStats:
      rules === undefined ? [] : rules.resources.stats().map((s) => ({ name: s.name, value: s.value })),
    cache: observeCache(state.snapshot.cache),
  };
}

function observeListener(listener: Listener): ListenerObservation {
  const tls = listener.tls?.counters;
  return {
    name: listener.config.name,
    scheme: listener.config.tcp !== undefined ? 'tcp' : listener.tls === null ? 'http' : 'https',
    counters: listener,
    open: listener.active,
    queued: listener.queued,
    accepted: listener.accepted,
    droppedFromQueue: listener.droppedFromQueue,
    refusedPerClient: listener.refusedPerClient,
    tls:
      tls === undefined
        ? undefined
        : {
            inProgress: tls.inProgress,
            completed: tls.completed,
            failed: tls.failed,
            timedOut: tls.timedOut,
            completedByVersion: Object.fromEntries(tls.completedByVersion),
          },
  };
}

function observeBackends(cluster: ClusterRuntime, out: BackendObservation[]): void {
  const checked = cluster.config.health.active !== undefined;
  for (const u of cluster.upstreams) {
    const pool = u.pool;
    out.push({
      cluster: cluster.name,
      id: u.id,
      counters: u,
      up: u.isUp,
      ejected: u.passiveDown,
      ejections: u.ejectionsTotal,
      onTrial: u.onTrial,
      draining: u.draining,
      checked,
      activeUp: !u.activeDown,
      checks: u.checks,
      inFlight: u.inFlight,
      attempts: u.requests,
      failures: u.failures,
      pool: {
        counters: pool,
        open: pool.openCount,
        idle: pool.idleCount,
        connecting: pool.connectingCount,
        opened: pool.connectsOpened,
        reuses: pool.reuses,
        connectFailures: pool.connectFailures,
        exhausted: pool.exhausted,
      },
    });
  }
}
