/**
 * Introspection: fills in the status records of server-status.ts from what the server holds (the
 * snapshot in force, its listeners, the head buffer pool, the sweep's counters). Read-only and cheap
 * to poll: a few sums and one record per listener, cluster or backend.
 * Does not: change any state, keep counters of its own, or build the metrics observation
 * (observation.ts).
 */
import type { BufferPool } from '../buffers/index.ts';
import type { Listener } from '../listener/index.ts';
import type { RuntimeSnapshot } from '../transaction/index.ts';
import type { BoundListener, ClusterStatus, RuntimeStats, UpstreamStatus } from './server-status.ts';

export function boundListeners(listeners: Iterable<Listener>): BoundListener[] {
  return [...listeners].map((l) => ({
    name: l.config.name,
    address: l.config.address,
    port: l.port,
    scheme:
      l.config.tcp !== undefined ? ('tcp' as const) : l.tls === null ? ('http' as const) : ('https' as const),
  }));
}

/** Every backend of every cluster of `snapshot`; `now` on the clock passive health's ejections use. */
export function upstreamStatuses(snapshot: RuntimeSnapshot, now: number): UpstreamStatus[] {
  const out: UpstreamStatus[] = [];
  for (const cluster of snapshot.clusters.values()) {
    const checked = cluster.config.health.active !== undefined;
    for (const u of cluster.upstreams) {
      out.push({
        cluster: cluster.name,
        id: u.id,
        address: u.pool.upstreamId,
        isUp: u.healthy,
        draining: u.draining,
        ejected: u.passiveDown,
        ejectedForMs: u.passiveDown ? Math.max(0, Math.round(u.ejectedUntil - now)) : 0,
        onTrial: u.onTrial,
        ejectionReason: u.ejectionReason,
        checked,
        activeUp: !u.activeDown,
        checks: u.checks,
        lastCheckStatus: u.lastCheckStatus,
        lastCheckError: u.lastCheckError,
        checkSuccesses: u.checkSuccesses,
        checkFailures: u.checkFailures,
        inFlight: u.inFlight,
        requests: u.requests,
        failures: u.failures,
        consecutiveFailures: u.consecutiveFailures,
        connectionsOpen: u.pool.openCount,
        connectionsIdle: u.pool.idleCount,
        connectionsOpened: u.pool.connectsOpened,
        connectionReuses: u.pool.reuses,
        connectFailures: u.pool.connectFailures,
        poolExhausted: u.pool.exhausted,
      });
    }
  }
  return out;
}

export function clusterStatuses(snapshot: RuntimeSnapshot): ClusterStatus[] {
  return [...snapshot.clusters.values()].map((cluster) => ({
    name: cluster.name,
    strategy: cluster.config.strategy.name,
    strategyKind: cluster.config.strategy.kind,
    backends: cluster.upstreams.length,
    backendsUp: cluster.upstreams.filter((u) => u.healthy).length,
    panic: cluster.panic,
    requests: cluster.retryBudget.requests,
    retries: cluster.retryBudget.retries,
    retriesRefused: cluster.retryBudget.retriesRefused,
  }));
}

/** What runtimeStats() sums over. */
export interface StatsSources {
  readonly snapshot: RuntimeSnapshot;
  readonly listeners: Iterable<Listener>;
  /** Client connections with a live session. */
  readonly sessions: number;
  readonly bufferPool: BufferPool;
  /** The sweep's counters (session-sweep.ts). */
  readonly deadlinesFired: number;
  readonly zombiesClosed: number;
}

export function runtimeStats(from: StatsSources): RuntimeStats {
  let open = 0;
  let idle = 0;
  let connecting = 0;
  let inFlight = 0;
  for (const cluster of from.snapshot.clusters.values()) {
    for (const u of cluster.upstreams) {
      open += u.pool.openCount;
      idle += u.pool.idleCount;
      connecting += u.pool.connectingCount;
      inFlight += u.inFlight;
    }
  }
  const pool = from.bufferPool;
  let accepted = 0;
  let queued = 0;
  let dropped = 0;
  let refused = 0;
  let handshaking = 0;
  let handshakes = 0;
  let handshakeFailures = 0;
  let handshakeTimeouts = 0;
  for (const listener of from.listeners) {
    accepted += listener.accepted;
    queued += listener.queued;
    dropped += listener.droppedFromQueue;
    refused += listener.refusedPerClient;
    const counters = listener.tls?.counters;
    if (counters === undefined) continue;
    handshaking += counters.inProgress;
    handshakes += counters.completed;
    handshakeFailures += counters.failed;
    handshakeTimeouts += counters.timedOut;
  }
  return {
    sessions: from.sessions,
    headBuffersInUse: pool.checkedOut,
    headBuffersFree: pool.available,
    headBuffersCapacity: pool.capacity,
    headBufferFallbacks: pool.fallbacks,
    upstreamConnectionsOpen: open,
    upstreamConnectionsIdle: idle,
    upstreamConnectionsConnecting: connecting,
    upstreamInFlight: inFlight,
    deadlinesFired: from.deadlinesFired,
    zombiesClosed: from.zombiesClosed,
    connectionsAccepted: accepted,
    acceptQueued: queued,
    acceptQueueDropped: dropped,
    refusedPerClient: refused,
    tlsHandshakesInProgress: handshaking,
    tlsHandshakes: handshakes,
    tlsHandshakeFailures: handshakeFailures,
    tlsHandshakeTimeouts: handshakeTimeouts,
  };
}

/**
 * A worker group answers status and stats each with a per-worker section (`workers`): one list, each
 * worker's entry holding both (joined by its number) rather than the second hiding the first.
 * Undefined for one server, whose answers have no such section.
 */
export function joinWorkerSections(...answers: readonly object[]): Record<string, unknown>[] | undefined {
  const byWorker = new Map<unknown, Record<string, unknown>>();
  for (const answer of answers) {
    const workers = (answer as { workers?: unknown }).workers;
    if (!Array.isArray(workers)) continue;
    for (const entry of workers as Record<string, unknown>[]) {
      byWorker.set(entry['worker'], { ...byWorker.get(entry['worker']), ...entry });
    }
  }
  return byWorker.size === 0 ? undefined : [...byWorker.values()];
}
