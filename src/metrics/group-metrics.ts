/**
 * `/metrics` for a group of workers: each worker sends its scrape as families (JunctionMetrics
 * .scrapeFamilies(), its counters already monotonic across its reloads), and the primary merges them
 * into one scrape, as prom-client's cluster aggregation does, with rules for what Prometheus users
 * read from a proxy:
 * - Junction's counters and histograms (every `_bucket`, `_sum` and `_count`) are summed per label
 *   set: the group served what its workers served. So are gauges that count things (connections
 *   open, attempts in flight, rule stats).
 * - Gauges that state a fact about a backend or the config are not counts: `junction_backend_up` and
 *   `junction_backend_check_up` are 1 only when every worker has the backend up (passive health is per
 *   worker); `_ejected`, `_on_trial`, `_draining` are 1 when any worker has it so.
 *   The config metrics (`junction_config_*`) are the group's when the primary gives its status: it
 *   holds the config every worker serves and counts the group's reloads. Without it, the version and
 *   reload timestamp are the oldest worker's, and `junction_config_info` has one series per config
 *   hash some worker serves.
 * - Counts every worker makes of the same events are not summed: every worker applies every reload
 *   (`junction_config_reloads_total`) and the result of every active check (`junction_backend_checks_total`),
 *   so the group's count is the most any worker has.
 * - Process metrics (`process_*`, `nodejs_*`) describe one process each: summing the event loop lag or
 *   the heap limits of several processes means nothing, so every series keeps its worker's value under
 *   a `worker` label; the primary's own are under `worker="primary"`, so
 *   `sum(process_resident_memory_bytes)` is the whole group's memory.
 * - `junction_workers` says how many workers answered the scrape.
 *
 * A worker that exits takes its counters with it; GroupMetrics keeps what it had counted (retire()),
 * so the group's counters never go down when a worker is replaced, and a rate() over them stays true.
 */
import {
  renderFamilies,
  stringLabels,
  type MetricFamily,
  type MetricFamilyType,
  type MetricSample,
} from './metric-family.ts';
import { Registry } from 'prom-client';
import type { ServerStatus } from '../server/index.ts';
import { SERVER_METRICS_DEFINITIONS } from './server-metrics.ts';
import { labelText } from './text-format.ts';
import { collectProcessMetrics, registryFamilies, type JunctionMetrics } from './junction-metrics.ts';

/** One worker's scrape as families, as the primary receives it (the shape of a workers/ WorkerReport). */
export interface WorkerMetricsReport {
  readonly worker: number;
  readonly pid: number;
  readonly value: readonly MetricFamily[];
}

/** How the workers' values of one series make the group's. */
export type GroupAggregation = 'sum' | 'min' | 'max' | 'per-worker';

/** The metrics whose group value is not the sum of the workers' values (see the file's comment). */
const AGGREGATIONS: Readonly<Record<string, GroupAggregation>> = {
  junction_backend_up: 'min',
  junction_backend_check_up: 'min',
  junction_backend_ejected: 'max',
  junction_backend_on_trial: 'max',
  junction_backend_draining: 'max',
  junction_backend_checks_total: 'max',
  junction_config_version: 'min',
  junction_config_last_reload_timestamp_seconds: 'min',
  junction_config_info: 'max',
  junction_config_reloads_total: 'max',
};

/** How metric `name` adds up across workers. */
export function groupAggregation(name: string): GroupAggregation {
  if (name.startsWith('process_') || name.startsWith('nodejs_')) return 'per-worker';
  return AGGREGATIONS[name] ?? 'sum';
}

/** The label that tells workers' process metrics apart; the primary's own are `worker="primary"`. */
export const WORKER_LABEL = 'worker';
const PRIMARY = 'primary';

/** What the primary adds to its workers' scrapes. */
export interface GroupFacts {
  /** The primary's own process metrics, shown under `worker="primary"`. */
  readonly primary?: readonly MetricFamily[];
  /** The group's config status: the `junction_config_*` metrics then say what it says. */
  readonly status?: ServerStatus;
}

export interface GroupMetricsOptions {
  /**
   * The primary process's own process and Node.js metrics in source()'s scrapes, under
   * `worker="primary"` (its memory is part of the group's). Default true.
   */
  readonly processMetrics?: boolean;
}

