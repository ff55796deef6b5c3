import { describe, expect, test } from 'vitest';
import type {
  BackendObservation,
  ClusterStatus,
  KeptRequest,
  RuntimeStats,
  ServerObservation,
  ServerStatus,
  UpstreamStatus,
} from '../server/index.ts';
import {
  mergeClusters,
  mergeObservations,
  mergeRecentRequests,
  mergeStats,
  mergeStatus,
  mergeUpstreams,
  type WorkerReport,
} from './aggregate.ts';

function report<T>(worker: number, value: T): WorkerReport<T> {
  return { worker, pid: 1000 + worker, value };
}

function status(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    version: 2,
    hash: 'h2',
    source: 'junction.yaml',
    appliedAt: 2_000,
    startedAt: 1_000,
    sessions: 3,
    reloadsApplied: 1,
    reloadsRefused: 0,
    closing: false,
    lastReload: null,
    ...overrides,
  };
}

function stats(n: number): RuntimeStats {
  return {
    sessions: n,
    headBuffersInUse: n,
    headBuffersFree: 1024 - n,
    headBuffersCapacity: 1024,
    headBufferFallbacks: 0,
    upstreamConnectionsOpen: 2 * n,
    upstreamConnectionsIdle: n,
    upstreamConnectionsConnecting: 0,
    upstreamInFlight: n,
    deadlinesFired: 1,
    zombiesClosed: 0,
    connectionsAccepted: 10 * n,
    acceptQueued: 0,
    acceptQueueDropped: 0,
    refusedPerClient: 0,
    tlsHandshakesInProgress: 0,
    tlsHandshakes: n,
    tlsHandshakeFailures: 0,
    tlsHandshakeTimeouts: 0,
  };
}

function cluster(overrides: Partial<ClusterStatus> = {}): ClusterStatus {
  return {
    name: 'api',
    strategy: 'round-robin',
    strategyKind: 'round-robin',
    backends: 2,
    backendsUp: 2,
    panic: false,
    requests: 10,
    retries: 1,
    retriesRefused: 0,
    ...overrides,
  };
}

function upstream(id: string, overrides: Partial<UpstreamStatus> = {}): UpstreamStatus {
  return {
    cluster: 'api',
    id,
    address: `127.0.0.1:${id}`,
    isUp: true,
    draining: false,
    ejected: false,
    ejectedForMs: 0,
    onTrial: false,
    ejectionReason: '',
    checked: true,
    activeUp: true,
    checks: 4,
    lastCheckStatus: 200,
    lastCheckError: undefined,
    checkSuccesses: 4,
    checkFailures: 0,
    inFlight: 1,
    requests: 5,
    failures: 1,
    consecutiveFailures: 0,
    connectionsOpen: 2,
    connectionsIdle: 1,
    connectionsOpened: 3,
    connectionReuses: 7,
    connectFailures: 0,
    poolExhausted: 0,
    ...overrides,
  };
}

describe('mergeStatus', () => {
  test('the oldest config still serving, sessions summed, reloads counted once, each worker shown', () => {
    const merged = mergeStatus([
      report(1, status()),
      report(2, status({ version: 1, hash: 'h1', appliedAt: 1_500, sessions: 4, startedAt: 900 })),
    ]);
    expect(merged.version).toBe(1);
    expect(merged.hash).toBe('h1');
    expect(merged.appliedAt).toBe(1_500);
    expect(merged.startedAt).toBe(900);
    expect(merged.sessions).toBe(7);
    expect(merged.reloadsApplied).toBe(1);
    expect(merged.consistent).toBe(false);
    expect(merged.workers.map((w) => [w.worker, w.pid, w.version])).toEqual([
      [1, 1001, 2],
      [2, 1002, 1],
    ]);
  });

  test('consistent when every worker serves the same config; closing once any is', () => {
    const merged = mergeStatus([report(1, status()), report(2, status({ closing: true }))]);
    expect(merged.consistent).toBe(true);
    expect(merged.closing).toBe(true);
  });

  test('nothing to merge is an error, not a made-up status', () => {
    expect(() => mergeStatus([])).toThrow(RangeError);
  });
});

