/**
 * The field section of a head: one validating pass over the field lines that also gathers the facts
 * framing and connection handling need, then the strings, cut from one latin1 copy of the head.
 *
 * Why one validating pass and no `indexOf('\r\n\r\n')`: every byte of a head has to be checked against
 * a table anyway (token chars in names, no CTLs in values), and that pass finds each CRLF as a side
 * effect. A native search first would be a second pass over the same bytes, costs a native call
 * (~100 ns on Node 20, about what validating a small head costs), and cannot be bounded by `end`
 * (Buffer#indexOf runs to the end of the underlying memory, which may be a pooled slab of stale bytes).
 * The pass is bounded by the head limit instead, so a hostile peer costs at most `maxHeadBytes` of
 * scanning per call.
 *
 * Line endings: only CRLF. A bare LF is refused (RFC 9112 §2.2 lets a recipient accept it, but need
 * not; HAProxy's strict mode refuses it), and so is a CR not followed by LF (which §2.2 says is
 * invalid), because parsers that disagree about line ends are the root of request smuggling.
 */
import {
  COLON,
  CR,
  HTAB,
  LF,
  SP,
  TOKEN,
  equalsLower,
  hasUpper,
  intern,
  internTable,
  latin1,
  skipFieldValue,
  sliceText,
  type HeadText,
} from './tables.ts';

/**
 * Frequent field names, as clients and servers spell them. Returning the interned string skips a
 * native slice and a string allocation per field (the name must match byte for byte: names are kept as sent).
 */
const COMMON_NAMES = [
  'Host',
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Accept-Ranges',
  'Age',
  'Authorization',
  'Cache-Control',
  'Connection',
  'Content-Encoding',
  'Content-Length',
  'Content-Type',
  'Cookie',
  'Date',
  'ETag',
  'Expect',
  'Expires',
  'If-Modified-Since',
  'If-None-Match',
  'Keep-Alive',
  'Last-Modified',
  'Location',
  'Origin',
  'Pragma',
  'Referer',
  'Server',
  'Set-Cookie',
  'Transfer-Encoding',
  'Upgrade',
  'User-Agent',
  'Vary',
  'Via',
  'X-Forwarded-For',
  'X-Forwarded-Host',
  'X-Forwarded-Proto',
  'X-Request-Id',
  'X-Real-IP',
];
const FIELD_NAMES = internTable([...COMMON_NAMES, ...COMMON_NAMES.map((n) => n.toLowerCase())]);

/** What went wrong, before the head parser maps it to a code and a source. */
export const FAIL_BAD = 1;
export const FAIL_FRAMING = 2;
export const FAIL_TOO_LARGE = 3;
export const FAIL_UNSUPPORTED_CODING = 4;
export type FailKind =
  typeof FAIL_BAD | typeof FAIL_FRAMING | typeof FAIL_TOO_LARGE | typeof FAIL_UNSUPPORTED_CODING;

/** The failReason of a head with more fields than its limit (the other FAIL_TOO_LARGE is its size). */
export const TOO_MANY_FIELDS = 'too many header fields';
export const SCAN_DONE = 0;
export const SCAN_NEED_MORE = 1;
export const SCAN_FAIL = 2;
export type ScanStatus = typeof SCAN_DONE | typeof SCAN_NEED_MORE | typeof SCAN_FAIL;

const EMPTY_TOKENS: readonly string[] = Object.freeze([]);
const MAX_SAFE_DIV_10 = Math.floor(Number.MAX_SAFE_INTEGER / 10);

/**
 * The facts the head parsers need from the field section, gathered in the same pass as validation.
 * Each parser reuses one module-level instance (parsing is synchronous and never re-entered), so a
 * parse allocates only the head object, the headers array and its strings.
 */
export class FieldScan {
  /** Per field: name start, name end, value start, value end (buffer offsets). */
  offsets = new Int32Array(4 * 64);
  count = 0;
  /** Index just past the blank line when the status is SCAN_DONE. */
  pos = 0;
  failKind: FailKind = FAIL_BAD;
  failReason = '';
  contentLengthCount = 0;
  contentLength = -1;
  /** Transfer-Encoding, over all its fields as one list (RFC 9110 §5.3). */
  teFields = 0;
  teChunkedSeen = false;
  teChunkedLast = false;
  teOtherCodings = 0;
  teInvalid = false;
  hostCount = 0;
  hostStart = 0;
  hostEnd = 0;
  connClose = false;
  connKeepAlive = false;
  connUpgrade = false;
  connTokens: readonly string[] = EMPTY_TOKENS;
  expectContinue = false;
  upgradeField = false;

