/**
 * One reading of the metrics the dashboard charts, taken from the `/metrics` scrape itself (one
 * server's, or a group's merged one), so the page shows exactly what Prometheus would: requests and
 * errors by route, the request-duration histogram by route, bytes and connections by listener, failed
 * upstream attempts by cluster and code, and attempts by backend.
 */
import type { MetricFamily, MetricSample } from '../metrics/index.ts';
import type { HistogramReading } from './histogram-quantile.ts';

export interface RouteReading {
  requests: number;
  /** Answers with a 5xx status. */
  errors: number;
  duration: HistogramReading | undefined;
}

export interface ListenerReading {
  open: number;
  queued: number;
  received: number;
  sent: number;
}

export interface BackendReading {
  attempts: number;
  failures: number;
}

export interface MetricsReading {
  /** By route name; `''` holds requests no route matched. */
  readonly routes: Map<string, RouteReading>;
  readonly listeners: Map<string, ListenerReading>;
  /** Failed upstream attempts (every outcome but success) by cluster, then by error code. */
  readonly clusterFailures: Map<string, Map<string, number>>;
  /** By `cluster/backend`. */
  readonly backends: Map<string, BackendReading>;
  readonly totals: { requests: number; errors: number; received: number; sent: number };
}

function label(sample: MetricSample, name: string): string {
  const value = sample.labels[name];
  return value === undefined ? '' : String(value);
}

function entry<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

const newRoute = (): RouteReading => ({ requests: 0, errors: 0, duration: undefined });
const newListener = (): ListenerReading => ({ open: 0, queued: 0, received: 0, sent: 0 });
const newBackend = (): BackendReading => ({ attempts: 0, failures: 0 });

/** The dashboard's reading of a scrape's families. */
export function readMetrics(families: readonly MetricFamily[]): MetricsReading {
  const reading: MetricsReading = {
    routes: new Map(),
    listeners: new Map(),
    clusterFailures: new Map(),
    backends: new Map(),
    totals: { requests: 0, errors: 0, received: 0, sent: 0 },
  };
  for (const family of families) {
    switch (family.name) {
      case 'junction_requests_total':
        for (const s of family.values) {
          const route = entry(reading.routes, label(s, 'route'), newRoute);
          const error = label(s, 'code').startsWith('5');
          route.requests += s.value;
          reading.totals.requests += s.value;
          if (error) {
            route.errors += s.value;
            reading.totals.errors += s.value;
          }
        }
        break;
      case 'junction_request_duration_seconds':
        readDurations(family, reading.routes);
        break;
      case 'junction_listener_connections_open':
        for (const s of family.values)
          entry(reading.listeners, label(s, 'listener'), newListener).open = s.value;
        break;
      case 'junction_listener_connections_queued':
        for (const s of family.values)
          entry(reading.listeners, label(s, 'listener'), newListener).queued = s.value;
        break;
      case 'junction_listener_received_bytes_total':
        for (const s of family.values) {
          entry(reading.listeners, label(s, 'listener'), newListener).received = s.value;
          reading.totals.received += s.value;
        }
        break;
      case 'junction_listener_sent_bytes_total':
        for (const s of family.values) {
          entry(reading.listeners, label(s, 'listener'), newListener).sent = s.value;
          reading.totals.sent += s.value;
        }
        break;
      case 'junction_upstream_attempts_total':
        for (const s of family.values) {
          if (label(s, 'outcome') === 'success') continue;
          const codes = entry(reading.clusterFailures, label(s, 'cluster'), () => new Map<string, number>());
          const code = label(s, 'code') || 'status';
          codes.set(code, (codes.get(code) ?? 0) + s.value);
        }
        break;
      case 'junction_backend_attempts_total':
        for (const s of family.values) {
          entry(reading.backends, `${label(s, 'cluster')}/${label(s, 'backend')}`, newBackend).attempts =
            s.value;
        }
        break;
      case 'junction_backend_attempt_failures_total':
        for (const s of family.values) {
          entry(reading.backends, `${label(s, 'cluster')}/${label(s, 'backend')}`, newBackend).failures =
            s.value;
        }
        break;
    }
  }
  return reading;
}

/** The `_bucket` samples of each route's histogram, in order of their bounds. */
function readDurations(family: MetricFamily, routes: Map<string, RouteReading>): void {
  const buckets = new Map<string, { le: number; count: number }[]>();
  for (const s of family.values) {
    if (s.metricName !== undefined && !s.metricName.endsWith('_bucket')) continue;
    const le = label(s, 'le');
    if (le === '') continue;
    entry(buckets, label(s, 'route'), () => []).push({
      le: le === '+Inf' ? Infinity : Number(le),
      count: s.value,
    });
  }
  for (const [route, list] of buckets) {
    list.sort((a, b) => a.le - b.le);
    entry(routes, route, newRoute).duration = {
      bounds: list.map((b) => b.le),
      cumulative: list.map((b) => b.count),
    };
  }
}
