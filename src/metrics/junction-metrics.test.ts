import { describe, expect, test } from 'vitest';
import type { BackendObservation, DataPathObserver, ServerObservation } from '../server/index.ts';
import { JunctionMetrics } from './junction-metrics.ts';
import { SERVER_METRICS_DEFINITIONS } from './server-metrics.ts';

function backend(
  cluster: string,
  id: string,
  counters: object,
  pool: object,
  attempts: number,
): BackendObservation {
  return {
    cluster,
    id,
    counters,
    up: true,
    ejected: false,
    ejections: 2,
    onTrial: false,
    draining: false,
    checked: false,
    activeUp: true,
    checks: 0,
    inFlight: 1,
    attempts,
    failures: 1,
    pool: {
      counters: pool,
      open: 3,
      idle: 1,
      connecting: 1,
      opened: 4,
      reuses: 2,
      connectFailures: 0,
      exhausted: 0,
    },
  };
}

function observation(overrides: Partial<ServerObservation> = {}): ServerObservation {
  return {
    status: {
      version: 3,
      hash: 'abc123',
      source: 'junction.yaml',
      appliedAt: 1_700_000_000_500,
      startedAt: 1_700_000_000_000,
      sessions: 0,
      reloadsApplied: 2,
      reloadsRefused: 1,
      closing: false,
      lastReload: null,
    },
    listeners: [],
    clusters: [],
    backends: [],
    deadlinesFired: 0,
    zombiesClosed: 0,
    ruleStats: [],
    ...overrides,
  };
}

