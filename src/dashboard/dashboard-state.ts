/**
 * What the dashboard's data endpoint answers: one JSON document with everything the page draws. It
 * reads the admin API's sources (the target's status, stats, clusters and backends, the config in
 * force) and the `/metrics` scrape, and keeps only a short ring of metric readings, from which rates,
 * error ratios and percentiles over the last minutes are differences: no counting of its own.
 */
import { createRequire } from 'node:module';
import { formatHostPort, type RouteConfig } from '../config/index.ts';
import type { FailedTransaction } from '../metrics/index.ts';
import { parseMetricsText } from '../metrics/index.ts';
import {
  describeDiff,
  entryCounts,
  joinWorkerSections,
  type Answer,
  type ConfigDiff,
  type ServerStatus,
  type StatusReadings,
  type UpstreamStatus,
} from '../server/index.ts';
import { histogramDelta, histogramQuantile, type HistogramReading } from './histogram-quantile.ts';
import { HistoryRing } from './history-ring.ts';
import { readMetrics, type MetricsReading } from './metrics-reading.ts';

/** What the dashboard reads of a running Junction: the admin API's target (one server or a group). */
export type DashboardTarget = StatusReadings;

/** What the dashboard reads of the metrics: the scrape, and the last failed transactions if kept. */
export interface DashboardMetrics {
  render(): Answer<string>;
  recentFailures?(): Answer<readonly FailedTransaction[]>;
}

export interface DashboardOptions {
  /** Readings closer together than this reuse the last one (several pages open cost one scrape). */
  readonly minIntervalMs?: number;
  /** How far back percentiles, error ratios and charts reach. */
  readonly windowMs?: number;
  /** The window of the "now" rates. */
  readonly rateWindowMs?: number;
}

const DEFAULT_MIN_INTERVAL_MS = 2000;
const DEFAULT_WINDOW_MS = 5 * 60_000;
const DEFAULT_RATE_WINDOW_MS = 10_000;

const VERSION = (
  createRequire(import.meta.url)('../../package.json') as {
    version: string;
  }
).version;

/** The server's last reload that changed the config: between which versions, and what changed. */
interface ConfigChange {
  readonly from: number;
  readonly to: number;
  readonly at: number;
  readonly summary: string;
  readonly changes: Record<string, unknown>;
}

/** Which state a backend is in, the first that applies, and why. */
export type BackendState = 'draining' | 'down' | 'ejected' | 'trial' | 'up' | 'unhealthy';

export function backendState(u: UpstreamStatus): { state: BackendState; reason: string } {
  if (u.draining) return { state: 'draining', reason: 'being drained' };
  if (u.checked && !u.activeUp) {
    const why =
      u.lastCheckError !== undefined
        ? u.lastCheckError
        : u.lastCheckStatus !== 0
          ? `check answered ${u.lastCheckStatus}`
          : 'failing checks';
    return { state: 'down', reason: `active check: ${why}` };
  }
  if (u.ejected) {
    const back = u.ejectedForMs > 0 ? `, trial in ${Math.ceil(u.ejectedForMs / 1000)} s` : '';
    return { state: 'ejected', reason: `${u.ejectionReason || 'passive health'}${back}` };
  }
  if (u.onTrial) return { state: 'trial', reason: 'on trial after an ejection' };
  if (!u.isUp) return { state: 'unhealthy', reason: '' };
  return { state: 'up', reason: '' };
}

/** A route's conditions as short phrases: `host a.example`, `path prefix /v1/`, `method GET`, … */
export function routeConditions(route: RouteConfig): string[] {
  const m = route.match;
  const out: string[] = [];
  const host = (h: RouteConfig['match']['hosts'][number]) => (h.kind === 'exact' ? h.host : `*${h.suffix}`);
  if (m.hosts.length > 0) out.push(`host ${m.hosts.map(host).join(' | ')}`);
  if (m.sni !== undefined && m.sni.length > 0) out.push(`sni ${m.sni.map(host).join(' | ')}`);
  if (m.path !== undefined) out.push(`path ${m.path.kind} ${m.path.value}`);
  if (m.methods.length > 0) out.push(`method ${m.methods.join(' | ')}`);
  for (const h of m.headers) {
    out.push(
      `header ${h.name}${h.value !== undefined ? ` = ${h.value}` : h.regex !== undefined ? ` ~ ${h.regex}` : ''}`,
    );
  }
  return out.length === 0 ? ['any request'] : out;
}