  reset(): void {
    this.count = 0;
    this.pos = 0;
    this.failKind = FAIL_BAD;
    this.failReason = '';
    this.contentLengthCount = 0;
    this.contentLength = -1;
    this.teFields = 0;
    this.teChunkedSeen = false;
    this.teChunkedLast = false;
    this.teOtherCodings = 0;
    this.teInvalid = false;
    this.hostCount = 0;
    this.hostStart = 0;
    this.hostEnd = 0;
    this.connClose = false;
    this.connKeepAlive = false;
    this.connUpgrade = false;
    this.connTokens = EMPTY_TOKENS;
    this.expectContinue = false;
    this.upgradeField = false;
  }

  fail(kind: FailKind, reason: string): typeof SCAN_FAIL {
    this.failKind = kind;
    this.failReason = reason;
    return SCAN_FAIL;
  }
}

/**
 * Scans field lines from `p` up to and including the blank line that ends the head.
 * `limit` is min(end, head start + maxHeadBytes): running into it means need-more when it is `end`,
 * else the head is too large.
 */
export function scanFields(
  buf: Buffer,
  p: number,
  end: number,
  limit: number,
  maxCount: number,
  scan: FieldScan,
): ScanStatus {
  for (;;) {
    if (p >= limit) break;
    const c = buf[p]!;
    if (c === CR) {
      if (p + 1 >= limit) break;
      if (buf[p + 1] !== LF) return scan.fail(FAIL_BAD, 'CR not followed by LF');
      scan.pos = p + 2;
      return SCAN_DONE;
    }
    if (c === LF) return scan.fail(FAIL_BAD, 'bare LF line ending');
    if (c === SP || c === HTAB) {
      return scan.fail(FAIL_BAD, 'obsolete line folding or whitespace before a field name');
    }
    const ns = p;
    while (p < limit && TOKEN[buf[p]!] === 1) p++;
    if (p >= limit) break;
    const stop = buf[p]!;
    if (stop !== COLON) {
      if (stop === SP || stop === HTAB) return scan.fail(FAIL_BAD, 'whitespace between field name and colon');
      if (stop === LF || stop === CR) return scan.fail(FAIL_BAD, 'field line without a colon');
      return scan.fail(FAIL_BAD, 'invalid character in field name');
    }
    if (p === ns) return scan.fail(FAIL_BAD, 'empty field name');
    const ne = p++;
    while (p < limit && (buf[p] === SP || buf[p] === HTAB)) p++;
    const vs = p;
    p = skipFieldValue(buf, p, limit);
    if (p >= limit) break;
    if (buf[p] !== CR) {
      return scan.fail(FAIL_BAD, buf[p] === LF ? 'bare LF line ending' : 'control character in field value');
    }
    if (p + 1 >= limit) break;
    if (buf[p + 1] !== LF) return scan.fail(FAIL_BAD, 'CR not followed by LF');
    let ve = p;
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--;
    p += 2;
    if (scan.count >= maxCount) return scan.fail(FAIL_TOO_LARGE, TOO_MANY_FIELDS);
    let o = scan.count++ * 4;
    if (o + 4 > scan.offsets.length) {
      const grown = new Int32Array(scan.offsets.length * 2);
      grown.set(scan.offsets);
      scan.offsets = grown;
    }
    const offsets = scan.offsets;
    offsets[o++] = ns;
    offsets[o++] = ne;
    offsets[o++] = vs;
    offsets[o] = ve;
    if (noteField(buf, ns, ne, vs, ve, scan)) return SCAN_FAIL;
  }
  if (limit < end) return scan.fail(FAIL_TOO_LARGE, 'head larger than the limit');
  return SCAN_NEED_MORE;
}

/** The flat headers array of a scanned field section: names as sent (interned when common), values trimmed. */
export function fieldStrings(buf: Buffer, scan: FieldScan, t: HeadText): string[] {
  const headers: string[] = [];
  const offsets = scan.offsets;
  const n = scan.count * 4;
  for (let o = 0; o < n; o += 4) {
    headers.push(
      intern(FIELD_NAMES, buf, offsets[o]!, offsets[o + 1]!, t),
      sliceText(t, offsets[o + 2]!, offsets[o + 3]!),
    );
  }
  return headers;
}

/** Records framing and connection facts of one field. Returns true when the field is invalid. */
function noteField(buf: Buffer, ns: number, ne: number, vs: number, ve: number, scan: FieldScan): boolean {
  switch (ne - ns) {
    case 4:
      if (equalsLower(buf, ns, ne, 'host')) {
        scan.hostCount++;
        scan.hostStart = vs;
        scan.hostEnd = ve;
      }
      return false;
    case 6:
      if (equalsLower(buf, ns, ne, 'expect') && equalsLower(buf, vs, ve, '100-continue'))
        scan.expectContinue = true;
      return false;
    case 7:
      if (equalsLower(buf, ns, ne, 'upgrade')) scan.upgradeField = true;
      return false;
    case 10:
      return equalsLower(buf, ns, ne, 'connection') && noteConnection(buf, vs, ve, scan);
    case 14:
      if (equalsLower(buf, ns, ne, 'content-length')) return noteContentLength(buf, vs, ve, scan);
      return isFramingLookalike(buf, ns, ne, 'content-length', scan);
    case 17:
      if (equalsLower(buf, ns, ne, 'transfer-encoding')) {
        noteTransferEncoding(buf, vs, ve, scan);
        return false;
      }
      return isFramingLookalike(buf, ns, ne, 'transfer-encoding', scan);
    default:
      return false;
  }
}

