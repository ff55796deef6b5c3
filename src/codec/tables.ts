/**
 * Byte tables and small byte-level helpers shared by the head parsers and the chunked decoder.
 * Every check on the hot path is one lookup in a 256-entry table; no regexes, no per-call closures.
 */

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;

function table(accept: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = accept(c) ? 1 : 0;
  return t;
}

const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const oneOf = (chars: string) => (c: number) => chars.includes(String.fromCharCode(c));

/** tchar (RFC 9110 §5.6.2): field names, methods, transfer codings, Connection options. */
export const TOKEN = table((c) => isAlpha(c) || isDigit(c) || oneOf("!#$%&'*+-.^_`|~")(c));
/** field-vchar, SP and HTAB (RFC 9110 §5.5). obs-text is allowed, as the RFC requires; CTLs, NUL and DEL are not. */
export const FIELD_VALUE = table((c) => c === HTAB || (c >= 0x20 && c !== 0x7f));
/**
 * Request-target bytes: visible ASCII except '#'. A fragment is never sent on the wire (RFC 9112 §3.2),
 * and HAProxy refuses it too. Non-ASCII must be percent-encoded.
 */
export const TARGET = table((c) => c >= 0x21 && c <= 0x7e && c !== 0x23);
/** reg-name of RFC 3986 (unreserved / sub-delims; '%' is handled by the caller). */
export const REG_NAME = table((c) => isAlpha(c) || isDigit(c) || oneOf("-._~!$&'()*+,;=")(c));
/** Inside an IP-literal: hex digits, ':' and '.' (embedded IPv4). IPvFuture and zone ids are refused. */
export const IP_LITERAL = table((c) => isDigit(c) || oneOf('abcdefABCDEF:.')(c));
/** Hex digit value + 1 (0 = not a hex digit), so one lookup both tests and converts. */
export const HEX_VALUE = (() => {
  const t = new Uint8Array(256);
  for (let d = 0; d < 10; d++) t[0x30 + d] = d + 1;
  for (let d = 0; d < 6; d++) {
    t[0x41 + d] = d + 11;
    t[0x61 + d] = d + 11;
  }
  return t;
})();

/** Reads bytes as latin1 without `toString`'s encoding lookup. Node has `latin1Slice`; @types/node does not declare it. */
interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Slicer).latin1Slice(start, end);
}

/** Compares buf[s, e) to an all-lowercase ASCII literal, ignoring the case of letters. */
export function equalsLower(buf: Buffer, s: number, e: number, lower: string): boolean {
  const n = lower.length;
  if (e - s !== n) return false;
  for (let i = 0; i < n; i++) {
    // `| 0x20` folds ASCII letters; the literals hold only letters, digits, '-' and '/', and no other
    // byte folds onto those except CTLs, which the callers have already refused.
    if ((buf[s + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

export function hasUpper(buf: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/**
 * The whole head as one latin1 string, with the buffer offset of its first byte. Field strings are
 * slices of it: one native call for the head instead of one per name and value (each ~50 ns), and
 * String#slice of a long string makes a cheap view instead of a copy.
 */
export interface HeadText {
  text: string;
  base: number;
}

export function sliceText(t: HeadText, s: number, e: number): string {
  return t.text.slice(s - t.base, e - t.base);
}

/** Strings grouped by length, for `intern`. */
export function internTable(names: readonly string[]): readonly (readonly string[])[] {
  const byLength: string[][] = [];
  for (const name of names) {
    const list = (byLength[name.length] ??= []);
    if (!list.includes(name)) list.push(name);
  }
  for (let n = 0; n < byLength.length; n++) byLength[n] ??= [];
  return byLength;
}

/**
 * The table's string equal byte for byte to buf[s, e), else a slice of the head text. Frequent names
 * and methods then cost no allocation at all.
 */
export function intern(
  table: readonly (readonly string[])[],
  buf: Buffer,
  s: number,
  e: number,
  t: HeadText,
): string {
  const len = e - s;
  if (len < table.length) {
    const first = buf[s];
    for (const cand of table[len]!) {
      if (cand.charCodeAt(0) !== first) continue;
      let i = 1;
      while (i < len && cand.charCodeAt(i) === buf[s + i]) i++;
      if (i === len) return cand;
    }
  }
  return sliceText(t, s, e);
}

let viewedBuffer: ArrayBufferLike | undefined;
let view: DataView = new DataView(new ArrayBuffer(0));

/**
 * The first index in [p, limit) whose byte is not allowed in a field value, or limit.
 * Values are most of a head's bytes, so this checks four at a time (SWAR): a word passes when no byte
 * is below 0x20 and none is 0x7f; bytes >= 0x80 (obs-text) pass. A word that fails (the CR ending the
 * line, an HTAB, a bad byte) is re-checked byte by byte with the table. The DataView is cached per
 * ArrayBuffer, so a slab-backed connection creates it once (it keeps the last buffer reachable).
 */
export function skipFieldValue(buf: Buffer, p: number, limit: number): number {
  if (limit - p >= 8) {
    const ab = buf.buffer;
    if (ab !== viewedBuffer) {
      viewedBuffer = ab;
      view = new DataView(ab);
    }
    const words = view;
    const offset = buf.byteOffset;
    const last = limit - 4;
    while (p <= last) {
      const w = words.getInt32(offset + p, true);
      const x = w ^ 0x7f7f7f7f;
      // "has a byte < n" and "has a zero byte" from Bit Twiddling Hacks; exact as existence tests.
      if ((((w - 0x20202020) & ~w) | ((x - 0x01010101) & ~x)) & 0x80808080) break;
      p += 4;
    }
  }
  while (p < limit && FIELD_VALUE[buf[p]!] === 1) p++;
  return p;
}