/**
 * The scrape's own `junction_*` families: the process metrics after them (prom-client's) are not
 * charted, and are not always valid text format (an event-loop lag of `Nan` before the first sample).
 */
export function junctionFamilies(text: string): string {
  return text
    .split('\n')
    .filter((line) => line.startsWith('junction_') || /^# (HELP|TYPE) junction_/.test(line))
    .join('\n');
}

/** Names shown per kind of change; past that, counts. */
const CHANGED_NAMES = 20;

/** What a diff added, removed and modified, by kind, with the first names of each. */
function changesOf(diff: ConfigDiff): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kind of ['listeners', 'routes', 'clusters', 'backends'] as const) {
    const d = diff[kind];
    const counts = entryCounts(d);
    if (counts.added + counts.removed + counts.modified === 0) continue;
    out[kind] = {
      added: d.added.slice(0, CHANGED_NAMES),
      removed: d.removed.slice(0, CHANGED_NAMES),
      modified: d.modified.slice(0, CHANGED_NAMES),
      counts: [counts.added, counts.removed, counts.modified],
    };
  }
  if (diff.settings.length > 0) out['settings'] = diff.settings;
  return out;
}

const rate = (after: number, before: number, seconds: number) =>
  seconds > 0 ? Math.max(0, after >= before ? after - before : after) / seconds : 0;

/** What a counter counted since an earlier reading (all of it without one, or after a reset). */
const since = (after: number, before: number | undefined) =>
  before === undefined || after < before ? after : after - before;

const round = (value: number | undefined, digits = 3) =>
  value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits));

/** Milliseconds from seconds, rounded; null for no value. */
const ms = (seconds: number | undefined) => (seconds === undefined ? null : round(seconds * 1000, 2));

export class Dashboard {
  readonly #target: DashboardTarget;
  readonly #metrics: DashboardMetrics | undefined;
  readonly #minIntervalMs: number;
  readonly #windowMs: number;
  readonly #rateWindowMs: number;
  readonly #ring: HistoryRing<MetricsReading>;
  #reading: Promise<void> | undefined;

  constructor(
    target: DashboardTarget,
    metrics: DashboardMetrics | undefined,
    options: DashboardOptions = {},
  ) {
    this.#target = target;
    this.#metrics = metrics;
    this.#minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
    this.#windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.#rateWindowMs = options.rateWindowMs ?? DEFAULT_RATE_WINDOW_MS;
    this.#ring = new HistoryRing(Math.max(2, Math.ceil(this.#windowMs / this.#minIntervalMs) + 1));
  }