const WORKERS_HELP = 'Workers that answered this scrape.';

/** The worker side: this worker's scrape as families, to send to the primary. */
export function workerMetricsJson(metrics: JunctionMetrics): Promise<MetricFamily[]> {
  return metrics.scrapeFamilies();
}

/** One series being merged. */
interface Series {
  readonly metricName: string | undefined;
  readonly labels: Record<string, string>;
  value: number;
}

interface MergedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricFamilyType;
  readonly aggregation: GroupAggregation;
  /** By sample name and label text, in the order first seen. */
  readonly series: Map<string, Series>;
}

/**
 * The workers' scrapes merged into one scrape in the Prometheus text format. Stateless: a worker
 * replaced since the last scrape lowers the summed counters (Prometheus reads it as a counter reset);
 * GroupMetrics keeps them monotonic.
 */
export function renderGroupMetrics(reports: readonly WorkerMetricsReport[], group: GroupFacts = {}): string {
  return renderFamilies(mergeFamilies(reports, [], group));
}

/**
 * The primary's `/metrics` across restarts of workers: renders as renderGroupMetrics() does, and adds
 * to every summed counter and histogram what workers that have exited had counted.
 */
export class GroupMetrics {
  /** Each live worker's last counted values (summed counters and histograms), by pid. */
  readonly #last = new Map<number, readonly MetricFamily[]>();
  /** What exited workers had counted, per series. */
  readonly #retired = new Map<string, { family: FamilyHead; sample: MetricSample }>();
  /** The primary's own process metrics; null when not asked for. */
  readonly #registry: Registry | null = null;

  constructor(options: GroupMetricsOptions = {}) {
    if (options.processMetrics !== false) {
      this.#registry = new Registry();
      collectProcessMetrics(this.#registry);
    }
  }

  /**
   * Merges the workers' scrapes (remembering each one's counters for retire()) into one scrape, with
   * `primary`'s process metrics (the primary's own) under `worker="primary"`.
   */
  render(reports: readonly WorkerMetricsReport[], group: GroupFacts = {}): string {
    for (const report of reports) this.#last.set(report.pid, carriedFamilies(report.value));
    const carried: CarriedSample[] = [...this.#retired.values()];
    // A worker that did not answer this time (a slow one) still counted what it counted.
    const answered = new Set(reports.map((r) => r.pid));
    for (const [pid, families] of this.#last) {
      if (answered.has(pid)) continue;
      for (const family of families) for (const sample of family.values) carried.push({ family, sample });
    }
    return renderFamilies(mergeFamilies(reports, carried, group));
  }

  /**
   * The admin API's `/metrics` for the group (an AdminMetrics): each render asks `collect` for every
   * worker's scrape (over the IPC) and merges the answers, with the primary's process metrics and,
   * given `status` (the group's), the group's config metrics.
   */
  source(
    collect: () => Promise<readonly WorkerMetricsReport[]>,
    status?: () => ServerStatus | Promise<ServerStatus>,
  ): {
    render(): Promise<string>;
    close(): void;
  } {
    return {
      render: async () => {
        const [reports, primary, config] = await Promise.all([
          collect(),
          this.#registry === null ? [] : registryFamilies(this.#registry),
          status?.(),
        ]);
        return this.render(reports, { primary, ...(config === undefined ? {} : { status: config }) });
      },
      close: () => undefined,
    };
  }

  /**
   * Worker `pid` exited: its last counts stay in the group's counters from now on. Call it when the
   * worker's exit is known; a pid never scraped is ignored.
   */
  retire(pid: number): void {
    const families = this.#last.get(pid);
    if (families === undefined) return;
    this.#last.delete(pid);
    for (const family of families) {
      for (const sample of family.values) {
        const key = seriesKey(family.name, sample.metricName, stringLabels(sample.labels));
        const base = this.#retired.get(key);
        this.#retired.set(key, {
          family,
          sample: { ...sample, value: (base?.sample.value ?? 0) + sample.value },
        });
      }
    }
  }
}

type FamilyHead = Pick<MetricFamily, 'name' | 'help' | 'type'>;

interface CarriedSample {
  readonly family: FamilyHead;
  readonly sample: MetricSample;
}

