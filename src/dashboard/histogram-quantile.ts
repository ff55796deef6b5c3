/**
 * Latency percentiles from a Prometheus histogram's cumulative buckets, over an interval: the
 * difference of two readings of the same series (a counter reset, such as a restarted worker, counts
 * from zero), then the quantile as Prometheus' histogram_quantile() estimates it, by linear
 * interpolation inside the bucket the rank falls in.
 */

/** One reading of a histogram: upper bounds ascending (the last is +Inf) and cumulative counts. */
export interface HistogramReading {
  readonly bounds: readonly number[];
  readonly cumulative: readonly number[];
}

/**
 * The buckets counted between `before` and `after` (cumulative), or `after` itself when there was no
 * earlier reading or the series was reset since (a count went down) or its buckets changed.
 */
export function histogramDelta(
  before: HistogramReading | undefined,
  after: HistogramReading,
): HistogramReading {
  if (before === undefined || !sameBounds(before.bounds, after.bounds)) return after;
  const cumulative: number[] = [];
  for (let i = 0; i < after.cumulative.length; i++) {
    const d = after.cumulative[i]! - (before.cumulative[i] ?? 0);
    if (d < 0) return after;
    cumulative.push(d);
  }
  return { bounds: after.bounds, cumulative };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The `q` quantile (0..1) of the observations in `reading`, in the bounds' unit; undefined when it has
 * none. Within a bucket, observations are taken as spread evenly (the first bucket from 0); a rank in
 * the +Inf bucket answers the highest finite bound, as Prometheus does.
 */
export function histogramQuantile(q: number, reading: HistogramReading): number | undefined {
  const { bounds, cumulative } = reading;
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0 || bounds.length === 0) return undefined;
  const rank = Math.min(1, Math.max(0, q)) * total;
  for (let i = 0; i < cumulative.length; i++) {
    if (cumulative[i]! < rank || cumulative[i] === 0) continue;
    const upper = bounds[i]!;
    if (upper === Infinity) return i === 0 ? undefined : bounds[i - 1];
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    const below = i === 0 ? 0 : cumulative[i - 1]!;
    const inBucket = cumulative[i]! - below;
    return lower + (upper - lower) * ((rank - below) / inBucket);
  }
  return bounds.length > 1 ? bounds[bounds.length - 2] : undefined;
}
