/**
 * One view of a group of workers: what each worker answers for status, stats, clusters, backends and
 * observations, merged into the answer an operator reads from the admin API and `junction ctl` as if
 * there were one Junction. Pure functions over plain data (what crossed the IPC), no processes.
 *
 * How each kind of value adds up:
 * - Counters and gauges that count things (requests, sessions, connections, bytes, failures) are
 *   summed: the group served what its workers served together.
 * - Config facts (names, addresses, strategies, whether a cluster is checked) are taken once, from the
 *   first worker that has the entry; entries only some workers have (a reload under way) are kept.
 * - Health may differ per worker. Passive health is per worker: each worker judges a backend by its own
 *   traffic, so one can have it ejected while another still sends to it. A backend is `isUp` only when
 *   every worker has it up, `ejected`/`onTrial`/`draining` when any worker has it so, and a
 *   `workers` breakdown shows each worker's view. Active checks run once for the group and every
 *   worker applies their results, so their state agrees across workers; it is merged the same way.
 * - A per-worker section (`workers`) with the worker's number and pid comes with every merged answer.
 */
import type {
  BackendObservation,
  ClusterObservation,
  ClusterStatus,
  KeptRequest,
  ListenerObservation,
  RuntimeStats,
  ServerObservation,
  ServerStatus,
  UpstreamStatus,
} from '../server/index.ts';

/** One worker's answer to a question the primary asked all of them. */
export interface WorkerReport<T> {
  /** The worker's number in the group (as the `worker` metrics label and the admin API show it). */
  readonly worker: number;
  readonly pid: number;
  readonly value: T;
}

/** Which worker an entry of a per-worker section is. */
export interface WorkerId {
  readonly worker: number;
  readonly pid: number;
}

// ---------------------------------------------------------------------------------------------------
// Status

/** The group's status: the oldest config still serving, with each worker's version and hash. */
export interface GroupStatus extends ServerStatus {
  /** Every worker serves the same config (same hash). False while a reload is being applied. */
  readonly consistent: boolean;
  readonly workers: readonly (WorkerId &
    Pick<ServerStatus, 'version' | 'hash' | 'appliedAt' | 'startedAt' | 'sessions' | 'closing'>)[];
}

/**
 * Version, hash, source and applied time are the oldest worker's (the lowest version), so a reload
 * half applied shows the config some traffic still sees; `consistent` says whether all agree.
 * Sessions are summed; reload counts are the most any worker has (every worker applies every reload,
 * so a sum would count each reload once per worker); `closing` once any worker closes.
 */
export function mergeStatus(reports: readonly WorkerReport<ServerStatus>[]): GroupStatus {
  const status = groupStatus(reports);
  return {
    ...status,
    consistent: reports.every((r) => r.value.hash === status.hash),
    workers: reports.map(({ worker, pid, value }) => ({
      worker,
      pid,
      version: value.version,
      hash: value.hash,
      appliedAt: value.appliedAt,
      startedAt: value.startedAt,
      sessions: value.sessions,
      closing: value.closing,
    })),
  };
}

function groupStatus(reports: readonly WorkerReport<ServerStatus>[]): ServerStatus {
  const oldest = requireReports(reports).reduce((a, b) => (b.value.version < a.value.version ? b : a));
  const values = reports.map((r) => r.value);
  return {
    version: oldest.value.version,
    hash: oldest.value.hash,
    source: oldest.value.source,
    appliedAt: oldest.value.appliedAt,
    startedAt: Math.min(...values.map((v) => v.startedAt)),
    sessions: sum(values, (v) => v.sessions),
    reloadsApplied: Math.max(...values.map((v) => v.reloadsApplied)),
    reloadsRefused: Math.max(...values.map((v) => v.reloadsRefused)),
    closing: values.some((v) => v.closing),
    lastReload: oldest.value.lastReload,
  };
}

// ---------------------------------------------------------------------------------------------------
// Stats

/** What a worker answers for `stats`: its resource counters and, when it measured it, its memory. */
export interface WorkerRuntimeStats extends RuntimeStats {
  /** The worker process's resident set size (process.memoryUsage.rss()), in bytes. */
  readonly rss?: number;
}

/**
 * The group's resource counters: each one summed, and each worker's own (with its memory when it
 * reported it; the group's memory, the primary's included, is the group status's).
 */
