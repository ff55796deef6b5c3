/**
 * The metrics read from the running server at each scrape: one definition per metric, its labels, and
 * how it reads a ServerObservation. Labels are config names (listener, cluster, backend id, stat name)
 * and small fixed sets (`reason`, `result`, `state`), never request values.
 */
import type { ServerObservation } from '../server/index.ts';

export type MetricType = 'counter' | 'gauge';

/**
 * Reports one series. `counters` is the object holding a counter's count (see CarriedTotals); gauges
 * pass none.
 */
export type Emit = (labels: Readonly<Record<string, string>>, value: number, counters?: object) => void;

export interface ServerMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labels: readonly string[];
  read(observation: ServerObservation, emit: Emit): void;
}

const bit = (value: boolean): number => (value ? 1 : 0);

const LISTENER_METRICS: readonly ServerMetric[] = [
  {
    name: 'junction_listener_connections_open',
    help: 'Client connections holding a slot of the listener now (sessions and TLS handshakes).',
    type: 'gauge',
    labels: ['listener'],
    read: (o, emit) => {
      for (const l of o.listeners) emit({ listener: l.name }, l.open);
    },
  },
  {
    name: 'junction_listener_connections_queued',
    help: 'Client connections waiting in the accept queue now (the listener is at max_connections).',
    type: 'gauge',
    labels: ['listener'],
    read: (o, emit) => {
      for (const l of o.listeners) emit({ listener: l.name }, l.queued);
    },
  },
  {
    name: 'junction_listener_connections_accepted_total',
    help: 'Client connections accepted from the kernel.',
    type: 'counter',
    labels: ['listener'],
    read: (o, emit) => {
      for (const l of o.listeners) emit({ listener: l.name }, l.accepted, l.counters);
    },
  },
  {
    name: 'junction_listener_connections_refused_total',
    help:
      'Client connections closed without being served: dropped from a full or expired accept queue ' +
      '(accept_queue), or over max_connections_per_client (per_client_limit).',
    type: 'counter',
    labels: ['listener', 'reason'],
    read: (o, emit) => {
      for (const l of o.listeners) {
        emit({ listener: l.name, reason: 'accept_queue' }, l.droppedFromQueue, l.counters);
        emit({ listener: l.name, reason: 'per_client_limit' }, l.refusedPerClient, l.counters);
      }
    },
  },
  {
    name: 'junction_tls_handshakes_in_progress',
    help: 'TLS handshakes under way now on an HTTPS listener.',
    type: 'gauge',
    labels: ['listener'],
    read: (o, emit) => {
      for (const l of o.listeners) if (l.tls !== undefined) emit({ listener: l.name }, l.tls.inProgress);
    },
  },
  {
    name: 'junction_tls_handshakes_total',
    help: 'TLS handshakes on an HTTPS listener by result: completed, failed, or timeout (handshake_timeout).',
    type: 'counter',
    labels: ['listener', 'result'],
    read: (o, emit) => {
      for (const l of o.listeners) {
        if (l.tls === undefined) continue;
        emit({ listener: l.name, result: 'completed' }, l.tls.completed, l.counters);
        emit({ listener: l.name, result: 'failed' }, l.tls.failed, l.counters);
        emit({ listener: l.name, result: 'timeout' }, l.tls.timedOut, l.counters);
      }
    },
  },
  {
    name: 'junction_tls_handshake_versions_total',
    help: 'Completed TLS handshakes on an HTTPS listener by negotiated protocol version (TLSv1.3, TLSv1.2).',
    type: 'counter',
    labels: ['listener', 'version'],
    read: (o, emit) => {
      for (const l of o.listeners) {
        if (l.tls === undefined) continue;
        for (const [version, count] of Object.entries(l.tls.completedByVersion)) {
          emit({ listener: l.name, version }, count, l.counters);
        }
      }
    },
  },
];