describe('mergeStats', () => {
  test('every counter summed, each worker listed with its own (memory included)', () => {
    const merged = mergeStats([report(1, { ...stats(1), rss: 50e6 }), report(2, { ...stats(3), rss: 70e6 })]);
    expect(merged.sessions).toBe(4);
    expect(merged.headBuffersCapacity).toBe(2048);
    expect(merged.upstreamConnectionsOpen).toBe(8);
    expect(merged.connectionsAccepted).toBe(40);
    expect(merged.deadlinesFired).toBe(2);
    expect(merged.workers).toHaveLength(2);
    expect(merged.workers[1]).toMatchObject({ worker: 2, pid: 1002, sessions: 3, rss: 70e6 });
  });

  test('every RuntimeStats field is merged', () => {
    const merged = mergeStats([report(1, stats(2))]);
    for (const [field, value] of Object.entries(stats(2))) {
      expect(merged[field as keyof RuntimeStats], field).toBe(value);
    }
  });
});

describe('mergeClusters', () => {
  test('facts once, counters summed, the fewest backends up, panic if any worker panics', () => {
    const merged = mergeClusters([
      report(1, [cluster(), cluster({ name: 'web', requests: 1 })]),
      report(2, [cluster({ backendsUp: 1, panic: true, requests: 5, retries: 2 })]),
    ]);
    expect(merged.map((c) => c.name)).toEqual(['api', 'web']);
    const api = merged[0]!;
    expect(api).toMatchObject({
      strategy: 'round-robin',
      backends: 2,
      backendsUp: 1,
      panic: true,
      requests: 15,
      retries: 3,
    });
    expect(api.workers.map((w) => [w.worker, w.backendsUp, w.requests])).toEqual([
      [1, 2, 10],
      [2, 1, 5],
    ]);
    // Only worker 1 has it (a reload under way): kept, with its one view.
    expect(merged[1]!.workers).toHaveLength(1);
  });
});

describe('mergeUpstreams', () => {
  test('up only when up in every worker; ejected when any worker ejected it; traffic summed', () => {
    const merged = mergeUpstreams([
      report(1, [upstream('a'), upstream('b')]),
      report(2, [
        upstream('a', {
          isUp: false,
          ejected: true,
          ejectedForMs: 900,
          ejectionReason: '3 consecutive failures',
          consecutiveFailures: 3,
          requests: 6,
        }),
        upstream('b', { requests: 1 }),
      ]),
    ]);
    const [a, b] = merged;
    expect(a).toMatchObject({
      id: 'a',
      isUp: false,
      upInWorkers: 1,
      ejected: true,
      ejectedForMs: 900,
      ejectionReason: '3 consecutive failures',
      consecutiveFailures: 3,
      requests: 11,
      inFlight: 2,
      connectionsOpen: 4,
      connectionReuses: 14,
    });
    expect(a!.workers.map((w) => [w.worker, w.isUp, w.ejected])).toEqual([
      [1, true, false],
      [2, false, true],
    ]);
    expect(b).toMatchObject({ isUp: true, upInWorkers: 2, ejected: false, requests: 6 });
  });

  test('active check state from the worker that applied the most checks; draining if any drains', () => {
    const merged = mergeUpstreams([
      report(1, [upstream('a', { checks: 5, lastCheckStatus: 503, checkFailures: 1, checkSuccesses: 0 })]),
      report(2, [upstream('a', { checks: 4, draining: true })]),
    ]);
    expect(merged[0]).toMatchObject({
      checks: 5,
      lastCheckStatus: 503,
      checkFailures: 1,
      draining: true,
      activeUp: true,
    });
  });

  test('the same id in two clusters stays two backends', () => {
    const merged = mergeUpstreams([
      report(1, [upstream('a'), upstream('a', { cluster: 'web' })]),
      report(2, [upstream('a')]),
    ]);
    expect(merged.map((u) => [u.cluster, u.id, u.workers.length])).toEqual([
      ['api', 'a', 2],
      ['web', 'a', 1],
    ]);
  });
});

