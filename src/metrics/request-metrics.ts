/**
 * The metrics counted per request, as transactions end and upstream attempts settle: requests by
 * listener, route, cluster, method and status code; latency histograms; upstream attempts by outcome
 * and error code, connect times and retries by reason; bytes per listener.
 *
 * The data path writes plain numbers: each label set's counts sit in a Float64Array slot found through
 * Maps keyed by config names (a Map lookup by an existing string allocates nothing), and a slot is
 * made the first time its label set is seen. Label sets are bounded by config names and small fixed
 * sets (the standard methods and OTHER, status codes, verdicts, `JCT_ERR_*` codes, retry reasons),
 * never request values. The counts live here, keyed by name, not on objects a reload replaces: they
 * stay monotonic across reloads, and a route removed by one keeps its last counts.
 */
import type { DataPathObserver, SessionPort, TxnEnd } from '../server/index.ts';
import { RecentFailures } from './recent-failures.ts';
import { escapeHelp, formatValue, labelText } from './text-format.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'OTHER'];
const OTHER_METHOD = 9;

function methodIndex(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'CONNECT':
      return 5;
    case 'OPTIONS':
      return 6;
    case 'TRACE':
      return 7;
    case 'PATCH':
      return 8;
    default:
      return OTHER_METHOD;
  }
}

const VERDICTS = ['success', 'unreached', 'failure', 'suspect', 'neutral'] as const;
type Verdict = (typeof VERDICTS)[number];
const RETRY_REASONS = ['stale', 'reset', 'timeout', 'status', 'connect-failure'] as const;
type RetryReason = (typeof RETRY_REASONS)[number];

function verdictIndex(verdict: Verdict): number {
  switch (verdict) {
    case 'success':
      return 0;
    case 'unreached':
      return 1;
    case 'failure':
      return 2;
    case 'suspect':
      return 3;
    case 'neutral':
      return 4;
  }
}

function reasonIndex(reason: RetryReason): number {
  switch (reason) {
    case 'stale':
      return 0;
    case 'reset':
      return 1;
    case 'timeout':
      return 2;
    case 'status':
      return 3;
    case 'connect-failure':
      return 4;
  }
}

/** Request and response-head latency buckets, in seconds: 1 ms to a minute. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/** Connect time buckets, in seconds: 0.5 ms to 5 s (connect timeouts are seconds). */
export const CONNECT_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** A histogram's counts: per bucket (not cumulative; the last is +Inf), their sum and count. */
export class Histogram {
  readonly bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/** Counts by a small integer key, in slots made the first time a key is seen. */
class SlotCounts {
  readonly #slots = new Map<number, number>();
  #values = new Float64Array(4);

  add(key: number, amount: number): void {
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = this.#slots.size;
      if (slot === this.#values.length) {
        const grown = new Float64Array(slot * 2);
        grown.set(this.#values);
        this.#values = grown;
      }
      this.#slots.set(key, slot);
    }
    this.#values[slot]! += amount;
  }

