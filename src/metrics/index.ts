/**
 * metrics: Junction's Prometheus metrics. Owns the metric definitions and their prom-client Registry
 * (one per JunctionMetrics, never prom-client's global one), and renders a scrape in the text format.
 * - Everything the server already counts (listeners, clusters, backends, pools, reloads, rule stats) is
 *   read at scrape time from JunctionServer.observe(), so it costs the data path nothing; counters
 *   stay monotonic across reloads that replace the objects holding them (CarriedTotals).
 * - Those are rendered straight into the text format (text-format.ts); prom-client's registry holds the
 *   process metrics and renders after them.
 * - Labels are config names and small fixed sets, never request values.
 * - Metrics counted per request (request-metrics.ts) hear the data path through the server's watch():
 *   every finished transaction (the same TxnEnd the access log reads) and every upstream attempt,
 *   connect and retry. They write numbers into slots found by config name, allocating nothing once a
 *   label set has been seen, and are kept by name here, so reloads never reset them.
 * - The last failed transactions (recent-failures.ts), for the dashboard: a fixed ring the same observer
 *   writes only when a transaction fails.
 * - With several workers (group-metrics.ts): each worker's scrape as families of samples
 *   (metric-family.ts, prom-client's JSON shape), merged by the primary into one scrape: counters and
 *   histograms summed, health and config gauges combined, process metrics labelled by `worker`.
 * Does not: serve HTTP or touch sockets (the admin API serves the scrape), or change any state.
 * Used by: admin/, and the primary of a group of workers. Uses: server/ (types of the observation),
 * prom-client.
 */
export {
  collectProcessMetrics,
  JunctionMetrics,
  registryFamilies,
  type JunctionMetricsOptions,
  type MetricsSource,
} from './junction-metrics.ts';
export { CarriedTotals } from './carried-totals.ts';
export { SERVER_METRICS_DEFINITIONS, type ServerMetric } from './server-metrics.ts';
export { renderMetrics } from './text-format.ts';
export { RequestMetrics } from './request-metrics.ts';
export {
  RecentFailures,
  RECENT_FAILURES,
  mergeRecentFailures,
  type FailedTransaction,
} from './recent-failures.ts';
export {
  GroupMetrics,
  groupAggregation,
  renderGroupMetrics,
  workerMetricsJson,
  WORKER_LABEL,
  type GroupAggregation,
  type GroupMetricsOptions,
  type WorkerMetricsReport,
} from './group-metrics.ts';
export {
  MetricsTextError,
  parseMetricsText,
  renderFamilies,
  type MetricFamily,
  type MetricFamilyType,
  type MetricSample,
} from './metric-family.ts';
