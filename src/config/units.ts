/**
 * The two unit syntaxes of the config file: durations (to milliseconds) and sizes (to bytes).
 * A bare integer is already in the base unit; a string carries its unit. Both return a value, never
 * throw: a problem is a message for the config error.
 */
import { MAX_DURATION_MS } from './defaults.ts';
import { describeValue } from './describe-value.ts';

export type UnitResult =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly problem: string };

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};
/** Decimal and lower-case spellings people reach for, mapped to the unit we accept instead. */
const SIZE_UNIT_HINTS: Readonly<Record<string, string>> = {
  k: 'KiB',
  kb: 'KiB',
  kib: 'KiB',
  m: 'MiB',
  mb: 'MiB',
  mib: 'MiB',
  g: 'GiB',
  gb: 'GiB',
  gib: 'GiB',
  t: 'TiB',
  tb: 'TiB',
  tib: 'TiB',
  b: 'B',
};

const DURATION_PATTERN = /^(\d+)\s*(ms|s|m|h)$/;
const SIZE_PATTERN = /^(\d+)\s*([A-Za-z]+)$/;

/** `500`, `"500ms"`, `"3s"`, `"2m"`, `"1h"` → milliseconds. Whole numbers only, up to MAX_DURATION_MS. */
export function parseDurationMs(value: unknown): UnitResult {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      return { ok: false, problem: `must be a whole number of milliseconds, got ${value}` };
    }
    ms = value;
  } else if (typeof value === 'string') {
    const match = DURATION_PATTERN.exec(value.trim());
    if (!match) {
      return {
        ok: false,
        problem: `'${value}' is not a duration; write milliseconds as a number or a string like '500ms', '3s', '2m', '1h'`,
      };
    }
    ms = Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
  } else {
    return {
      ok: false,
      problem: `must be a duration like '3s' or a number of milliseconds, got ${describeValue(value)}`,
    };
  }
  if (ms > MAX_DURATION_MS)
    return { ok: false, problem: `must be at most ${MAX_DURATION_MS} ms (about 24 days)` };
  return { ok: true, value: ms };
}

/** `512`, `"512B"`, `"32KiB"`, `"1MiB"`, `"1GiB"`, `"1TiB"` → bytes. Binary units only, so "KB" is never ambiguous. */
export function parseSizeBytes(value: unknown): UnitResult {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      return { ok: false, problem: `must be a whole number of bytes, got ${value}` };
    }
    return { ok: true, value };
  }
  if (typeof value !== 'string') {
    return {
      ok: false,
      problem: `must be a size like '32KiB' or a number of bytes, got ${describeValue(value)}`,
    };
  }
  const match = SIZE_PATTERN.exec(value.trim());
  const unit = match?.[2];
  const factor = unit === undefined ? undefined : SIZE_UNITS_BYTES[unit];
  if (!match || factor === undefined) {
    const hint = unit === undefined ? undefined : SIZE_UNIT_HINTS[unit.toLowerCase()];
    return {
      ok: false,
      problem:
        hint === undefined
          ? `'${value}' is not a size; write bytes as a number or a string like '512B', '32KiB', '1MiB'`
          : `'${value}' is not a size; did you mean '${match?.[1] ?? ''}${hint}'? (units are binary: B, KiB, MiB, GiB, TiB)`,
    };
  }
  const bytes = Number(match[1]) * factor;
  if (!Number.isSafeInteger(bytes)) return { ok: false, problem: `'${value}' is too large` };
  return { ok: true, value: bytes };
}
