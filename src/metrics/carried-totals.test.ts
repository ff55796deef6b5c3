import { describe, expect, test } from 'vitest';
import { CarriedTotals } from './carried-totals.ts';

describe('CarriedTotals', () => {
  test('a series read from the same object is its count', () => {
    const totals = new CarriedTotals();
    const listener = {};
    expect(totals.total('a', listener, 3)).toBe(3);
    expect(totals.total('a', listener, 7)).toBe(7);
  });

  test('a replaced object starting again from 0 does not lower the total', () => {
    const totals = new CarriedTotals();
    const old = {};
    const replacement = {};
    expect(totals.total('a', old, 5)).toBe(5);
    expect(totals.total('a', replacement, 0)).toBe(5);
    expect(totals.total('a', replacement, 2)).toBe(7);
    // Replaced again: both earlier objects' counts stay in.
    expect(totals.total('a', {}, 1)).toBe(8);
  });

  test('series are independent, and one that comes back continues', () => {
    const totals = new CarriedTotals();
    const backend = {};
    expect(totals.total('x', backend, 4)).toBe(4);
    expect(totals.total('y', backend, 1)).toBe(1);
    // 'x' removed from the config for a while, then added again with a new state.
    expect(totals.total('x', {}, 2)).toBe(6);
    expect(totals.size).toBe(2);
  });

  test('an object that counts down holds the total', () => {
    const totals = new CarriedTotals();
    const source = {};
    totals.total('a', source, 9);
    expect(totals.total('a', source, 4)).toBe(9);
  });
});
