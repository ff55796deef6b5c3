import { describe, expect, test } from 'vitest';
import { parseDurationMs, parseSizeBytes } from './units.ts';

describe('parseDurationMs', () => {
  test.each<[unknown, number]>([
    [0, 0],
    [250, 250],
    ['250ms', 250],
    [' 3s ', 3_000],
    ['3 s', 3_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['596h', 2_145_600_000],
  ])('%o is %d ms', (input, ms) => {
    expect(parseDurationMs(input)).toEqual({ ok: true, value: ms });
  });

  test.each<[unknown, string]>([
    [-1, 'must be a whole number of milliseconds, got -1'],
    [1.5, 'must be a whole number of milliseconds, got 1.5'],
    [
      '1.5s',
      "'1.5s' is not a duration; write milliseconds as a number or a string like '500ms', '3s', '2m', '1h'",
    ],
    ['3', "'3' is not a duration; write milliseconds as a number or a string like '500ms', '3s', '2m', '1h'"],
    [
      '1d',
      "'1d' is not a duration; write milliseconds as a number or a string like '500ms', '3s', '2m', '1h'",
    ],
    ['597h', 'must be at most 2147483647 ms (about 24 days)'],
    [true, "must be a duration like '3s' or a number of milliseconds, got true"],
    [[1], "must be a duration like '3s' or a number of milliseconds, got a list"],
  ])('%o is refused', (input, problem) => {
    expect(parseDurationMs(input)).toEqual({ ok: false, problem });
  });
});

describe('parseSizeBytes', () => {
  test.each<[unknown, number]>([
    [0, 0],
    [512, 512],
    ['512B', 512],
    ['32KiB', 32 * 1024],
    ['1 MiB', 1024 * 1024],
    ['2GiB', 2 * 1024 ** 3],
    ['1TiB', 1024 ** 4],
  ])('%o is %d bytes', (input, bytes) => {
    expect(parseSizeBytes(input)).toEqual({ ok: true, value: bytes });
  });

  test.each<[unknown, string]>([
    [-5, 'must be a whole number of bytes, got -5'],
    ['32KB', "'32KB' is not a size; did you mean '32KiB'? (units are binary: B, KiB, MiB, GiB, TiB)"],
    ['32k', "'32k' is not a size; did you mean '32KiB'? (units are binary: B, KiB, MiB, GiB, TiB)"],
    ['1tb', "'1tb' is not a size; did you mean '1TiB'? (units are binary: B, KiB, MiB, GiB, TiB)"],
    ['1mb', "'1mb' is not a size; did you mean '1MiB'? (units are binary: B, KiB, MiB, GiB, TiB)"],
    ['32', "'32' is not a size; write bytes as a number or a string like '512B', '32KiB', '1MiB'"],
    ['lots', "'lots' is not a size; write bytes as a number or a string like '512B', '32KiB', '1MiB'"],
    ['9999999999GiB', "'9999999999GiB' is too large"],
    [null, "must be a size like '32KiB' or a number of bytes, got nothing"],
  ])('%o is refused', (input, problem) => {
    expect(parseSizeBytes(input)).toEqual({ ok: false, problem });
  });
});