const CLUSTER_METRICS: readonly ServerMetric[] = [
  {
    name: 'junction_cluster_requests_total',
    help: "Requests (and TCP sessions) that entered the cluster: first attempts, which the retry budget's ratio applies to.",
    type: 'counter',
    labels: ['cluster'],
    read: (o, emit) => {
      for (const c of o.clusters) emit({ cluster: c.name }, c.requests, c.counters);
    },
  },
  {
    name: 'junction_cluster_retries_total',
    help: "Retries the cluster's retry budget granted (a request's first retry after a failed connect is exempt from the budget and not counted).",
    type: 'counter',
    labels: ['cluster'],
    read: (o, emit) => {
      for (const c of o.clusters) emit({ cluster: c.name }, c.retries, c.counters);
    },
  },
  {
    name: 'junction_cluster_retries_refused_total',
    help: 'Retries the retry budget refused.',
    type: 'counter',
    labels: ['cluster'],
    read: (o, emit) => {
      for (const c of o.clusters) emit({ cluster: c.name }, c.retriesRefused, c.counters);
    },
  },
];

const BACKEND = ['cluster', 'backend'] as const;

/** A 0/1 gauge per backend. */
function backendFlag(
  name: string,
  help: string,
  flag: (b: ServerObservation['backends'][number]) => boolean | undefined,
): ServerMetric {
  return {
    name,
    help,
    type: 'gauge',
    labels: BACKEND,
    read: (o, emit) => {
      for (const b of o.backends) {
        const value = flag(b);
        if (value !== undefined) emit({ cluster: b.cluster, backend: b.id }, bit(value));
      }
    },
  };
}

/** A counter per backend, held by its state or by its pool. */
function backendCounter(
  name: string,
  help: string,
  read: (b: ServerObservation['backends'][number]) => [count: number, counters: object] | undefined,
): ServerMetric {
  return {
    name,
    help,
    type: 'counter',
    labels: BACKEND,
    read: (o, emit) => {
      for (const b of o.backends) {
        const value = read(b);
        if (value !== undefined) emit({ cluster: b.cluster, backend: b.id }, value[0], value[1]);
      }
    },
  };
}

const BACKEND_METRICS: readonly ServerMetric[] = [
  backendFlag(
    'junction_backend_up',
    'Whether strategies may pick the backend: 1 unless passive health, active checks or a drain has it out.',
    (b) => b.up,
  ),
  backendFlag(
    'junction_backend_ejected',
    'Whether passive health has the backend ejected.',
    (b) => b.ejected,
  ),
  backendFlag(
    'junction_backend_on_trial',
    'Whether the backend is back after an ejection and waiting for one request to prove itself.',
    (b) => b.onTrial,
  ),
  backendFlag('junction_backend_draining', 'Whether the backend is being drained.', (b) => b.draining),
  backendFlag(
    'junction_backend_check_up',
    'Whether active health checks have the backend up (clusters with active checks only).',
    (b) => (b.checked ? b.activeUp : undefined),
  ),
  backendCounter(
    'junction_backend_checks_total',
    'Active health checks finished (clusters with active checks only).',
    (b) => (b.checked ? [b.checks, b.counters] : undefined),
  ),
  {
    name: 'junction_backend_attempts_in_flight',
    help: 'Attempts under way to the backend now.',
    type: 'gauge',
    labels: BACKEND,
    read: (o, emit) => {
      for (const b of o.backends) emit({ cluster: b.cluster, backend: b.id }, b.inFlight);
    },
  },
  backendCounter(
    'junction_backend_ejections_total',
    'Times passive health ejected the backend (outlier detection), in all.',
    (b) => [b.ejections, b.counters],
  ),
  backendCounter('junction_backend_attempts_total', 'Attempts to the backend that finished.', (b) => [
    b.attempts,
    b.counters,
  ]),
  backendCounter(
    'junction_backend_attempt_failures_total',
    "Finished attempts that failed by the backend's fault (connect, TLS, reset, timeout, invalid response).",
    (b) => [b.failures, b.counters],
  ),
  {
    name: 'junction_backend_connections',
    help: "Connections in the backend's pool now, by state: idle, busy (leased), connecting.",
    type: 'gauge',
    labels: [...BACKEND, 'state'],
    read: (o, emit) => {
      for (const b of o.backends) {
        const p = b.pool;
        emit({ cluster: b.cluster, backend: b.id, state: 'idle' }, p.idle);
        emit({ cluster: b.cluster, backend: b.id, state: 'busy' }, p.open - p.idle);
        emit({ cluster: b.cluster, backend: b.id, state: 'connecting' }, p.connecting);
      }
    },
  },
  backendCounter(
    'junction_backend_connections_opened_total',
    "Connections the backend's pool opened.",
    (b) => [b.pool.opened, b.pool.counters],
  ),
  backendCounter(
    'junction_backend_connection_reuses_total',
    "Times the backend's pool handed out an idle connection again.",
    (b) => [b.pool.reuses, b.pool.counters],
  ),
  backendCounter(
    'junction_backend_connect_failures_total',
    'Connect attempts (TCP, DNS, TLS) to the backend that failed.',
    (b) => [b.pool.connectFailures, b.pool.counters],
  ),
  backendCounter(
    'junction_backend_pool_exhausted_total',
    "Asks refused because the backend's pool was at max_total.",
    (b) => [b.pool.exhausted, b.pool.counters],
  ),
];

