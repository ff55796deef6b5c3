import { describe, expect, test } from 'vitest';
import type {
  BackendObservation,
  DataPathObserver,
  ServerObservation,
  SessionPort,
  TxnEnd,
} from '../server/index.ts';
import { GroupMetrics, renderGroupMetrics, type WorkerMetricsReport } from './group-metrics.ts';
import { JunctionMetrics } from './junction-metrics.ts';
import { parseMetricsText, type MetricFamily } from './metric-family.ts';

function backend(id: string, up: boolean, attempts: number, checks: number): BackendObservation {
  return {
    cluster: 'api',
    id,
    counters: {},
    up,
    ejected: !up,
    ejections: up ? 0 : 1,
    onTrial: false,
    draining: false,
    checked: true,
    activeUp: true,
    checks,
    inFlight: 1,
    attempts,
    failures: 0,
    pool: {
      counters: {},
      open: 2,
      idle: 1,
      connecting: 0,
      opened: 2,
      reuses: 5,
      connectFailures: 0,
      exhausted: 0,
    },
  };
}

function observation(version: number, hash: string, backends: BackendObservation[]): ServerObservation {
  return {
    status: {
      version,
      hash,
      source: 'junction.yaml',
      appliedAt: version * 1000,
      startedAt: 0,
      sessions: 0,
      reloadsApplied: version - 1,
      reloadsRefused: 0,
      closing: false,
      lastReload: null,
    },
    listeners: [
      {
        name: 'main',
        scheme: 'http',
        counters: {},
        open: 3,
        queued: 0,
        accepted: 10,
        droppedFromQueue: 0,
        refusedPerClient: 0,
        tls: undefined,
      },
    ],
    clusters: [{ name: 'api', counters: {}, requests: 7, retries: 1, retriesRefused: 0 }],
    backends,
    deadlinesFired: 0,
    zombiesClosed: 0,
    ruleStats: [],
  };
}

/** A worker's JunctionMetrics over a fixed observation, with some requests counted. */
async function workerFamilies(
  observed: ServerObservation,
  requests: number,
  processMetrics = false,
): Promise<MetricFamily[]> {
  let observer: DataPathObserver | undefined;
  const metrics = new JunctionMetrics(
    {
      observe: () => observed,
      watch: (o) => {
        observer = o;
        return () => undefined;
      },
    },
    { processMetrics },
  );
  for (let i = 0; i < requests; i++) {
    observer!.transactionEnded(
      { listener: { name: 'main' }, bytesRead: 100, bytesWritten: 200 } as unknown as SessionPort,
      {
        head: { method: 'GET' },
        route: { name: 'all' },
        cluster: 'api',
        status: 200,
        startedAt: 1000,
        upstreamHeadAt: 1001,
        readMark: 0,
        writeMark: 0,
      } as unknown as TxnEnd,
      1002,
    );
  }
  return metrics.scrapeFamilies();
}