export interface GroupStats extends RuntimeStats {
  readonly workers: readonly (WorkerId & WorkerRuntimeStats)[];
}

/**
 * Every RuntimeStats field and how the group's value is made of the workers': all are sums (a new
 * field fails to compile until it says how it adds up).
 */
const STATS_FIELDS: Readonly<Record<keyof RuntimeStats, 'sum'>> = {
  sessions: 'sum',
  headBuffersInUse: 'sum',
  headBuffersFree: 'sum',
  headBuffersCapacity: 'sum',
  headBufferFallbacks: 'sum',
  upstreamConnectionsOpen: 'sum',
  upstreamConnectionsIdle: 'sum',
  upstreamConnectionsConnecting: 'sum',
  upstreamInFlight: 'sum',
  deadlinesFired: 'sum',
  zombiesClosed: 'sum',
  connectionsAccepted: 'sum',
  acceptQueued: 'sum',
  acceptQueueDropped: 'sum',
  refusedPerClient: 'sum',
  tlsHandshakesInProgress: 'sum',
  tlsHandshakes: 'sum',
  tlsHandshakeFailures: 'sum',
  tlsHandshakeTimeouts: 'sum',
};

export function mergeStats(reports: readonly WorkerReport<WorkerRuntimeStats>[]): GroupStats {
  const totals: Record<string, number> = {};
  for (const field of Object.keys(STATS_FIELDS) as (keyof RuntimeStats)[]) {
    totals[field] = sum(reports, (r) => r.value[field]);
  }
  return {
    ...(totals as unknown as RuntimeStats),
    workers: reports.map(({ worker, pid, value }) => ({ worker, pid, ...value })),
  };
}

/** A worker's answer to `stats`, with its memory: what the worker side sends for mergeStats(). */
export function workerRuntimeStats(stats: RuntimeStats, rss: number): WorkerRuntimeStats {
  return { ...stats, rss };
}

// ---------------------------------------------------------------------------------------------------
// Clusters

/** One worker's view of a cluster. */
export type WorkerClusterView = WorkerId &
  Pick<ClusterStatus, 'backendsUp' | 'panic' | 'requests' | 'retries' | 'retriesRefused'>;

export interface GroupClusterStatus extends ClusterStatus {
  readonly workers: readonly WorkerClusterView[];
}

/**
 * Name, strategy and backend count once; requests and retries summed; `backendsUp` the fewest any
 * worker has up (what every worker can count on), `panic` when any worker is in panic mode.
 */
export function mergeClusters(
  reports: readonly WorkerReport<readonly ClusterStatus[]>[],
): GroupClusterStatus[] {
  return groupEntries(reports, (c) => c.name).map(({ first, views }) => ({
    ...first,
    backendsUp: Math.min(...views.map((v) => v.value.backendsUp)),
    panic: views.some((v) => v.value.panic),
    requests: sum(views, (v) => v.value.requests),
    retries: sum(views, (v) => v.value.retries),
    retriesRefused: sum(views, (v) => v.value.retriesRefused),
    workers: views.map(({ worker, pid, value }) => ({
      worker,
      pid,
      backendsUp: value.backendsUp,
      panic: value.panic,
      requests: value.requests,
      retries: value.retries,
      retriesRefused: value.retriesRefused,
    })),
  }));
}

// ---------------------------------------------------------------------------------------------------
// Upstreams

/** One worker's view of a backend: its health there (passive health is per worker) and its traffic. */
export type WorkerUpstreamView = WorkerId &
  Pick<
    UpstreamStatus,
    | 'isUp'
    | 'draining'
    | 'ejected'
    | 'ejectedForMs'
    | 'onTrial'
    | 'ejectionReason'
    | 'activeUp'
    | 'inFlight'
    | 'requests'
    | 'failures'
    | 'consecutiveFailures'
    | 'connectionsOpen'
  >;

export interface GroupUpstreamStatus extends UpstreamStatus {
  /** Workers that have the backend up (`isUp` is true when this is every worker). */
  readonly upInWorkers: number;
  readonly workers: readonly WorkerUpstreamView[];
}

/**
 * By cluster and id. Health: up only when up in every worker; ejected, on trial or draining when any
 * worker has it so (the soonest trial and the first reason shown); active checks' state from the
 * worker that has applied the most checks (they agree, one check behind at most). Traffic and pool
 * counters summed; `consecutiveFailures` the most in any worker (it counts per worker's traffic).
 */
