/**
 * A request's Range (RFC 9110 §14.2) as the cache answers it from a stored whole body: one byte range
 * is cut from it (206) or refused (416); several ranges, another unit or a field that does not parse
 * are ignored (the whole 200), as the RFC allows a server to. Pure.
 */

/** What the cache does with a request's Range field. */
export type RangeRequest =
  | { readonly kind: 'none' }
  /** One range: `bytes=a-b`, `bytes=a-` (start only), `bytes=-n` (the last n: start null). */
  | { readonly kind: 'single'; readonly start: number | null; readonly end: number | null }
  /** Several ranges, another unit, or a value that does not parse: answered whole. */
  | { readonly kind: 'ignored' };

/** The bytes of a body one range selects: first and last offsets, inclusive. */
export interface ByteSlice {
  readonly start: number;
  readonly end: number;
}

const NONE: RangeRequest = { kind: 'none' };
const IGNORED: RangeRequest = { kind: 'ignored' };

/** The Range of a flat field list (name, value, …); two Range fields are ignored. */
export function rangeRequest(fields: readonly string[]): RangeRequest {
  let value: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i]!.toLowerCase() !== 'range') continue;
    if (value !== undefined) return IGNORED;
    value = fields[i + 1]!;
  }
  return value === undefined ? NONE : parseRange(value);
}

export function parseRange(value: string): RangeRequest {
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (match === null) return IGNORED; // several ranges (a comma), another unit, garbage
  const [first, last] = [match[1]!, match[2]!];
  if (first === '' && last === '') return IGNORED;
  const start = first === '' ? null : Number(first);
  const end = last === '' ? null : Number(last);
  if ((start !== null && !Number.isSafeInteger(start)) || (end !== null && !Number.isSafeInteger(end)))
    return IGNORED;
  // `bytes=5-2` is not a valid range: the field is ignored (RFC 9110 §14.1.1).
  if (start !== null && end !== null && end < start) return IGNORED;
  return { kind: 'single', start, end };
}

/** The slice `range` selects of a body of `length`; undefined when none (416, RFC 9110 §15.5.17). */
export function sliceOf(
  range: { start: number | null; end: number | null },
  length: number,
): ByteSlice | undefined {
  if (range.start === null) {
    const suffix = range.end ?? 0;
    return suffix === 0 || length === 0
      ? undefined
      : { start: Math.max(0, length - suffix), end: length - 1 };
  }
  if (range.start >= length) return undefined;
  return { start: range.start, end: Math.min(range.end ?? length - 1, length - 1) };
}