/**
 * `Content_Length` and `Transfer_Encoding` are valid tokens, and some origins (CGI-style gateways, some
 * frameworks) fold '_' into '-'. Forwarded as unknown fields they would frame the body differently
 * upstream, so they are refused, as nginx does by ignoring names with underscores.
 */
function isFramingLookalike(buf: Buffer, ns: number, ne: number, lower: string, scan: FieldScan): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = buf[ns + i]!;
    const want = lower.charCodeAt(i);
    if ((c | 0x20) !== want && !(c === 0x5f && want === 0x2d)) return false;
  }
  scan.fail(FAIL_FRAMING, `field name ${latin1(buf, ns, ne)} resembles ${lower}`);
  return true;
}

/** Strict: one field, plain digits. A list such as "5, 5" is refused although RFC 9110 lets a recipient fold it. */
function noteContentLength(buf: Buffer, vs: number, ve: number, scan: FieldScan): boolean {
  if (++scan.contentLengthCount > 1) {
    scan.fail(FAIL_FRAMING, 'more than one Content-Length field');
    return true;
  }
  if (vs === ve) {
    scan.fail(FAIL_FRAMING, 'empty Content-Length');
    return true;
  }
  let n = 0;
  for (let i = vs; i < ve; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) {
      scan.fail(FAIL_FRAMING, 'Content-Length is not a number');
      return true;
    }
    if (n > MAX_SAFE_DIV_10 || (n === MAX_SAFE_DIV_10 && d > Number.MAX_SAFE_INTEGER % 10)) {
      scan.fail(FAIL_FRAMING, 'Content-Length too large');
      return true;
    }
    n = n * 10 + d;
  }
  scan.contentLength = n;
  return false;
}

/**
 * Walks the coding list. Anything but plain tokens is marked invalid: no parameters, no empty elements,
 * no "identity" (dropped from the registry; seen only in smuggling attempts), chunked at most once.
 * The head parser decides what the result means for a request or a response.
 */
function noteTransferEncoding(buf: Buffer, vs: number, ve: number, scan: FieldScan): void {
  scan.teFields++;
  let p = vs;
  for (;;) {
    while (p < ve && (buf[p] === SP || buf[p] === HTAB)) p++;
    const s = p;
    while (p < ve && TOKEN[buf[p]!] === 1) p++;
    const e = p;
    while (p < ve && (buf[p] === SP || buf[p] === HTAB)) p++;
    if (s === e || (p < ve && buf[p] !== 0x2c)) {
      scan.teInvalid = true;
      return;
    }
    if (equalsLower(buf, s, e, 'chunked')) {
      if (scan.teChunkedSeen) scan.teInvalid = true;
      scan.teChunkedSeen = true;
      scan.teChunkedLast = true;
    } else if (equalsLower(buf, s, e, 'identity')) {
      scan.teInvalid = true;
    } else {
      // A coding after chunked means chunked is not final: RFC 9112 §6.3 makes the length unknowable.
      if (scan.teChunkedSeen) scan.teInvalid = true;
      scan.teOtherCodings++;
      scan.teChunkedLast = false;
    }
    if (p >= ve) return;
    p++; // the comma
  }
}

/** Connection options are tokens; empty list elements are skipped (RFC 9110 §5.6.1), anything else is refused. */
function noteConnection(buf: Buffer, vs: number, ve: number, scan: FieldScan): boolean {
  let tokens = scan.connTokens;
  let p = vs;
  while (p < ve) {
    while (p < ve && (buf[p] === SP || buf[p] === HTAB || buf[p] === 0x2c)) p++;
    if (p >= ve) break;
    const s = p;
    while (p < ve && TOKEN[buf[p]!] === 1) p++;
    const e = p;
    while (p < ve && (buf[p] === SP || buf[p] === HTAB)) p++;
    if (s === e || (p < ve && buf[p] !== 0x2c)) {
      scan.fail(FAIL_BAD, 'invalid Connection option');
      return true;
    }
    let token: string;
    if (equalsLower(buf, s, e, 'close')) {
      scan.connClose = true;
      token = 'close';
    } else if (equalsLower(buf, s, e, 'keep-alive')) {
      scan.connKeepAlive = true;
      token = 'keep-alive';
    } else if (equalsLower(buf, s, e, 'upgrade')) {
      scan.connUpgrade = true;
      token = 'upgrade';
    } else {
      token = latin1(buf, s, e);
      if (hasUpper(buf, s, e)) token = token.toLowerCase();
    }
    if (tokens === EMPTY_TOKENS) tokens = scan.connTokens = [];
    (tokens as string[]).push(token);
  }
  return false;
}
