/**
 * JunctionMetrics: the scrape. The metrics read from the server (through `observe()`, when scraped, so
 * the data path pays nothing for them), then a prom-client Registry of Junction's own (never the
 * global one, so two Junctions in one process, or a program embedding Junction with metrics of its own,
 * do not mix) with the process metrics.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { DataPathObserver, ServerObservation } from '../server/index.ts';
import { CarriedTotals } from './carried-totals.ts';
import type { FailedTransaction } from './recent-failures.ts';
import { RequestMetrics } from './request-metrics.ts';
import {
  parseMetricsText,
  type MetricFamily,
  type MetricFamilyType,
  type MetricSample,
} from './metric-family.ts';
import { SERVER_METRICS_DEFINITIONS } from './server-metrics.ts';
import { renderMetrics } from './text-format.ts';

const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/** prom-client's process and Node.js metrics, under their standard names, in `registry`. */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  // Gauges named `_total` break Prometheus naming (promtool refuses them); the same counts remain
  // by type in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
  for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
}

/** A prom-client registry's metrics as families (its `getMetricsAsJSON()`, without what we do not use). */
export async function registryFamilies(registry: Registry): Promise<MetricFamily[]> {
  return (await registry.getMetricsAsJSON()).map((m): MetricFamily => ({
    name: m.name,
    help: m.help,
    type: String(m.type) as MetricFamilyType,
    values: m.values.map((v) => ({
      value: v.value,
      labels: v.labels as MetricSample['labels'],
      ...('metricName' in v && typeof v.metricName === 'string' ? { metricName: v.metricName } : {}),
    })),
  }));
}

/** What a scrape reads: JunctionServer satisfies it. */
export interface MetricsSource {
  observe(): ServerObservation;
  /** Attaches the per-request counters to the data path; without it there are none. */
  watch?(observer: DataPathObserver): () => void;
}

export interface JunctionMetricsOptions {
  /**
   * prom-client's process and Node.js metrics under their standard names (`process_cpu_seconds_total`,
   * `nodejs_eventloop_lag_seconds`, heap, handles, GC), so the usual Node.js dashboards apply. Default
   * true.
   */
  readonly processMetrics?: boolean;
  /**
   * The metrics counted per request (requests by route and code, latency histograms, upstream
   * attempts, retries, bytes), from the moment this is built. Default true.
   */
  readonly requestMetrics?: boolean;
}

export class JunctionMetrics {
  readonly registry = new Registry();
  readonly #source: MetricsSource;
  readonly #totals = new CarriedTotals();
  readonly #requests: RequestMetrics | null = null;
  readonly #unwatch: (() => void) | undefined;

  constructor(source: MetricsSource, options: JunctionMetricsOptions = {}) {
    this.#source = source;
    if (options.requestMetrics !== false && source.watch !== undefined) {
      this.#requests = new RequestMetrics();
      this.#unwatch = source.watch(this.#requests);
    }
    if (options.processMetrics !== false) collectProcessMetrics(this.registry);
  }

  /** The Content-Type of scrape() (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Every metric in the Prometheus text format: those read from the server (one observation, so one
   * scrape is consistent), then the registry's.
   */
  async scrape(): Promise<string> {
    const observation: ServerObservation = this.#source.observe();
    const own = renderMetrics(SERVER_METRICS_DEFINITIONS, observation, this.#totals);
    const requests = this.#requests?.render() ?? '';
    return own + requests + (await this.registry.metrics());
  }

  /**
   * The same scrape as families of samples (what a worker sends its primary, which merges the group's
   * in group-metrics.ts). Counters are this process's totals, kept monotonic here as in scrape().
   */
  async scrapeFamilies(): Promise<MetricFamily[]> {
    const observation: ServerObservation = this.#source.observe();
    const own = renderMetrics(SERVER_METRICS_DEFINITIONS, observation, this.#totals);
    const requests = this.#requests?.render() ?? '';
    return [...parseMetricsText(own + requests), ...(await registryFamilies(this.registry))];
  }

  /** The scrape, as the admin API asks for it (AdminMetrics). */
  render(): Promise<string> {
    return this.scrape();
  }

  /** The last failed transactions, newest first (none when per-request metrics are off). */
  recentFailures(): FailedTransaction[] {
    return this.#requests?.failures.list() ?? [];
  }

  /** Detaches the per-request counters from the data path (the admin API closing). */
  close(): void {
    this.#unwatch?.();
  }
}