/** The value of one series in a scrape, by its exact `name{labels}` text. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('JunctionMetrics', () => {
  test('renders what the server observes, by config name', async () => {
    const listener = {};
    const current = observation({
      listeners: [
        {
          name: 'main',
          scheme: 'https',
          counters: listener,
          open: 2,
          queued: 1,
          accepted: 10,
          droppedFromQueue: 3,
          refusedPerClient: 4,
          tls: {
            inProgress: 1,
            completed: 7,
            failed: 2,
            timedOut: 1,
            completedByVersion: { 'TLSv1.3': 6, 'TLSv1.2': 1 },
          },
        },
      ],
      clusters: [{ name: 'api', counters: {}, requests: 20, retries: 2, retriesRefused: 1 }],
      backends: [backend('api', 'b1', {}, {}, 12)],
      ruleStats: [{ name: 'hits', value: -2 }],
    });
    const metrics = new JunctionMetrics({ observe: () => current }, { processMetrics: false });
    const text = await metrics.scrape();
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(value(text, 'junction_listener_connections_open{listener="main"}')).toBe(2);
    expect(value(text, 'junction_listener_connections_queued{listener="main"}')).toBe(1);
    expect(value(text, 'junction_listener_connections_accepted_total{listener="main"}')).toBe(10);
    expect(
      value(text, 'junction_listener_connections_refused_total{listener="main",reason="accept_queue"}'),
    ).toBe(3);
    expect(
      value(text, 'junction_listener_connections_refused_total{listener="main",reason="per_client_limit"}'),
    ).toBe(4);
    expect(value(text, 'junction_tls_handshakes_total{listener="main",result="completed"}')).toBe(7);
    expect(value(text, 'junction_tls_handshakes_total{listener="main",result="timeout"}')).toBe(1);
    expect(value(text, 'junction_tls_handshake_versions_total{listener="main",version="TLSv1.3"}')).toBe(6);
    expect(value(text, 'junction_tls_handshake_versions_total{listener="main",version="TLSv1.2"}')).toBe(1);
    expect(value(text, 'junction_backend_ejections_total{cluster="api",backend="b1"}')).toBe(2);
    expect(value(text, 'junction_cluster_requests_total{cluster="api"}')).toBe(20);
    expect(value(text, 'junction_cluster_retries_refused_total{cluster="api"}')).toBe(1);
    expect(value(text, 'junction_backend_up{cluster="api",backend="b1"}')).toBe(1);
    expect(value(text, 'junction_backend_attempts_total{cluster="api",backend="b1"}')).toBe(12);
    expect(value(text, 'junction_backend_connections{cluster="api",backend="b1",state="busy"}')).toBe(2);
    expect(value(text, 'junction_backend_connections{cluster="api",backend="b1",state="idle"}')).toBe(1);
    // Clusters without active checks have no check series.
    expect(text).not.toContain('junction_backend_check_up{');
    expect(value(text, 'junction_config_version')).toBe(3);
    expect(value(text, 'junction_config_info{hash="abc123"}')).toBe(1);
    expect(value(text, 'junction_config_last_reload_timestamp_seconds')).toBe(1_700_000_000.5);
    expect(value(text, 'junction_config_reloads_total{result="refused"}')).toBe(1);
    expect(value(text, 'junction_rule_stat{stat="hits"}')).toBe(-2);
  });

  test('counters stay monotonic when a reload replaces what holds them; gone series disappear', async () => {
    let current = observation({
      clusters: [{ name: 'api', counters: {}, requests: 50, retries: 5, retriesRefused: 0 }],
      backends: [backend('api', 'b1', {}, {}, 30), backend('api', 'b2', {}, {}, 20)],
    });
    const metrics = new JunctionMetrics({ observe: () => current }, { processMetrics: false });
    await metrics.scrape();
    // The cluster changed: a new runtime (counting from 0), b1 a new state, b2 removed.
    current = observation({
      clusters: [{ name: 'api', counters: {}, requests: 4, retries: 0, retriesRefused: 0 }],
      backends: [backend('api', 'b1', {}, {}, 3)],
    });
    const text = await metrics.scrape();
    expect(value(text, 'junction_cluster_requests_total{cluster="api"}')).toBe(54);
    expect(value(text, 'junction_cluster_retries_total{cluster="api"}')).toBe(5);
    expect(value(text, 'junction_backend_attempts_total{cluster="api",backend="b1"}')).toBe(33);
    expect(text).not.toContain('backend="b2"');
  });

  test('one scrape reads the server once', async () => {
    let reads = 0;
    const metrics = new JunctionMetrics(
      {
        observe: () => {
          reads++;
          return observation();
        },
      },
      { processMetrics: false },
    );
    await metrics.scrape();
    expect(reads).toBe(1);
  });

  test('process metrics under their standard names, with the event loop lag', async () => {
    const metrics = new JunctionMetrics({ observe: () => observation() });
    const text = await metrics.scrape();
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });

  test('two instances do not share a registry', async () => {
    const one = new JunctionMetrics({ observe: () => observation() }, { processMetrics: false });
    const two = new JunctionMetrics({ observe: () => observation() }, { processMetrics: false });
    expect(one.registry).not.toBe(two.registry);
    await expect(two.scrape()).resolves.toContain('junction_config_version 3');
  });
});

describe('JunctionMetrics: per-request metrics', () => {
  test('attach to a source that can be watched, render after the server metrics, and detach on close', async () => {
    let watching: DataPathObserver | null = null;
    const source = {
      observe: () => observation(),
      watch: (observer: DataPathObserver) => {
        watching = observer;
        return () => {
          watching = null;
        };
      },
    };
    const metrics = new JunctionMetrics(source, { processMetrics: false });
    expect(watching).not.toBeNull();
    watching!.attemptEnded('api', 'success', undefined);
    const text = await metrics.scrape();
    expect(value(text, 'junction_upstream_attempts_total{cluster="api",outcome="success",code=""}')).toBe(1);
    expect(text.indexOf('# TYPE junction_requests_total counter')).toBeGreaterThan(
      text.indexOf('junction_config_version'),
    );
    metrics.close();
    expect(watching).toBeNull();
  });

  test('requestMetrics: false leaves the data path alone', async () => {
    let watched = false;
    const metrics = new JunctionMetrics(
      {
        observe: () => observation(),
        watch: () => {
          watched = true;
          return () => undefined;
        },
      },
      { processMetrics: false, requestMetrics: false },
    );
    expect(watched).toBe(false);
    expect(await metrics.scrape()).not.toContain('junction_requests_total');
  });
});

describe('metric definitions', () => {
  test('follow Prometheus naming: junction_ prefix, counters in _total, unique names', () => {
    const names = SERVER_METRICS_DEFINITIONS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of SERVER_METRICS_DEFINITIONS) {
      expect(d.name).toMatch(/^junction_[a-z_]+$/);
      if (d.type === 'counter') expect(d.name).toMatch(/_total$/);
      else expect(d.name).not.toMatch(/_total$/);
      for (const label of d.labels) expect(label).toMatch(/^[a-z]+$/);
    }
  });
});