  /** Every key seen and its count, in the order first seen. */
  forEach(visit: (key: number, value: number) => void): void {
    for (const [key, slot] of this.#slots) visit(key, this.#values[slot]!);
  }
}

/** One listener × route × cluster: its requests by method and status code. */
interface RequestSeries {
  readonly listener: string;
  readonly route: string;
  readonly cluster: string;
  /** Keyed by status × 16 + method index. */
  readonly counts: SlotCounts;
}

interface ListenerSeries {
  /** route → cluster → series */
  readonly routes: Map<string, Map<string, RequestSeries>>;
  received: number;
  sent: number;
}

interface ClusterSeries {
  /** error code ('' for none) → count per verdict */
  readonly attempts: Map<string, Float64Array>;
  readonly retries: Float64Array;
  readonly connect: Histogram;
  readonly responseHead: Histogram;
}

function newCluster(): ClusterSeries {
  return {
    attempts: new Map(),
    retries: new Float64Array(RETRY_REASONS.length),
    connect: new Histogram(CONNECT_BUCKETS),
    responseHead: new Histogram(LATENCY_BUCKETS),
  };
}

/** Every help text, for the renderer and the docs' list. */
export const REQUEST_METRICS_HELP = {
  junction_requests_total:
    'Finished requests by listener, route, cluster, method (the standard ones, else OTHER) and status code (0: the client left before an answer). Route and cluster are empty when none was chosen.',
  junction_request_duration_seconds:
    'From the request head to the end of the transaction, by route (empty: no route matched).',
  junction_listener_received_bytes_total:
    'Bytes read from clients in finished transactions (heads and bodies).',
  junction_listener_sent_bytes_total: 'Bytes written to clients in finished transactions (heads and bodies).',
  junction_upstream_attempts_total:
    "Upstream attempts by cluster, outcome (passive health's verdict: success, unreached, failure, suspect, neutral) and error code (empty on success).",
  junction_upstream_retries_total:
    'Retries started by cluster and reason (stale, reset, timeout, status, connect-failure); a stale pooled connection replayed is counted too.',
  junction_upstream_connect_duration_seconds:
    'Time to open a new upstream connection (TLS included), by cluster.',
  junction_upstream_response_head_seconds:
    "From the request head to the upstream's response head (retries included), by cluster.",
} as const;

/** Where one listener × route × cluster's transactions are counted. */
interface TransactionSeries {
  readonly listenerName: string;
  readonly route: string;
  readonly cluster: string;
  readonly listener: ListenerSeries;
  readonly series: RequestSeries;
  readonly duration: Histogram;
  readonly clusterSeries: ClusterSeries | null;
}

export class RequestMetrics implements DataPathObserver {
  readonly #listeners = new Map<string, ListenerSeries>();
  readonly #durations = new Map<string, Histogram>();
  readonly #clusters = new Map<string, ClusterSeries>();
  #last: TransactionSeries | null = null;
  /** The last failed transactions (the dashboard's recent errors); only failures write to it. */
  readonly failures = new RecentFailures();

  transactionEnded(session: SessionPort, end: TxnEnd, now: number): void {
    const listenerName = session.listener.name;
    const route = end.route?.name ?? '';
    const cluster = end.cluster ?? '';
    let last = this.#last;
    // Consecutive transactions mostly share their listener, route and cluster: their series are
    // looked up once (the names are the config's strings, so the comparisons are by identity).
    if (last?.listenerName !== listenerName || last.route !== route || last.cluster !== cluster) {
      last = this.#seriesOf(listenerName, route, cluster);
      this.#last = last;
    }
    const status = end.status >= 0 && end.status < 1000 ? end.status : 0;
    if (RecentFailures.failed(status, end.errorCode)) {
      this.failures.record(
        Date.now(),
        end.requestId,
        listenerName,
        route,
        cluster,
        end.upstream ?? '',
        status,
        end.errorCode ?? '',
      );
    }
    last.series.counts.add(status * 16 + methodIndex(end.head?.method ?? ''), 1);
    const listener = last.listener;
    listener.received += Math.max(0, session.bytesRead - end.readMark);
    listener.sent += Math.max(0, session.bytesWritten - end.writeMark);
    last.duration.observe(Math.max(0, now - end.startedAt) / 1000);
    if (end.upstreamHeadAt !== 0 && last.clusterSeries !== null) {
      last.clusterSeries.responseHead.observe(Math.max(0, end.upstreamHeadAt - end.startedAt) / 1000);
    }
  }

  #seriesOf(listenerName: string, route: string, cluster: string): TransactionSeries {
    let listener = this.#listeners.get(listenerName);
    if (listener === undefined) {
      listener = { routes: new Map(), received: 0, sent: 0 };
      this.#listeners.set(listenerName, listener);
    }
    let byCluster = listener.routes.get(route);
    if (byCluster === undefined) {
      byCluster = new Map();
      listener.routes.set(route, byCluster);
    }
    let series = byCluster.get(cluster);
    if (series === undefined) {
      series = { listener: listenerName, route, cluster, counts: new SlotCounts() };
      byCluster.set(cluster, series);
    }
    let duration = this.#durations.get(route);
    if (duration === undefined) {
      duration = new Histogram(LATENCY_BUCKETS);
      this.#durations.set(route, duration);
    }
    const clusterSeries = cluster === '' ? null : this.#cluster(cluster);
    return { listenerName, route, cluster, listener, series, duration, clusterSeries };
  }

  attemptEnded(cluster: string, verdict: Verdict, errorCode: string | undefined): void {
    const attempts = this.#cluster(cluster).attempts;
    const code = errorCode ?? '';
    let counts = attempts.get(code);
    if (counts === undefined) {
      counts = new Float64Array(VERDICTS.length);
      attempts.set(code, counts);
    }
    counts[verdictIndex(verdict)]!++;
  }

