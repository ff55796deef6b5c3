import { describe, expect, test } from 'vitest';
import { RestartBackoff } from './restart-backoff.ts';

const POLICY = { initialDelayMs: 100, maxDelayMs: 1_000, stableAfterMs: 10_000, crashLoopAfter: 3 };

describe('RestartBackoff', () => {
  test('the first death is replaced at once; quick deaths in a row double the delay up to the ceiling', () => {
    const backoff = new RestartBackoff(POLICY);
    const delays = Array.from({ length: 7 }, () => backoff.died(50).delayMs);
    expect(delays).toEqual([0, 100, 200, 400, 800, 1_000, 1_000]);
  });

  test('a crash loop from the threshold on, not before', () => {
    const backoff = new RestartBackoff(POLICY);
    expect(backoff.died(0)).toMatchObject({ failures: 1, crashLoop: false });
    expect(backoff.died(0)).toMatchObject({ failures: 2, crashLoop: false });
    expect(backoff.died(0)).toMatchObject({ failures: 3, crashLoop: true });
    expect(backoff.crashLoop).toBe(true);
  });

  test('a worker that lived long enough starts a new count', () => {
    const backoff = new RestartBackoff(POLICY);
    backoff.died(0);
    backoff.died(0);
    backoff.died(0);
    expect(backoff.died(POLICY.stableAfterMs)).toEqual({ delayMs: 0, failures: 1, crashLoop: false });
  });

  test('settled() resets the count while the worker still lives', () => {
    const backoff = new RestartBackoff(POLICY);
    backoff.died(0);
    backoff.died(0);
    backoff.settled();
    expect(backoff.failures).toBe(0);
    expect(backoff.died(10).delayMs).toBe(0);
  });
});