const SERVER_METRICS: readonly ServerMetric[] = [
  {
    name: 'junction_config_version',
    help: 'The running config version: 1 at start, plus one per applied reload.',
    type: 'gauge',
    labels: [],
    read: (o, emit) => {
      emit({}, o.status.version);
    },
  },
  {
    name: 'junction_config_info',
    help: "The running config's content hash, as a label (always 1).",
    type: 'gauge',
    labels: ['hash'],
    read: (o, emit) => {
      emit({ hash: o.status.hash }, 1);
    },
  },
  {
    name: 'junction_config_last_reload_timestamp_seconds',
    help: 'When the running config was applied (at start, or by the last applied reload), in seconds since the epoch.',
    type: 'gauge',
    labels: [],
    read: (o, emit) => {
      emit({}, o.status.appliedAt / 1000);
    },
  },
  {
    name: 'junction_config_reloads_total',
    help: 'Reloads by result: applied, or refused (the running config kept serving).',
    type: 'counter',
    labels: ['result'],
    read: (o, emit) => {
      emit({ result: 'applied' }, o.status.reloadsApplied);
      emit({ result: 'refused' }, o.status.reloadsRefused);
    },
  },
  {
    name: 'junction_deadlines_fired_total',
    help: 'Session deadlines that fired (idle and head timeouts, slow bodies, silent backends).',
    type: 'counter',
    labels: [],
    read: (o, emit) => {
      emit({}, o.deadlinesFired);
    },
  },
  {
    name: 'junction_zombie_sessions_closed_total',
    help: 'Sessions closed by the zombie checker, still open long after a deadline fired (0 in a healthy run).',
    type: 'counter',
    labels: [],
    read: (o, emit) => {
      emit({}, o.zombiesClosed);
    },
  },
  {
    name: 'junction_rule_stat',
    help: "The rule language's stat-define counters, by name (a gauge: stat-update may add any integer).",
    type: 'gauge',
    labels: ['stat'],
    read: (o, emit) => {
      for (const s of o.ruleStats) emit({ stat: s.name }, s.value);
    },
  },
];

const CACHE_STATUSES = ['hit', 'miss', 'stale', 'revalidated', 'bypass'] as const;
const BACKGROUND_KINDS = ['fill', 'revalidate'] as const;
const BACKGROUND_RESULTS = ['stored', 'not-stored', 'failed', 'timeout'] as const;