  connected(cluster: string, ms: number): void {
    this.#cluster(cluster).connect.observe(Math.max(0, ms) / 1000);
  }

  retried(cluster: string, reason: RetryReason): void {
    this.#cluster(cluster).retries[reasonIndex(reason)]!++;
  }

  #cluster(name: string): ClusterSeries {
    let series = this.#clusters.get(name);
    if (series === undefined) {
      series = newCluster();
      this.#clusters.set(name, series);
    }
    return series;
  }

  /** Every metric in the Prometheus text format. */
  render(): string {
    let out = head('junction_requests_total', 'counter');
    for (const listener of this.#listeners.values()) {
      for (const byCluster of listener.routes.values()) {
        for (const s of byCluster.values()) {
          s.counts.forEach((key, value) => {
            const labels = labelText({
              listener: s.listener,
              route: s.route,
              cluster: s.cluster,
              method: METHODS[key % 16]!,
              code: String(Math.floor(key / 16)),
            });
            out += `junction_requests_total${labels} ${formatValue(value)}\n`;
          });
        }
      }
    }
    out += '\n' + head('junction_request_duration_seconds', 'histogram');
    for (const [route, histogram] of this.#durations) {
      out += histogramText('junction_request_duration_seconds', { route }, histogram);
    }
    out += '\n' + head('junction_listener_received_bytes_total', 'counter');
    for (const [name, l] of this.#listeners) {
      out += `junction_listener_received_bytes_total${labelText({ listener: name })} ${formatValue(l.received)}\n`;
    }
    out += '\n' + head('junction_listener_sent_bytes_total', 'counter');
    for (const [name, l] of this.#listeners) {
      out += `junction_listener_sent_bytes_total${labelText({ listener: name })} ${formatValue(l.sent)}\n`;
    }
    out += '\n' + head('junction_upstream_attempts_total', 'counter');
    for (const [cluster, c] of this.#clusters) {
      for (const [code, counts] of c.attempts) {
        for (let v = 0; v < VERDICTS.length; v++) {
          if (counts[v] === 0) continue;
          const labels = labelText({ cluster, outcome: VERDICTS[v]!, code });
          out += `junction_upstream_attempts_total${labels} ${formatValue(counts[v]!)}\n`;
        }
      }
    }
    out += '\n' + head('junction_upstream_retries_total', 'counter');
    for (const [cluster, c] of this.#clusters) {
      for (let r = 0; r < RETRY_REASONS.length; r++) {
        if (c.retries[r] === 0) continue;
        const labels = labelText({ cluster, reason: RETRY_REASONS[r]! });
        out += `junction_upstream_retries_total${labels} ${formatValue(c.retries[r]!)}\n`;
      }
    }
    out += '\n' + head('junction_upstream_connect_duration_seconds', 'histogram');
    for (const [cluster, c] of this.#clusters) {
      if (c.connect.count > 0) {
        out += histogramText('junction_upstream_connect_duration_seconds', { cluster }, c.connect);
      }
    }
    out += '\n' + head('junction_upstream_response_head_seconds', 'histogram');
    for (const [cluster, c] of this.#clusters) {
      if (c.responseHead.count > 0) {
        out += histogramText('junction_upstream_response_head_seconds', { cluster }, c.responseHead);
      }
    }
    return out + '\n';
  }
}

function head(name: keyof typeof REQUEST_METRICS_HELP, type: 'counter' | 'histogram'): string {
  return `# HELP ${name} ${escapeHelp(REQUEST_METRICS_HELP[name])}\n# TYPE ${name} ${type}\n`;
}

/** A histogram's cumulative `_bucket` series, then `_sum` and `_count`. */
function histogramText(name: string, labels: Readonly<Record<string, string>>, h: Histogram): string {
  let out = '';
  let cumulative = 0;
  for (let i = 0; i <= h.bounds.length; i++) {
    cumulative += h.counts[i]!;
    const le = i < h.bounds.length ? String(h.bounds[i]) : '+Inf';
    out += `${name}_bucket${labelText({ ...labels, le })} ${formatValue(cumulative)}\n`;
  }
  const plain = labelText(labels);
  return out + `${name}_sum${plain} ${formatValue(h.sum)}\n${name}_count${plain} ${formatValue(h.count)}\n`;
}
