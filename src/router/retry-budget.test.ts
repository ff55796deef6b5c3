import { describe, expect, test } from 'vitest';
import { RetryBudget } from './retry-budget.ts';

/** Grants asked for at `now` until the first refusal (bounded, so a broken budget cannot loop). */
function grantsAt(budget: RetryBudget, now: number): number {
  let granted = 0;
  while (granted < 10_000 && budget.tryRetry(now)) granted++;
  return granted;
}

describe('RetryBudget', () => {
  test('allows min_per_second × window even with no traffic at all', () => {
    const budget = new RetryBudget(0.2, 10);
    expect(grantsAt(budget, 0)).toBe(100);
    expect(budget.retries).toBe(100);
    expect(budget.retriesRefused).toBe(1);
  });

  test('with no minimum, a quiet cluster gets no retries', () => {
    const budget = new RetryBudget(0.2, 0);
    expect(budget.tryRetry(0)).toBe(false);
    expect(budget.retriesRefused).toBe(1);
  });

  test('refuses retries beyond the ratio of requests in the window', () => {
    const budget = new RetryBudget(0.2, 0);
    for (let i = 0; i < 50; i++) budget.recordRequest(500 + i * 10);
    expect(grantsAt(budget, 1_000)).toBe(10);
    expect(budget.tryRetry(1_000)).toBe(false);
    // More requests earn more retries: 0.2 each.
    for (let i = 0; i < 5; i++) budget.recordRequest(1_200);
    expect(grantsAt(budget, 1_200)).toBe(1);
  });

  test('the ratio and the minimum add up', () => {
    const budget = new RetryBudget(0.5, 1);
    for (let i = 0; i < 10; i++) budget.recordRequest(0);
    // 0.5 × 10 requests + 1/s × 10 s.
    expect(grantsAt(budget, 0)).toBe(15);
  });

  test('a share of 0 with a minimum of 0 never allows a retry, however busy the cluster', () => {
    const budget = new RetryBudget(0, 0);
    for (let i = 0; i < 1_000; i++) budget.recordRequest(i);
    expect(budget.tryRetry(1_000)).toBe(false);
  });

  test('recovers as buckets age out of the window', () => {
    const budget = new RetryBudget(0, 1);
    // 10 retries per 10 s window, all spent at t = 0.5 s.
    expect(grantsAt(budget, 500)).toBe(10);
    // Still inside the window 9 s later.
    expect(budget.tryRetry(9_500)).toBe(false);
    // At 10 s the bucket of second 0 has left the window: the whole allowance is back.
    expect(grantsAt(budget, 10_000)).toBe(10);
  });

  test('requests age out too: an old burst earns nothing later', () => {
    const budget = new RetryBudget(0.5, 0);
    for (let i = 0; i < 100; i++) budget.recordRequest(0);
    expect(budget.tryRetry(9_999)).toBe(true);
    expect(budget.tryRetry(10_000)).toBe(false);
  });

  test('slots reused after a long quiet spell start from zero', () => {
    const budget = new RetryBudget(0, 1);
    expect(grantsAt(budget, 3_000)).toBe(10);
    // Same slot (second 33 ≡ second 3 mod 10), thirty seconds later.
    expect(grantsAt(budget, 33_000)).toBe(10);
  });

  test('counts requests, retries and refusals since it was built', () => {
    const budget = new RetryBudget(1, 0);
    budget.recordRequest(0);
    budget.recordRequest(0);
    expect(budget.tryRetry(0)).toBe(true);
    expect(budget.tryRetry(0)).toBe(true);
    expect(budget.tryRetry(0)).toBe(false);
    expect({
      requests: budget.requests,
      retries: budget.retries,
      refused: budget.retriesRefused,
    }).toEqual({ requests: 2, retries: 2, refused: 1 });
  });
});
