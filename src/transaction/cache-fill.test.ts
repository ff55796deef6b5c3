import { describe, expect, test } from 'vitest';
import { fillWorthwhile } from './cache-fill.ts';

describe("background fill's threshold (Traffic Server's is_bg_fill_necessary)", () => {
  test('more than the threshold of a known length arrived', () => {
    expect(fillWorthwhile(0.5, 600, 1000)).toBe(true);
    expect(fillWorthwhile(0.5, 500, 1000)).toBe(false);
    expect(fillWorthwhile(0.5, 300, 1000)).toBe(false);
  });

  test('1 never fills; 0 fills any response of known length', () => {
    expect(fillWorthwhile(1, 999, 1000)).toBe(false);
    expect(fillWorthwhile(1, 1000, 1000)).toBe(false);
    expect(fillWorthwhile(0, 0, 1000)).toBe(true);
    expect(fillWorthwhile(0, 0, 0)).toBe(true);
  });

  test('a body of unknown length is never filled past a positive threshold', () => {
    expect(fillWorthwhile(0.4, 5000, -1)).toBe(false);
    expect(fillWorthwhile(0, 5000, -1)).toBe(false);
  });
});
