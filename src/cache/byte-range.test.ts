import { describe, expect, test } from 'vitest';
import { parseRange, rangeRequest, sliceOf } from './byte-range.ts';

describe('byte ranges answered from a stored body', () => {
  test('one range in its three forms', () => {
    expect(parseRange('bytes=0-4')).toEqual({ kind: 'single', start: 0, end: 4 });
    expect(parseRange('bytes=10-')).toEqual({ kind: 'single', start: 10, end: null });
    expect(parseRange(' Bytes = -3 ')).toEqual({ kind: 'single', start: null, end: 3 });
  });

  test('several ranges, another unit, an inverted range or garbage: ignored (a whole 200)', () => {
    for (const value of [
      'bytes=0-1,4-5',
      'items=0-3',
      'bytes=5-2',
      'bytes=-',
      'nonsense',
      'bytes=99999999999999999999-',
    ])
      expect(parseRange(value), value).toEqual({ kind: 'ignored' });
  });

  test('the field list: none, one, or two Range fields (ignored)', () => {
    expect(rangeRequest(['host', 'h'])).toEqual({ kind: 'none' });
    expect(rangeRequest(['Range', 'bytes=1-2'])).toEqual({ kind: 'single', start: 1, end: 2 });
    expect(rangeRequest(['range', 'bytes=1-2', 'range', 'bytes=3-4'])).toEqual({ kind: 'ignored' });
  });

  test('slices: clipped to the body; past the end or an empty suffix is unsatisfiable', () => {
    expect(sliceOf({ start: 0, end: 4 }, 10)).toEqual({ start: 0, end: 4 });
    expect(sliceOf({ start: 5, end: 100 }, 10)).toEqual({ start: 5, end: 9 });
    expect(sliceOf({ start: 7, end: null }, 10)).toEqual({ start: 7, end: 9 });
    expect(sliceOf({ start: null, end: 3 }, 10)).toEqual({ start: 7, end: 9 });
    expect(sliceOf({ start: null, end: 30 }, 10)).toEqual({ start: 0, end: 9 });
    expect(sliceOf({ start: 10, end: null }, 10)).toBeUndefined();
    expect(sliceOf({ start: null, end: 0 }, 10)).toBeUndefined();
    expect(sliceOf({ start: 0, end: null }, 0)).toBeUndefined();
  });
});
