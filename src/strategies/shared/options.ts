/**
 * Strict option parsing for strategy plugins. Configs give options in snake_case; an unknown or
 * mistyped option is a load-time Error that names it and, when one is close, the valid spelling.
 * Kept here rather than imported from config/ because strategies may only use errors/ and util/.
 */
import { editDistance } from '../../util/edit-distance.ts';

/** Throws if `raw` has a key outside `known`, naming it and the closest known one. */
export function checkOptionNames(
  kind: string,
  raw: Readonly<Record<string, unknown>>,
  known: readonly string[],
): void {
  for (const key of Object.keys(raw)) {
    if (known.includes(key)) continue;
    if (known.length === 0) throw new Error(`${kind} takes no options (got '${key}')`);
    const close = closestMatch(key, known);
    const hint = close === undefined ? '' : `; did you mean '${close}'?`;
    throw new Error(`${kind}: unknown option '${key}'${hint} (valid: ${known.join(', ')})`);
  }
}

export function readEnum<T extends string>(
  kind: string,
  raw: Readonly<Record<string, unknown>>,
  name: string,
  values: readonly T[],
  fallback: T,
): T {
  const value = raw[name];
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
  const close = typeof value === 'string' ? closestMatch(value, values) : undefined;
  const hint = close === undefined ? '' : `; did you mean '${close}'?`;
  throw new Error(
    `${kind}: option '${name}' must be one of ${values.join(', ')}, got ${describe(value)}${hint}`,
  );
}

export function readBoolean(
  kind: string,
  raw: Readonly<Record<string, unknown>>,
  name: string,
  fallback: boolean,
): boolean {
  const value = raw[name];
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  throw new Error(`${kind}: option '${name}' must be true or false, got ${describe(value)}`);
}

/** A whole number in [min, max], or `fallback` when absent (undefined allowed: optional option). */
export function readInteger<F extends number | undefined>(
  kind: string,
  raw: Readonly<Record<string, unknown>>,
  name: string,
  min: number,
  max: number,
  fallback: F,
): number | F {
  const value = raw[name];
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw new Error(
    `${kind}: option '${name}' must be a whole number from ${min} to ${max}, got ${describe(value)}`,
  );
}

export function readString(
  kind: string,
  raw: Readonly<Record<string, unknown>>,
  name: string,
  fallback: string,
): string {
  const value = raw[name];
  if (value === undefined) return fallback;
  if (typeof value === 'string' && value.length > 0) return value;
  throw new Error(`${kind}: option '${name}' must be a non-empty string, got ${describe(value)}`);
}

/** A short, safe rendering of a config value for error messages. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${value}`;
    case 'undefined':
      return 'nothing';
    case 'object':
      return value === null ? 'null' : Array.isArray(value) ? 'a list' : 'a mapping';
    case 'function':
    case 'symbol':
      return `a ${typeof value}`;
  }
}

/**
 * The candidate closest to `word`, or undefined when none is a plausible typo: at most a third of
 * the word's length in edits (at least one, two for words of six or more), or one is a prefix of
 * the other (`decay` for `decay_ms`). Case-blind; ties go to the earlier candidate.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const budget = Math.max(word.length >= 6 ? 2 : 1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    const prefix = lower.length >= 3 && (other.startsWith(lower) || lower.startsWith(other));
    const distance = prefix ? Math.min(budget, editDistance(lower, other)) : editDistance(lower, other);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= budget ? best : undefined;
}
