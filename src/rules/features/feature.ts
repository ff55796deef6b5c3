/**
 * Feature values: their string form (what a header or a URL gets), their display form (logs and
 * error messages), emptiness (what `else` replaces), and the conversion of values from outside the
 * rule language (transaction variables set by plugins) into features.
 */
import { Duration, IpAddress, type Feature, type FeatureType } from '../types.ts';

/** `join`'s default separator. */
export const TUPLE_SEPARATOR = ',';
/** The separator between tuple elements in a tuple's string form, as TxnBox writes a tuple. */
export const TUPLE_TEXT_SEPARATOR = ', ';

/** Units a duration is written in, largest first, as TxnBox writes one (`1 h 30 m`). */
const DURATION_UNITS: readonly (readonly [number, string])[] = [
  [604_800_000, 'w'],
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1000, 's'],
  [1, 'ms'],
];

/** A duration as TxnBox writes it: `<count> <unit>` pairs, largest unit first (`1 h 30 m`); 0 is ''. */
export function durationText(ms: number): string {
  let rest = Math.floor(ms);
  let out = '';
  for (const [scale, unit] of DURATION_UNITS) {
    const count = Math.floor(rest / scale);
    if (count <= 0) continue;
    out = out === '' ? `${count} ${unit}` : `${out} ${count} ${unit}`;
    rest -= count * scale;
  }
  return out;
}

/**
 * The string a feature becomes where text is needed (a field value, a format string): strings as
 * they are, integers in decimal, `true`/`false`, an address's canonical text, a duration as TxnBox
 * writes it (`1 h 30 m`), a tuple's elements' string forms joined with `, ` (null elements left
 * out), null as ''.
 */
export function featureToString(feature: Feature): string {
  if (typeof feature === 'string') return feature;
  if (feature === null) return '';
  if (typeof feature === 'number' || typeof feature === 'boolean') return String(feature);
  if (feature instanceof IpAddress) return feature.toString();
  if (feature instanceof Duration) return durationText(feature.ms);
  return joinFeatures(feature, TUPLE_TEXT_SEPARATOR);
}

/** A tuple's elements' string forms joined by `separator`; null elements are left out, nested tuples joined alike. */
export function joinFeatures(tuple: readonly Feature[], separator: string): string {
  let out = '';
  let first = true;
  for (const element of tuple) {
    if (element === null) continue;
    const text = Array.isArray(element)
      ? joinFeatures(element as readonly Feature[], separator)
      : featureToString(element);
    out = first ? text : out + separator + text;
    first = false;
  }
  return out;
}

/**
 * A feature as it should read in a log line or an error message: strings quoted, `null`, tuples in
 * brackets, so that '' and null and "1" and 1 look different.
 */
export function formatFeature(feature: Feature): string {
  if (typeof feature === 'string') return JSON.stringify(feature);
  if (feature === null) return 'null';
  if (typeof feature === 'number' || typeof feature === 'boolean') return String(feature);
  if (feature instanceof IpAddress || feature instanceof Duration) return feature.toString();
  return `[${feature.map(formatFeature).join(', ')}]`;
}

/** null, the empty string and the empty tuple: what `else` replaces and `is-empty` matches. */
export function isEmptyFeature(feature: Feature): boolean {
  return feature === null || feature === '' || (Array.isArray(feature) && feature.length === 0);
}

/** The type of a feature value. */
export function typeOfFeature(feature: Feature): Exclude<FeatureType, 'any'> {
  if (typeof feature === 'string') return 'string';
  if (typeof feature === 'number') return 'integer';
  if (typeof feature === 'boolean') return 'boolean';
  if (feature === null) return 'null';
  if (feature instanceof IpAddress) return 'ip';
  if (feature instanceof Duration) return 'duration';
  return 'tuple';
}

/**
 * A value from outside the rule language (a transaction variable a plugin set) as a feature:
 * features stay as they are, undefined becomes null, bigints become numbers, arrays become tuples,
 * anything else its String() form.
 */
export function toFeature(value: unknown): Feature {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'bigint':
      return Number(value);
    case 'object':
      if (value === null || value instanceof IpAddress || value instanceof Duration) return value;
      if (Array.isArray(value)) return value.map(toFeature);
      return describeObject(value);
    case 'symbol':
    case 'function':
      return String(value);
  }
}

function describeObject(value: object): string {
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