export function mergeUpstreams(
  reports: readonly WorkerReport<readonly UpstreamStatus[]>[],
): GroupUpstreamStatus[] {
  return groupEntries(reports, (u) => `${u.cluster}\u0000${u.id}`).map(({ first, views }) => {
    const values = views.map((v) => v.value);
    const ejected = values.filter((v) => v.ejected);
    const latestCheck = values.reduce((a, b) => (b.checks > a.checks ? b : a));
    const upInWorkers = values.filter((v) => v.isUp).length;
    return {
      cluster: first.cluster,
      id: first.id,
      address: first.address,
      isUp: upInWorkers === values.length,
      draining: values.some((v) => v.draining),
      ejected: ejected.length > 0,
      ejectedForMs: ejected.length === 0 ? 0 : Math.min(...ejected.map((v) => v.ejectedForMs)),
      onTrial: values.some((v) => v.onTrial),
      ejectionReason: values.find((v) => v.ejectionReason !== '')?.ejectionReason ?? '',
      checked: first.checked,
      activeUp: values.every((v) => v.activeUp),
      checks: latestCheck.checks,
      lastCheckStatus: latestCheck.lastCheckStatus,
      lastCheckError: latestCheck.lastCheckError,
      checkSuccesses: latestCheck.checkSuccesses,
      checkFailures: latestCheck.checkFailures,
      inFlight: sum(values, (v) => v.inFlight),
      requests: sum(values, (v) => v.requests),
      failures: sum(values, (v) => v.failures),
      consecutiveFailures: Math.max(...values.map((v) => v.consecutiveFailures)),
      connectionsOpen: sum(values, (v) => v.connectionsOpen),
      connectionsIdle: sum(values, (v) => v.connectionsIdle),
      connectionsOpened: sum(values, (v) => v.connectionsOpened),
      connectionReuses: sum(values, (v) => v.connectionReuses),
      connectFailures: sum(values, (v) => v.connectFailures),
      poolExhausted: sum(values, (v) => v.poolExhausted),
      upInWorkers,
      workers: views.map(({ worker, pid, value }) => ({
        worker,
        pid,
        isUp: value.isUp,
        draining: value.draining,
        ejected: value.ejected,
        ejectedForMs: value.ejectedForMs,
        onTrial: value.onTrial,
        ejectionReason: value.ejectionReason,
        activeUp: value.activeUp,
        inFlight: value.inFlight,
        requests: value.requests,
        failures: value.failures,
        consecutiveFailures: value.consecutiveFailures,
        connectionsOpen: value.connectionsOpen,
      })),
    };
  });
}

// ---------------------------------------------------------------------------------------------------
// Observations

/**
 * The workers' observations as one, for reading (status pages, tests): listeners, clusters, backends
 * and rule stats by name with their counts summed, health merged as mergeUpstreams() does, the status
 * as mergeStatus() makes it. The `counters` objects are fresh: an observation that crossed the IPC
 * holds no identity a reader could follow across reloads, so Prometheus totals are made in each
 * worker (metrics/worker-metrics.ts) and merged by metrics/group-metrics.ts, not from this.
 */
