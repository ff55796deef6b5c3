import { describe, expect, it } from 'vitest';
import { histogramDelta, histogramQuantile, type HistogramReading } from './histogram-quantile.ts';

const bounds = [0.01, 0.1, 1, Infinity];
const reading = (...cumulative: number[]): HistogramReading => ({ bounds, cumulative });

describe('histogramQuantile', () => {
  it('has no quantile without observations', () => {
    expect(histogramQuantile(0.5, reading(0, 0, 0, 0))).toBeUndefined();
  });

  it('interpolates inside the bucket the rank falls in', () => {
    // 10 observations, all between 0.01 and 0.1: the median is half way through that bucket.
    expect(histogramQuantile(0.5, reading(0, 10, 10, 10))).toBeCloseTo(0.055);
    // 100 in the first bucket (from 0): p95 at 95% of 0.01.
    expect(histogramQuantile(0.95, reading(100, 100, 100, 100))).toBeCloseTo(0.0095);
  });

  it('walks the cumulative counts: p50, p95 and p99 of a spread', () => {
    // 50 under 10 ms, 45 in 10-100 ms, 4 in 100 ms-1 s, 1 above.
    const r = reading(50, 95, 99, 100);
    expect(histogramQuantile(0.5, r)).toBeCloseTo(0.01);
    expect(histogramQuantile(0.95, r)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.99, r)).toBeCloseTo(1);
  });

  it('answers the highest finite bound for a rank in the +Inf bucket', () => {
    expect(histogramQuantile(0.99, reading(0, 0, 0, 10))).toBe(1);
  });
});

describe('histogramDelta', () => {
  it('subtracts an earlier reading: only what was observed in between counts', () => {
    const before = reading(1000, 1000, 1000, 1000); // long ago: all fast
    const after = reading(1000, 1000, 1010, 1010); // since: 10 slow ones
    const delta = histogramDelta(before, after);
    expect(delta.cumulative).toEqual([0, 0, 10, 10]);
    expect(histogramQuantile(0.5, delta)).toBeCloseTo(0.55);
    // Without the delta the old fast requests would hide them.
    expect(histogramQuantile(0.5, after)).toBeLessThan(0.01);
  });

  it('takes the later reading whole after a counter reset or without an earlier one', () => {
    expect(histogramDelta(reading(5, 5, 5, 5), reading(1, 2, 2, 2)).cumulative).toEqual([1, 2, 2, 2]);
    expect(histogramDelta(undefined, reading(1, 2, 2, 2)).cumulative).toEqual([1, 2, 2, 2]);
  });
});
