import { describe, expect, test } from 'vitest';
import type { BufferPool } from '../buffers/index.ts';
import type { Listener } from '../listener/index.ts';
import type { RuntimeSnapshot } from '../transaction/index.ts';
import {
  boundListeners,
  clusterStatuses,
  joinWorkerSections,
  runtimeStats,
  upstreamStatuses,
} from './introspection.ts';

/** Only what introspection reads of a backend, a cluster, a snapshot and a listener. */
function backend(id: string, over: Record<string, unknown> = {}) {
  return {
    id,
    healthy: true,
    draining: false,
    passiveDown: false,
    ejectedUntil: 0,
    onTrial: false,
    ejectionReason: '',
    activeDown: false,
    checks: 0,
    lastCheckStatus: 0,
    lastCheckError: undefined,
    checkSuccesses: 0,
    checkFailures: 0,
    inFlight: 1,
    requests: 10,
    failures: 2,
    consecutiveFailures: 0,
    pool: {
      upstreamId: `${id}.test:80`,
      openCount: 3,
      idleCount: 2,
      connectingCount: 1,
      connectsOpened: 5,
      reuses: 7,
      connectFailures: 0,
      exhausted: 0,
    },
    ...over,
  };
}

function snapshotOf(upstreams: ReturnType<typeof backend>[], active = false): RuntimeSnapshot {
  const cluster = {
    name: 'web',
    config: {
      health: { active: active ? {} : undefined },
      strategy: { name: 'round_robin', kind: 'builtin' },
    },
    upstreams,
    panic: false,
    retryBudget: { requests: 40, retries: 4, retriesRefused: 1 },
  };
  return { clusters: new Map([['web', cluster]]) } as unknown as RuntimeSnapshot;
}

function listener(name: string, kind: 'http' | 'https' | 'tcp', port: number): Listener {
  const tls = kind === 'https' ? { counters: { inProgress: 1, completed: 9, failed: 2, timedOut: 1 } } : null;
  return {
    config: { name, address: '127.0.0.1', tcp: kind === 'tcp' ? {} : undefined },
    port,
    tls,
    accepted: 20,
    queued: 1,
    droppedFromQueue: 3,
    refusedPerClient: 4,
  } as unknown as Listener;
}

describe('introspection', () => {
  test('boundListeners names each listener scheme by what it serves', () => {
    const listeners = [listener('a', 'http', 8080), listener('b', 'https', 8443), listener('c', 'tcp', 9000)];
    expect(boundListeners(listeners)).toEqual([
      { name: 'a', address: '127.0.0.1', port: 8080, scheme: 'http' },
      { name: 'b', address: '127.0.0.1', port: 8443, scheme: 'https' },
      { name: 'c', address: '127.0.0.1', port: 9000, scheme: 'tcp' },
    ]);
  });

  test('upstreamStatuses reports an ejection as time left from now, and 0 once it is over', () => {
    const snapshot = snapshotOf(
      [
        backend('a', { passiveDown: true, healthy: false, ejectedUntil: 1_750.4, ejectionReason: 'x' }),
        backend('b', { passiveDown: true, healthy: false, ejectedUntil: 900 }),
        backend('c'),
      ],
      true,
    );
    const [a, b, c] = upstreamStatuses(snapshot, 1_000);
    expect(a).toMatchObject({ cluster: 'web', id: 'a', isUp: false, ejected: true, ejectedForMs: 750 });
    expect(b).toMatchObject({ ejected: true, ejectedForMs: 0 });
    expect(c).toMatchObject({
      address: 'c.test:80',
      isUp: true,
      ejected: false,
      ejectedForMs: 0,
      checked: true,
      activeUp: true,
      connectionsOpen: 3,
      connectionsIdle: 2,
      connectionsOpened: 5,
      connectionReuses: 7,
    });
  });

  test('clusterStatuses counts healthy backends and carries the retry budget counters', () => {
    const snapshot = snapshotOf([backend('a'), backend('b', { healthy: false })]);
    expect(clusterStatuses(snapshot)).toEqual([
      {
        name: 'web',
        strategy: 'round_robin',
        strategyKind: 'builtin',
        backends: 2,
        backendsUp: 1,
        panic: false,
        requests: 40,
        retries: 4,
        retriesRefused: 1,
      },
    ]);
  });

  test('runtimeStats sums over backends and listeners, TLS counters only from HTTPS listeners', () => {
    const bufferPool = {
      checkedOut: 2,
      available: 1022,
      capacity: 1024,
      fallbacks: 0,
    } as unknown as BufferPool;
    const stats = runtimeStats({
      snapshot: snapshotOf([backend('a'), backend('b')]),
      listeners: [listener('a', 'http', 1), listener('b', 'https', 2)],
      sessions: 6,
      bufferPool,
      deadlinesFired: 8,
      zombiesClosed: 0,
    });
    expect(stats).toEqual({
      sessions: 6,
      headBuffersInUse: 2,
      headBuffersFree: 1022,
      headBuffersCapacity: 1024,
      headBufferFallbacks: 0,
      upstreamConnectionsOpen: 6,
      upstreamConnectionsIdle: 4,
      upstreamConnectionsConnecting: 2,
      upstreamInFlight: 2,
      deadlinesFired: 8,
      zombiesClosed: 0,
      connectionsAccepted: 40,
      acceptQueued: 2,
      acceptQueueDropped: 6,
      refusedPerClient: 8,
      tlsHandshakesInProgress: 1,
      tlsHandshakes: 9,
      tlsHandshakeFailures: 2,
      tlsHandshakeTimeouts: 1,
    });
  });
});

describe('joinWorkerSections', () => {
  test("joins each worker's entries from status and stats by its number, the later adding to the earlier", () => {
    const status = {
      workers: [
        { worker: 1, pid: 10 },
        { worker: 2, pid: 20 },
      ],
    };
    const stats = {
      workers: [
        { worker: 2, sessions: 5 },
        { worker: 1, sessions: 3 },
      ],
    };
    expect(joinWorkerSections(status, stats)).toEqual([
      { worker: 1, pid: 10, sessions: 3 },
      { worker: 2, pid: 20, sessions: 5 },
    ]);
  });

  test('is undefined for one server, whose answers have no per-worker section', () => {
    expect(joinWorkerSections({ version: 1 }, { sessions: 0 })).toBeUndefined();
  });
});