export function mergeObservations(reports: readonly WorkerReport<ServerObservation>[]): ServerObservation {
  requireReports(reports);
  const listeners = groupEntries(
    reports.map((r) => ({ ...r, value: r.value.listeners })),
    (l) => l.name,
  ).map(({ first, views }): ListenerObservation => {
    const values = views.map((v) => v.value);
    const tls = values.flatMap((v) => (v.tls === undefined ? [] : [v.tls]));
    return {
      name: first.name,
      scheme: first.scheme,
      counters: {},
      open: sum(values, (v) => v.open),
      queued: sum(values, (v) => v.queued),
      accepted: sum(values, (v) => v.accepted),
      droppedFromQueue: sum(values, (v) => v.droppedFromQueue),
      refusedPerClient: sum(values, (v) => v.refusedPerClient),
      tls:
        tls.length === 0
          ? undefined
          : {
              inProgress: sum(tls, (t) => t.inProgress),
              completed: sum(tls, (t) => t.completed),
              failed: sum(tls, (t) => t.failed),
              timedOut: sum(tls, (t) => t.timedOut),
              completedByVersion: sumRecords(tls.map((t) => t.completedByVersion)),
            },
    };
  });
  const clusters = groupEntries(
    reports.map((r) => ({ ...r, value: r.value.clusters })),
    (c) => c.name,
  ).map(({ first, views }): ClusterObservation => {
    const values = views.map((v) => v.value);
    return {
      name: first.name,
      counters: {},
      requests: sum(values, (v) => v.requests),
      retries: sum(values, (v) => v.retries),
      retriesRefused: sum(values, (v) => v.retriesRefused),
    };
  });
  const backends = groupEntries(
    reports.map((r) => ({ ...r, value: r.value.backends })),
    (b) => `${b.cluster}\u0000${b.id}`,
  ).map(({ first, views }): BackendObservation => {
    const values = views.map((v) => v.value);
    const pools = values.map((v) => v.pool);
    return {
      cluster: first.cluster,
      id: first.id,
      counters: {},
      up: values.every((v) => v.up),
      ejected: values.some((v) => v.ejected),
      ejections: sum(values, (v) => v.ejections),
      onTrial: values.some((v) => v.onTrial),
      draining: values.some((v) => v.draining),
      checked: first.checked,
      activeUp: values.every((v) => v.activeUp),
      checks: Math.max(...values.map((v) => v.checks)),
      inFlight: sum(values, (v) => v.inFlight),
      attempts: sum(values, (v) => v.attempts),
      failures: sum(values, (v) => v.failures),
      pool: {
        counters: {},
        open: sum(pools, (p) => p.open),
        idle: sum(pools, (p) => p.idle),
        connecting: sum(pools, (p) => p.connecting),
        opened: sum(pools, (p) => p.opened),
        reuses: sum(pools, (p) => p.reuses),
        connectFailures: sum(pools, (p) => p.connectFailures),
        exhausted: sum(pools, (p) => p.exhausted),
      },
    };
  });
  const ruleStats = groupEntries(
    reports.map((r) => ({ ...r, value: r.value.ruleStats })),
    (s) => s.name,
  ).map(({ first, views }) => ({ name: first.name, value: sum(views, (v) => v.value.value) }));
  return {
    status: groupStatus(reports.map((r) => ({ ...r, value: r.value.status }))),
    listeners,
    clusters,
    backends,
    deadlinesFired: sum(reports, (r) => r.value.deadlinesFired),
    zombiesClosed: sum(reports, (r) => r.value.zombiesClosed),
    ruleStats,
  };
}

// ---------------------------------------------------------------------------------------------------

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}

function requireReports<T>(reports: readonly WorkerReport<T>[]): readonly WorkerReport<T>[] {
  if (reports.length === 0) throw new RangeError('nothing to merge: no worker answered');
  return reports;
}

/**
 * The entries of every worker's list grouped by key, in the order first seen: each with the first
 * worker's entry (for the facts taken once) and every worker's entry with its worker.
 */
function groupEntries<E>(
  reports: readonly WorkerReport<readonly E[]>[],
  key: (entry: E) => string,
): { first: E; views: WorkerReport<E>[] }[] {
  const groups = new Map<string, { first: E; views: WorkerReport<E>[] }>();
  for (const { worker, pid, value } of reports) {
    for (const entry of value) {
      const k = key(entry);
      const view = { worker, pid, value: entry };
      const group = groups.get(k);
      if (group === undefined) groups.set(k, { first: entry, views: [view] });
      else group.views.push(view);
    }
  }
  return [...groups.values()];
}

/** Counts by key, summed across workers (a key one worker never saw counts 0 there). */
function sumRecords(records: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const record of records) {
    for (const [key, count] of Object.entries(record)) total[key] = (total[key] ?? 0) + count;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------------
// Kept requests

/**
 * Every worker's kept request heads (each list newest first) as one list, newest first, the `capacity`
 * newest kept: the group keeps what one process with the same `explain.keep_requests` would. Null
 * when no worker keeps any (the ring is off).
 */
export function mergeRecentRequests(
  reports: readonly WorkerReport<readonly KeptRequest[] | null>[],
  capacity: number,
): KeptRequest[] | null {
  const lists = reports.map((r) => r.value).filter((v): v is readonly KeptRequest[] => v !== null);
  if (lists.length === 0) return null;
  // Stable: heads of one millisecond keep their worker's order.
  return lists
    .flat()
    .sort((a, b) => b.time - a.time)
    .slice(0, capacity);
}
