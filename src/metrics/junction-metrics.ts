/**
 * JunctionMetrics: a prom-client Registry of Junction's own (never the global one, so two Junctions in
 * one process, or a program embedding Junction with metrics of its own, do not mix), the metric
 * definitions, and the scrape. Every metric here is read from the server when scraped, through
 * `observe()`: the data path pays nothing for it.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ServerObservation } from '../server/index.ts';
import { CarriedTotals } from './carried-totals.ts';
import { SERVER_METRICS_DEFINITIONS, type Emit, type ServerMetric } from './server-metrics.ts';

const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/** What a scrape reads: JunctionServer satisfies it. */
export interface MetricsSource {
  observe(): ServerObservation;
}

export interface JunctionMetricsOptions {
  /**
   * prom-client's process and Node.js metrics under their standard names (`process_cpu_seconds_total`,
   * `nodejs_eventloop_lag_seconds`, heap, handles, GC), so the usual Node.js dashboards apply. Default
   * true.
   */
  readonly processMetrics?: boolean;
}

export class JunctionMetrics {
  readonly registry = new Registry();
  readonly #source: MetricsSource;
  readonly #totals = new CarriedTotals();
  /** The observation of the scrape under way: every metric of one scrape reads the same one. */
  #observation: ServerObservation | undefined;

  constructor(source: MetricsSource, options: JunctionMetricsOptions = {}) {
    this.#source = source;
    for (const definition of SERVER_METRICS_DEFINITIONS) this.#define(definition);
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named `_total` break Prometheus naming (promtool refuses them); the same counts remain
      // by type in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
      for (const name of MISNAMED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    }
  }

  /** The Content-Type of scrape() (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text format. */
  async scrape(): Promise<string> {
    this.#observation = this.#source.observe();
    try {
      return await this.registry.metrics();
    } finally {
      this.#observation = undefined;
    }
  }

  #observe(): ServerObservation {
    return this.#observation ?? this.#source.observe();
  }

  #define(definition: ServerMetric): void {
    const { name, help, labels } = definition;
    const totals = this.#totals;
    const observe = () => this.#observe();
    if (definition.type === 'gauge') {
      const gauge: Gauge = new Gauge({
        name,
        help,
        labelNames: labels,
        registers: [this.registry],
        collect: () => {
          gauge.reset();
          definition.read(observe(), (values, value) => {
            gauge.set(values, value);
          });
        },
      });
      return;
    }
    const counter: Counter = new Counter({
      name,
      help,
      labelNames: labels,
      registers: [this.registry],
      collect: () => {
        counter.reset();
        const emit: Emit = (values, value, counters) => {
          const total =
            counters === undefined ? value : totals.total(seriesKey(name, values), counters, value);
          counter.inc(values, total);
        };
        definition.read(observe(), emit);
      },
    });
  }
}

/** A series' identity: its name and label values (label order is the definition's, so stable). */
function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  let key = name;
  for (const value of Object.values(labels)) key += `\u0000${value}`;
  return key;
}