/** The HTTP cache (docs/caching.md); no series when no route caches. */
const CACHE_METRICS: readonly ServerMetric[] = [
  {
    name: 'junction_cache_requests_total',
    help: 'Requests on caching routes by cache status: hit, miss, stale (served stale), revalidated (304), bypass.',
    type: 'counter',
    labels: ['status'],
    read: (o, emit) => {
      const cache = o.cache;
      if (cache === undefined) return;
      for (const status of CACHE_STATUSES) emit({ status }, cache.statuses[status], cache.statuses);
    },
  },
  {
    name: 'junction_cache_background_total',
    help: 'Work the cache did for no client, by kind (fill: a response finished after its client left; revalidate: stale-while-revalidate) and result: stored, not-stored, failed, timeout.',
    type: 'counter',
    labels: ['kind', 'result'],
    read: (o, emit) => {
      const cache = o.cache;
      if (cache === undefined) return;
      for (const kind of BACKGROUND_KINDS) {
        const counts = cache.background[kind];
        for (const result of BACKGROUND_RESULTS) emit({ kind, result }, counts[result], counts);
      }
    },
  },
  {
    name: 'junction_cache_stored_bytes',
    help: "Bytes the cache's memory tier holds now (bodies, fields and bookkeeping).",
    type: 'gauge',
    labels: [],
    read: (o, emit) => {
      if (o.cache !== undefined) emit({}, o.cache.store.bytes);
    },
  },
  {
    name: 'junction_cache_memory_limit_bytes',
    help: "The memory tier's bound (cache.memory_size).",
    type: 'gauge',
    labels: [],
    read: (o, emit) => {
      if (o.cache !== undefined) emit({}, o.cache.memoryLimitBytes);
    },
  },
  {
    name: 'junction_cache_objects',
    help: 'Responses stored now (each alternate counts).',
    type: 'gauge',
    labels: [],
    read: (o, emit) => {
      if (o.cache !== undefined) emit({}, o.cache.store.objects);
    },
  },
  {
    name: 'junction_cache_stores_total',
    help: 'Responses stored.',
    type: 'counter',
    labels: [],
    read: (o, emit) => {
      if (o.cache !== undefined) emit({}, o.cache.store.stored, o.cache.store);
    },
  },
  {
    name: 'junction_cache_evictions_total',
    help: 'Stored responses evicted to stay within cache.memory_size (least recently used first).',
    type: 'counter',
    labels: [],
    read: (o, emit) => {
      if (o.cache !== undefined) emit({}, o.cache.store.evictions, o.cache.store);
    },
  },
  {
    name: 'junction_cache_disk_bytes',
    help: "Bytes of the files the cache's disk tier holds now.",
    type: 'gauge',
    labels: [],
    read: (o, emit) => {
      const disk = o.cache?.disk;
      if (disk !== undefined) emit({}, disk.stats.bytes);
    },
  },
  {
    name: 'junction_cache_disk_limit_bytes',
    help: "The disk tier's bound (cache.disk_size).",
    type: 'gauge',
    labels: [],
    read: (o, emit) => {
      const disk = o.cache?.disk;
      if (disk !== undefined) emit({}, disk.limitBytes);
    },
  },
  {
    name: 'junction_cache_disk_objects',
    help: 'Responses the disk tier holds now (each alternate counts).',
    type: 'gauge',
    labels: [],
    read: (o, emit) => {
      const disk = o.cache?.disk;
      if (disk !== undefined) emit({}, disk.stats.objects);
    },
  },
  {
    name: 'junction_cache_disk_hits_total',
    help: 'Hits answered from a response read back from the disk tier (a part of status="hit").',
    type: 'counter',
    labels: [],
    read: (o, emit) => {
      const disk = o.cache?.disk;
      if (disk !== undefined) emit({}, disk.hits, o.cache!.statuses);
    },
  },
  {
    name: 'junction_cache_disk_evictions_total',
    help: 'Files evicted to stay within cache.disk_size (least recently used first).',
    type: 'counter',
    labels: [],
    read: (o, emit) => {
      const disk = o.cache?.disk;
      if (disk !== undefined) emit({}, disk.stats.evictions, disk.stats);
    },
  },
  {
    name: 'junction_cache_disk_dropped_total',
    help: 'Disk tier files dropped as truncated, corrupted or not cache files.',
    type: 'counter',
    labels: [],
    read: (o, emit) => {
      const disk = o.cache?.disk;
      if (disk !== undefined) emit({}, disk.dropped, disk.stats);
    },
  },
];

/** Every metric read from the server at a scrape. */
export const SERVER_METRICS_DEFINITIONS: readonly ServerMetric[] = [
  ...LISTENER_METRICS,
  ...CLUSTER_METRICS,
  ...BACKEND_METRICS,
  ...SERVER_METRICS,
  ...CACHE_METRICS,
];