/** The families whose counts a retired worker leaves behind: summed counters and histograms. */
function carriedFamilies(families: readonly MetricFamily[]): MetricFamily[] {
  return families.filter(
    (f) => (f.type === 'counter' || f.type === 'histogram') && groupAggregation(f.name) === 'sum',
  );
}

function seriesKey(family: string, metricName: string | undefined, labels: Record<string, string>): string {
  return `${family}\u0000${metricName ?? ''}${labelText(labels)}`;
}

function mergeFamilies(
  reports: readonly WorkerMetricsReport[],
  carried: readonly CarriedSample[],
  group: GroupFacts,
): MetricFamily[] {
  const families = new Map<string, MergedFamily>();
  const familyOf = (head: FamilyHead): MergedFamily => {
    let family = families.get(head.name);
    if (family === undefined) {
      family = {
        name: head.name,
        help: head.help,
        type: head.type,
        aggregation: groupAggregation(head.name),
        series: new Map(),
      };
      families.set(head.name, family);
    }
    return family;
  };
  for (const report of reports) {
    for (const head of report.value) {
      const family = familyOf(head);
      // Workers running different code (a restart under way) may disagree on a type: the first wins.
      if (family.type !== head.type) continue;
      for (const sample of head.values) {
        const own = stringLabels(sample.labels);
        const labels =
          family.aggregation === 'per-worker' ? { [WORKER_LABEL]: String(report.worker), ...own } : own;
        add(family, sample.metricName, labels, sample.value);
      }
    }
  }
  for (const head of group.primary ?? []) {
    const family = familyOf(head);
    if (family.type !== head.type || family.aggregation !== 'per-worker') continue;
    for (const sample of head.values) {
      add(
        family,
        sample.metricName,
        { [WORKER_LABEL]: PRIMARY, ...stringLabels(sample.labels) },
        sample.value,
      );
    }
  }
  for (const { family: head, sample } of carried) {
    const family = familyOf(head);
    if (family.type !== head.type || family.aggregation !== 'sum') continue;
    add(family, sample.metricName, stringLabels(sample.labels), sample.value);
  }
  if (group.status !== undefined) groupConfigSeries(group.status, familyOf);
  const merged: MetricFamily[] = [
    {
      name: 'junction_workers',
      help: WORKERS_HELP,
      type: 'gauge',
      values: [{ value: reports.length, labels: {} }],
    },
  ];
  for (const family of families.values()) {
    merged.push({
      name: family.name,
      help: family.help,
      type: family.type,
      values: [...family.series.values()].map((s) => ({
        value: s.value,
        labels: s.labels,
        ...(s.metricName === undefined ? {} : { metricName: s.metricName }),
      })),
    });
  }
  return merged;
}

/**
 * The config metrics (`junction_config_*`) as the group states them, in place of the workers': a
 * worker started later, or one that applied a rollback, counts its versions and reloads its own way,
 * while the group's config and its reloads are the primary's.
 */
function groupConfigSeries(status: ServerStatus, familyOf: (head: FamilyHead) => MergedFamily): void {
  const observation = {
    status,
    listeners: [],
    clusters: [],
    backends: [],
    deadlinesFired: 0,
    zombiesClosed: 0,
    ruleStats: [],
  };
  for (const definition of SERVER_METRICS_DEFINITIONS) {
    if (!definition.name.startsWith('junction_config_')) continue;
    const family = familyOf(definition);
    family.series.clear();
    definition.read(observation, (labels, value) => {
      add(family, undefined, { ...labels }, value);
    });
  }
}

function add(
  family: MergedFamily,
  metricName: string | undefined,
  labels: Record<string, string>,
  value: number,
): void {
  const key = seriesKey(family.name, metricName, labels);
  const series = family.series.get(key);
  if (series === undefined) {
    family.series.set(key, { metricName, labels, value });
    return;
  }
  switch (family.aggregation) {
    case 'sum':
      series.value += value;
      break;
    case 'min':
      series.value = Math.min(series.value, value);
      break;
    case 'max':
      series.value = Math.max(series.value, value);
      break;
    case 'per-worker':
      // Two samples of one worker under one label set: a worker's own scrape never has them.
      series.value = value;
      break;
  }
}
