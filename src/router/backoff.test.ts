import { describe, expect, test } from 'vitest';
import { backoffDelayMs } from './backoff.ts';

const lowest = (): number => 0;
/** The largest value Math.random can return. */
const highest = (): number => 1 - Number.EPSILON;

describe('backoffDelayMs', () => {
  test('a base of 0 means no wait, whatever the draw', () => {
    expect(backoffDelayMs(0, 0, 250, highest)).toBe(0);
    expect(backoffDelayMs(5, 0, 250, highest)).toBe(0);
  });

  test('full jitter: the delay ranges from 0 up to the ceiling', () => {
    expect(backoffDelayMs(0, 25, 250, lowest)).toBe(0);
    expect(backoffDelayMs(0, 25, 250, highest)).toBe(24);
    expect(backoffDelayMs(0, 25, 250, () => 0.5)).toBe(12);
  });

  test('the ceiling doubles with each retry of a request', () => {
    expect(backoffDelayMs(1, 25, 1_000, highest)).toBe(49);
    expect(backoffDelayMs(2, 25, 1_000, highest)).toBe(99);
    expect(backoffDelayMs(3, 25, 1_000, () => 0.5)).toBe(100);
  });

  test('and stops doubling at the maximum', () => {
    expect(backoffDelayMs(4, 25, 250, highest)).toBe(249);
    expect(backoffDelayMs(9, 25, 250, highest)).toBe(249);
    expect(backoffDelayMs(9, 25, 250, () => 0.5)).toBe(125);
  });

  test('stays within [0, min(max, base × 2^n)) for any draw', () => {
    for (let n = 0; n < 10; n++) {
      for (let i = 0; i <= 100; i++) {
        const draw = Math.min(i / 100, 1 - Number.EPSILON);
        const delay = backoffDelayMs(n, 25, 250, () => draw);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(250, 25 * 2 ** n));
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });
});
