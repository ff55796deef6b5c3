/**
 * Response heads from upstreams (RFC 9112 §4, §6.3). As strict as requests: an upstream that frames
 * ambiguously could desynchronise the pooled connection or the client's, so it gets a 502 instead.
 */
import type { BodyKind, HeadLimits, HeadStep, ResponseHead } from './types.ts';
import {
  FAIL_TOO_LARGE,
  FieldScan,
  SCAN_DONE,
  SCAN_NEED_MORE,
  TOO_MANY_FIELDS,
  fieldStrings,
  scanFields,
} from './fields.ts';
import { CR, FIELD_VALUE, LF, SP, latin1, sliceText, type HeadText } from './tables.ts';
import {
  NEED_MORE,
  VERSION_MALFORMED,
  VERSION_NEED_MORE,
  VERSION_UNSUPPORTED,
  parseVersion,
  rejectResponse,
} from './steps.ts';
import { statusText } from './serialize.ts';

const scan = new FieldScan();
const headText: HeadText = { text: '', base: 0 };

/**
 * Parses the response head at buf[start, end) of an upstream connection. `requestMethod` is the method
 * of the request this answers, which decides framing for HEAD and CONNECT (RFC 9112 §6.3).
 * A 1xx head is returned like any other (bodyKind 'none'): the caller reads the next head after it.
 * Never throws on network bytes; every problem is JCT_ERR_HTTP_BAD_RESPONSE with source 'upstream'.
 */
export function parseResponseHead(
  buf: Buffer,
  start: number,
  end: number,
  limits: HeadLimits,
  requestMethod: string,
): HeadStep<ResponseHead> {
  const headCap = start + limits.maxHeadBytes;
  const limit = end < headCap ? end : headCap;
  let p = start;

  const version = parseVersion(buf, p, limit);
  if (version === VERSION_MALFORMED) return rejectResponse('malformed status line');
  if (version === VERSION_NEED_MORE) return incomplete(limit, end, limits);
  if (version === VERSION_UNSUPPORTED) return rejectResponse('only HTTP/1.0 and HTTP/1.1 are supported');
  const versionMinor = version as 0 | 1;
  p += 8;

  // SP 3DIGIT, then SP reason CRLF, or a bare CRLF (tolerated: some servers omit the empty reason's SP).
  let status = 0;
  for (let i = 0; i < 4; i++, p++) {
    if (p >= limit) return incomplete(limit, end, limits);
    const c = buf[p]!;
    if (i === 0) {
      if (c !== SP) return rejectResponse('malformed status line');
      continue;
    }
    const d = c - 0x30;
    if (d < 0 || d > 9 || (i === 1 && d === 0)) return rejectResponse('malformed status code');
    status = status * 10 + d;
  }
  if (p >= limit) return incomplete(limit, end, limits);
  let reasonStart = p;
  if (buf[p] === SP) {
    reasonStart = ++p;
    while (p < limit && FIELD_VALUE[buf[p]!] === 1) p++;
    if (p >= limit) return incomplete(limit, end, limits);
  }
  const reasonEnd = p;
  if (buf[p] !== CR) return rejectResponse(buf[p] === LF ? 'bare LF line ending' : 'malformed status line');
  if (p + 1 >= limit) return incomplete(limit, end, limits);
  if (buf[p + 1] !== LF) return rejectResponse('CR not followed by LF');
  p += 2;

  scan.reset();
  const scanned = scanFields(buf, p, end, limit, limits.maxHeaderCount, scan);
  if (scanned === SCAN_NEED_MORE) return NEED_MORE;
  if (scanned !== SCAN_DONE) {
    if (scan.failKind !== FAIL_TOO_LARGE) return rejectResponse(scan.failReason);
    return tooLarge(limits, scan.failReason === TOO_MANY_FIELDS);
  }
  headText.text = latin1(buf, start, scan.pos);
  headText.base = start;

  // Framing headers are checked even when the status means no body: a response that would be ambiguous
  // to another parser is not forwarded, whatever this one would make of it.
  let bodyKind: BodyKind = 'close';
  let contentLength = -1;
  if (scan.teFields > 0) {
    if (scan.contentLengthCount > 0) return rejectResponse('both Content-Length and Transfer-Encoding');
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
    if (versionMinor === 0) return rejectResponse('Transfer-Encoding in an HTTP/1.0 response');
    // Junction re-frames bodies and drops hop-by-hop fields, so it cannot carry codings other than chunked.
    if (scan.teInvalid || !scan.teChunkedLast || scan.teOtherCodings > 0) {
      return rejectResponse('Transfer-Encoding other than exactly chunked');
    }
    bodyKind = 'chunked';
  } else if (scan.contentLengthCount > 0) {
    bodyKind = 'length';
    contentLength = scan.contentLength;
  }
  if (
    requestMethod === 'HEAD' ||
    status < 200 ||
    status === 204 ||
    status === 304 ||
    (requestMethod === 'CONNECT' && status < 300)
  ) {
    bodyKind = 'none';
    contentLength = -1;
  }

  const keepAlive =
    bodyKind !== 'close' && (versionMinor === 1 ? !scan.connClose : scan.connKeepAlive && !scan.connClose);
  const head: ResponseHead = {
    status,
    reason: reasonText(buf, reasonStart, reasonEnd, status),
    versionMinor,
    headers: fieldStrings(buf, scan, headText),
    bodyKind,
    contentLength,
    keepAlive,
    connectionTokens: scan.connTokens,
  };
  return { kind: 'done', head, consumed: scan.pos - start };
}

function incomplete(limit: number, end: number, limits: HeadLimits): HeadStep<ResponseHead> {
  return limit < end ? tooLarge(limits) : NEED_MORE;
}

/** A head over the response limits: too many fields, or too many bytes. */
function tooLarge(limits: HeadLimits, tooManyFields = false): HeadStep<ResponseHead> {
  return rejectResponse(
    tooManyFields
      ? `head with more than ${limits.maxHeaderCount} header fields (limits.max_response_header_count)`
      : `head larger than ${limits.maxHeadBytes} bytes (limits.max_response_head_size)`,
    'JCT_ERR_HTTP_RESPONSE_HEAD_TOO_LARGE',
  );
}

/** Reuses the standard phrase when the upstream sent exactly it, which is nearly always. */
function reasonText(buf: Buffer, s: number, e: number, status: number): string {
  if (s === e) return '';
  const standard = statusText(status);
  const n = standard.length;
  if (n === e - s) {
    let i = 0;
    while (i < n && standard.charCodeAt(i) === buf[s + i]) i++;
    if (i === n) return standard;
  }
  return sliceText(headText, s, e);
}