/** Each series' value by its exact `name{labels}` text, from a scrape that must parse strictly. */
function values(text: string): Map<string, number> {
  parseMetricsText(text);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

function report(worker: number, value: MetricFamily[]): WorkerMetricsReport {
  return { worker, pid: 100 + worker, value };
}

describe('renderGroupMetrics', () => {
  test('counters and histograms summed, health combined, config the oldest, valid text', async () => {
    const one = await workerFamilies(
      observation(2, 'new', [backend('a', true, 10, 6), backend('b', true, 1, 6)]),
      3,
    );
    const two = await workerFamilies(
      observation(1, 'old', [backend('a', false, 4, 5), backend('b', true, 2, 5)]),
      2,
    );
    const text = renderGroupMetrics([report(1, one), report(2, two)]);
    const v = values(text);
    expect(v.get('junction_workers')).toBe(2);
    expect(v.get('junction_listener_connections_accepted_total{listener="main"}')).toBe(20);
    expect(v.get('junction_listener_connections_open{listener="main"}')).toBe(6);
    expect(v.get('junction_cluster_requests_total{cluster="api"}')).toBe(14);
    expect(v.get('junction_backend_attempts_total{cluster="api",backend="a"}')).toBe(14);
    expect(v.get('junction_backend_connections{cluster="api",backend="a",state="idle"}')).toBe(2);
    // Up only where every worker has it up; ejected where any worker ejected it.
    expect(v.get('junction_backend_up{cluster="api",backend="a"}')).toBe(0);
    expect(v.get('junction_backend_up{cluster="api",backend="b"}')).toBe(1);
    expect(v.get('junction_backend_ejected{cluster="api",backend="a"}')).toBe(1);
    // Every worker applies every check's result: counted once.
    expect(v.get('junction_backend_checks_total{cluster="api",backend="a"}')).toBe(6);
    expect(v.get('junction_config_version')).toBe(1);
    expect(v.get('junction_config_info{hash="new"}')).toBe(1);
    expect(v.get('junction_config_info{hash="old"}')).toBe(1);
    expect(v.get('junction_config_reloads_total{result="applied"}')).toBe(1);
    // Per-request metrics and their histograms, summed.
    const base = 'junction_requests_total{listener="main",route="all",cluster="api",method="GET",code="200"}';
    expect(v.get(base)).toBe(5);
    expect(v.get('junction_request_duration_seconds_count{route="all"}')).toBe(5);
    expect(v.get('junction_request_duration_seconds_bucket{route="all",le="+Inf"}')).toBe(5);
    expect(v.get('junction_listener_sent_bytes_total{listener="main"}')).toBe(1000);
  });

  test("the config metrics are the group's when its status is given", async () => {
    const one = await workerFamilies(observation(5, 'h', []), 0);
    // A worker started after three reloads counts its own versions from 1.
    const two = await workerFamilies(observation(1, 'h', []), 0);
    const status = { ...observation(4, 'h', []).status, reloadsApplied: 3, reloadsRefused: 1 };
    const v = values(renderGroupMetrics([report(1, one), report(2, two)], { status }));
    expect(v.get('junction_config_version')).toBe(4);
    expect(v.get('junction_config_info{hash="h"}')).toBe(1);
    expect(v.get('junction_config_reloads_total{result="applied"}')).toBe(3);
    expect(v.get('junction_config_reloads_total{result="refused"}')).toBe(1);
    expect(v.get('junction_config_last_reload_timestamp_seconds')).toBe(4);
  });

  test('process metrics keep each worker apart under a worker label', async () => {
    const observed = observation(1, 'h', []);
    const text = renderGroupMetrics([
      report(1, await workerFamilies(observed, 0, true)),
      report(2, await workerFamilies(observed, 0, true)),
    ]);
    const v = values(text);
    expect(v.get('process_resident_memory_bytes{worker="1"}')).toBeGreaterThan(0);
    expect(v.get('process_resident_memory_bytes{worker="2"}')).toBeGreaterThan(0);
    expect(v.has('process_resident_memory_bytes')).toBe(false);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{worker="2"\} /m);
    // A histogram of the process's own (GC pauses) keeps its buckets per worker.
    expect(text).not.toMatch(/^nodejs_gc_duration_seconds_bucket\{(?!worker=)/m);
  });

  test('one worker: the same values as its own scrape', async () => {
    const families = await workerFamilies(observation(3, 'h', [backend('a', true, 9, 0)]), 1);
    const v = values(renderGroupMetrics([report(1, families)]));
    expect(v.get('junction_backend_attempts_total{cluster="api",backend="a"}')).toBe(9);
    expect(v.get('junction_backend_up{cluster="api",backend="a"}')).toBe(1);
    expect(v.get('junction_config_version')).toBe(3);
  });
});

describe('GroupMetrics', () => {
  test("a worker that exits leaves its counts in the group's counters", async () => {
    const group = new GroupMetrics();
    const observed = observation(1, 'h', [backend('a', true, 10, 0)]);
    const series = 'junction_backend_attempts_total{cluster="api",backend="a"}';
    const first = values(
      group.render([
        report(1, await workerFamilies(observed, 0)),
        report(2, await workerFamilies(observed, 0)),
      ]),
    );
    expect(first.get(series)).toBe(20);
    // Worker 2 exits; its replacement (a new pid) counts from 0.
    group.retire(102);
    const fresh = observation(1, 'h', [backend('a', true, 1, 0)]);
    const after = values(
      group.render([
        report(1, await workerFamilies(observed, 0)),
        { worker: 2, pid: 200, value: await workerFamilies(fresh, 0) },
      ]),
    );
    expect(after.get(series)).toBe(21);
    // Gauges are not carried: the exited worker's open connections are gone.
    expect(after.get('junction_listener_connections_open{listener="main"}')).toBe(6);
    expect(after.get('junction_workers')).toBe(2);
  });

  test("source(): the workers' scrapes and the primary's own process metrics", async () => {
    const group = new GroupMetrics();
    const observed = observation(1, 'h', [backend('a', true, 4, 0)]);
    const families = await workerFamilies(observed, 0, true);
    const v = values(await group.source(() => Promise.resolve([report(1, families)])).render());
    expect(v.get('junction_backend_attempts_total{cluster="api",backend="a"}')).toBe(4);
    expect(v.get('process_resident_memory_bytes{worker="1"}')).toBeGreaterThan(0);
    expect(v.get('process_resident_memory_bytes{worker="primary"}')).toBeGreaterThan(0);
    // Only the primary's process metrics: it serves no traffic.
    expect(
      values(await new GroupMetrics().source(() => Promise.resolve([])).render()).get('junction_workers'),
    ).toBe(0);
    const quiet = await new GroupMetrics({ processMetrics: false })
      .source(() => Promise.resolve([]))
      .render();
    expect(quiet).not.toContain('worker="primary"');
  });

  test('a worker that misses a scrape does not lower the counters', async () => {
    const group = new GroupMetrics();
    const observed = observation(1, 'h', [backend('a', true, 10, 0)]);
    const series = 'junction_backend_attempts_total{cluster="api",backend="a"}';
    group.render([
      report(1, await workerFamilies(observed, 0)),
      report(2, await workerFamilies(observed, 0)),
    ]);
    const missed = values(group.render([report(1, await workerFamilies(observed, 0))]));
    expect(missed.get(series)).toBe(20);
    expect(missed.get('junction_workers')).toBe(1);
    const back = values(
      group.render([
        report(1, await workerFamilies(observed, 0)),
        report(2, await workerFamilies(observed, 0)),
      ]),
    );
    expect(back.get(series)).toBe(20);
  });
});