  /** Reads the metrics unless a reading is fresh enough; concurrent callers share one. */
  async #read(now: number): Promise<void> {
    if (this.#metrics === undefined) return;
    const latest = this.#ring.latest();
    if (latest !== undefined && now - latest.at < this.#minIntervalMs) return;
    this.#reading ??= (async () => {
      try {
        const text = await this.#metrics!.render();
        this.#ring.push(Date.now(), readMetrics(parseMetricsText(junctionFamilies(text))));
      } catch {
        // A scrape that does not parse is skipped: the page keeps the readings it has.
      } finally {
        this.#reading = undefined;
      }
    })();
    await this.#reading;
  }

  /** What the server remembers of its last reload (a page opened later still shows it). */
  #lastChange(status: ServerStatus): ConfigChange | undefined {
    const last = status.lastReload;
    if (last === null) return undefined;
    return {
      from: last.version - 1,
      to: last.version,
      at: last.at,
      summary: describeDiff(last.diff),
      changes: changesOf(last.diff),
    };
  }

  /** The dashboard's whole state now. */
  async state(
    extra: { unsaved?: boolean; file?: string | undefined } = {},
  ): Promise<Record<string, unknown>> {
    const now = Date.now();
    const target = this.#target;
    const [status, stats, clusters, upstreams, failures] = await Promise.all([
      target.status(),
      target.stats(),
      target.clusters(),
      target.upstreams(),
      this.#metrics?.recentFailures?.(),
      this.#read(now),
    ]);
    const lastChange = this.#lastChange(status);
    const ring = this.#ring;
    const latest = ring.latest();
    const windowStart = ring.since(now - this.#windowMs);
    const rateStart = ring.since(now - this.#rateWindowMs);
    const rateSeconds =
      latest !== undefined && rateStart !== undefined ? (latest.at - rateStart.at) / 1000 : 0;
    const windowSeconds =
      latest !== undefined && windowStart !== undefined ? (latest.at - windowStart.at) / 1000 : 0;
    const cur = latest?.value;
    const old = rateStart?.value;
    // With one reading so far, the window is everything counted since the metrics began.
    const win = windowStart === latest ? undefined : windowStart?.value;
    const config = target.config;
    const clusterStatus = new Map(clusters.map((c) => [c.name, c]));
    const series = this.#series();

    return {
      now,
      version: VERSION,
      startedAt: status.startedAt,
      uptimeMs: now - status.startedAt,
      metrics: this.#metrics !== undefined,
      windowSeconds: round(windowSeconds, 1),
      config: {
        version: status.version,
        hash: status.hash,
        source: status.source,
        appliedAt: status.appliedAt,
        reloadsApplied: status.reloadsApplied,
        reloadsRefused: status.reloadsRefused,
        closing: status.closing,
        unsaved: extra.unsaved ?? false,
        file: extra.file ?? null,
        lastChange: lastChange ?? null,
      },
      totals: {
        sessions: stats.sessions,
        upstreamInFlight: stats.upstreamInFlight,
        upstreamConnectionsOpen: stats.upstreamConnectionsOpen,
        requests: cur?.totals.requests ?? null,
        errors: cur?.totals.errors ?? null,
        requestsPerSecond:
          cur && old ? round(rate(cur.totals.requests, old.totals.requests, rateSeconds)) : null,
        errorsPerSecond: cur && old ? round(rate(cur.totals.errors, old.totals.errors, rateSeconds)) : null,
        receivedBytesPerSecond:
          cur && old ? round(rate(cur.totals.received, old.totals.received, rateSeconds), 0) : null,
        sentBytesPerSecond: cur && old ? round(rate(cur.totals.sent, old.totals.sent, rateSeconds), 0) : null,
      },
      workers: joinWorkerSections(status, stats) ?? null,
      listeners: target.listeners.map((l) => {
        const r = cur?.listeners.get(l.name);
        const o = old?.listeners.get(l.name);
        return {
          name: l.name,
          scheme: l.scheme,
          address: l.address,
          port: l.port,
          open: r?.open ?? null,
          queued: r?.queued ?? null,
          receivedBytesPerSecond: r && o ? round(rate(r.received, o.received, rateSeconds), 0) : null,
          sentBytesPerSecond: r && o ? round(rate(r.sent, o.sent, rateSeconds), 0) : null,
        };
      }),
      routes: config.routes.map((route) => {
        const r = cur?.routes.get(route.name);
        const o = old?.routes.get(route.name);
        const w = win?.routes.get(route.name);
        const requests = r === undefined ? 0 : since(r.requests, w?.requests);
        const errors = r === undefined ? 0 : since(r.errors, w?.errors);
        const latency = r?.duration === undefined ? undefined : histogramDelta(w?.duration, r.duration);
        return {
          name: route.name,
          conditions: routeConditions(route),
          cluster: route.cluster,
          strategy: route.strategy?.name ?? clusterStatus.get(route.cluster)?.strategy ?? null,
          requestsPerSecond: r && o ? round(rate(r.requests, o.requests, rateSeconds)) : null,
          requests: r?.requests ?? 0,
          windowRequests: requests,
          errorRatio: requests > 0 ? round(errors / requests, 4) : null,
          p50Ms: latency && ms(histogramQuantile(0.5, latency)),
          p95Ms: latency && ms(histogramQuantile(0.95, latency)),
          p99Ms: latency && ms(histogramQuantile(0.99, latency)),
          series: series.routes.get(route.name) ?? null,
        };
      }),
      clusters: [...config.clusters.values()].map((cluster) => {
        const c = clusterStatus.get(cluster.name);
        const nowFailures = cur?.clusterFailures.get(cluster.name);
        const winFailures = win?.clusterFailures.get(cluster.name);
        const failuresByCode: Record<string, number> = {};
        for (const [code, count] of nowFailures ?? []) {
          const d = since(count, winFailures?.get(code));
          if (d > 0) failuresByCode[code] = d;
        }
        return {
          name: cluster.name,
          strategy: c?.strategy ?? cluster.strategy.name,
          backendsUp: c?.backendsUp ?? null,
          panic: c?.panic ?? false,
          requests: c?.requests ?? null,
          retries: c?.retries ?? null,
          failuresByCode,
          backends: upstreams
            .filter((u) => u.cluster === cluster.name)
            .map((u) => {
              const key = `${u.cluster}/${u.id}`;
              const b = cur?.backends.get(key);
              const bw = win?.backends.get(key);
              const configured = cluster.backends.find((x) => x.id === u.id);
              const recentCodes: Record<string, number> = {};
              for (const f of failures ?? []) {
                if (f.cluster === u.cluster && f.upstream === u.id) {
                  const code = f.code || String(f.status);
                  recentCodes[code] = (recentCodes[code] ?? 0) + 1;
                }
              }
              return {
                id: u.id,
                address: u.address,
                ...backendState(u),
                inFlight: u.inFlight,
                connectionsOpen: u.connectionsOpen,
                connectionsIdle: u.connectionsIdle,
                requests: u.requests,
                failures: u.failures,
                windowFailures: b === undefined ? null : since(b.failures, bw?.failures),
                recentCodes,
                // What the admin API's POST /clusters/{name}/backends takes to put it back after a drain.
                restore:
                  configured === undefined
                    ? null
                    : {
                        id: u.id,
                        address: `${configured.tls ? 'https://' : ''}${formatHostPort(configured.host, configured.port)}`,
                        weight: configured.weight,
                      },
              };
            }),
        };
      }),
      recentErrors: failures === undefined ? null : failures,
      series: series.totals,
    };
  }

  /** Per-interval series for the charts: time (s), requests/s, errors/s, bytes/s; per route req/s and p95. */
  #series() {
    const all = this.#ring.all();
    const totals = {
      t: [] as number[],
      rps: [] as number[],
      eps: [] as number[],
      inBps: [] as number[],
      outBps: [] as number[],
    };
    const routes = new Map<string, { rps: (number | null)[]; p95Ms: (number | null)[] }>();
    for (const route of this.#target.config.routes) routes.set(route.name, { rps: [], p95Ms: [] });
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1]!;
      const b = all[i]!;
      const s = (b.at - a.at) / 1000;
      totals.t.push(Math.round(b.at / 1000));
      totals.rps.push(round(rate(b.value.totals.requests, a.value.totals.requests, s)) ?? 0);
      totals.eps.push(round(rate(b.value.totals.errors, a.value.totals.errors, s)) ?? 0);
      totals.inBps.push(round(rate(b.value.totals.received, a.value.totals.received, s), 0) ?? 0);
      totals.outBps.push(round(rate(b.value.totals.sent, a.value.totals.sent, s), 0) ?? 0);
      for (const [name, out] of routes) {
        const rb = b.value.routes.get(name);
        const ra = a.value.routes.get(name);
        out.rps.push(rb === undefined ? null : round(rate(rb.requests, ra?.requests ?? 0, s)));
        const d: HistogramReading | undefined =
          rb?.duration === undefined ? undefined : histogramDelta(ra?.duration, rb.duration);
        out.p95Ms.push(d === undefined ? null : ms(histogramQuantile(0.95, d)));
      }
    }
    return { totals, routes };
  }
}