describe('mergeObservations', () => {
  function backend(overrides: Partial<BackendObservation> = {}): BackendObservation {
    return {
      cluster: 'api',
      id: 'a',
      counters: {},
      up: true,
      ejected: false,
      ejections: 1,
      onTrial: false,
      draining: false,
      checked: false,
      activeUp: true,
      checks: 0,
      inFlight: 1,
      attempts: 10,
      failures: 1,
      pool: {
        counters: {},
        open: 2,
        idle: 1,
        connecting: 0,
        opened: 3,
        reuses: 4,
        connectFailures: 0,
        exhausted: 0,
      },
      ...overrides,
    };
  }

  function observation(overrides: Partial<ServerObservation> = {}): ServerObservation {
    return {
      status: status(),
      listeners: [
        {
          name: 'main',
          scheme: 'https',
          counters: {},
          open: 1,
          queued: 0,
          accepted: 5,
          droppedFromQueue: 0,
          refusedPerClient: 1,
          tls: { inProgress: 0, completed: 4, failed: 1, timedOut: 0, completedByVersion: { 'TLSv1.3': 4 } },
        },
      ],
      clusters: [{ name: 'api', counters: {}, requests: 10, retries: 1, retriesRefused: 0 }],
      backends: [backend()],
      deadlinesFired: 2,
      zombiesClosed: 0,
      ruleStats: [{ name: 'hits', value: 3 }],
      ...overrides,
    };
  }

  test('one observation with counts summed and health merged', () => {
    const merged = mergeObservations([
      report(1, observation()),
      report(
        2,
        observation({ backends: [backend({ up: false, ejected: true, ejections: 2, attempts: 5 })] }),
      ),
    ]);
    expect(merged.listeners[0]).toMatchObject({ name: 'main', accepted: 10, refusedPerClient: 2 });
    expect(merged.listeners[0]!.tls).toEqual({
      inProgress: 0,
      completed: 8,
      failed: 2,
      timedOut: 0,
      completedByVersion: { 'TLSv1.3': 8 },
    });
    expect(merged.clusters[0]).toMatchObject({ requests: 20, retries: 2 });
    expect(merged.backends[0]).toMatchObject({ up: false, ejected: true, ejections: 3, attempts: 15 });
    expect(merged.backends[0]!.pool).toMatchObject({ open: 4, reuses: 8 });
    expect(merged.ruleStats).toEqual([{ name: 'hits', value: 6 }]);
    expect(merged.deadlinesFired).toBe(4);
    expect(merged.status.sessions).toBe(6);
    expect(merged.status).not.toHaveProperty('workers');
  });
});

describe('mergeRecentRequests', () => {
  const kept = (time: number, target: string): KeptRequest => ({
    time,
    method: 'GET',
    scheme: 'http',
    host: 'h',
    port: '',
    target,
    headers: [],
    client: '127.0.0.1',
    sni: null,
    listener: 'web',
  });

  test("every worker's heads, newest first, the newest `capacity` kept", () => {
    const merged = mergeRecentRequests(
      [
        report(1, [kept(50, '/a5'), kept(30, '/a3'), kept(10, '/a1')]),
        report(2, [kept(40, '/b4'), kept(20, '/b2')]),
      ],
      4,
    );
    expect(merged?.map((k) => k.target)).toEqual(['/a5', '/b4', '/a3', '/b2']);
  });

  test('a worker without a ring adds nothing; none with one: null', () => {
    expect(mergeRecentRequests([report(1, null), report(2, [kept(1, '/x')])], 10)).toHaveLength(1);
    expect(mergeRecentRequests([report(1, null), report(2, null)], 10)).toBeNull();
  });
});
