/**
 * Request heads (RFC 9112 §3, §6; RFC 9110 §7.2). Strict on purpose: a proxy that accepts what its
 * upstream would read differently is a smuggling vector, so every ambiguity is a 400.
 */
import type { BodyKind, HeadLimits, HeadStep, RequestHead } from './types.ts';
import { Authority, parseAuthority } from './authority.ts';
import { FieldScan, SCAN_DONE, SCAN_NEED_MORE, fieldStrings, scanFields } from './fields.ts';
import {
  CR,
  LF,
  SP,
  TARGET,
  TOKEN,
  equalsLower,
  intern,
  internTable,
  latin1,
  sliceText,
  type HeadText,
} from './tables.ts';
import {
  NEED_MORE,
  VERSION_MALFORMED,
  VERSION_NEED_MORE,
  VERSION_UNSUPPORTED,
  parseVersion,
  rejectRequest,
  rejectRequestKind,
} from './steps.ts';

/** RFC 9112 §2.2 says to ignore at least one empty line before the request line; a few cover buggy clients. */
export const MAX_LEADING_EMPTY_LINES = 4;

const METHODS = internTable(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const QUESTION = 0x3f;
const SLASH = 0x2f;

const scan = new FieldScan();
const authority = new Authority();
const headText: HeadText = { text: '', base: 0 };

/**
 * Parses the request head at buf[start, end): `start` is the first byte the connection has not
 * consumed, `end` is one past the last byte received. After need-more, call again with the grown range.
 * Each call costs time linear in the bytes present (at most maxHeadBytes are looked at). Outcomes are
 * prefix-stable: once a prefix is refused, every longer input is refused with the same code, and a
 * head found in a prefix is the head of every longer input.
 * `consumed` counts the skipped empty lines, the head and its final CRLF CRLF; body bytes start there.
 * Never throws on network bytes; uses no state between calls.
 */
export function parseRequestHead(
  buf: Buffer,
  start: number,
  end: number,
  limits: HeadLimits,
): HeadStep<RequestHead> {
  let p = start;
  let emptyLines = 0;
  while (p < end && buf[p] === CR) {
    if (p + 1 >= end) return NEED_MORE;
    if (buf[p + 1] !== LF) return rejectRequest('JCT_ERR_HTTP_BAD_REQUEST', 'CR not followed by LF');
    p += 2;
    if (++emptyLines > MAX_LEADING_EMPTY_LINES) {
      return rejectRequest('JCT_ERR_HTTP_BAD_REQUEST', 'too many empty lines before the request line');
    }
  }
  if (p >= end) return NEED_MORE;
  const lineStart = p;
  // Every check below stops at `limit`, so a prefix that is refused is refused for the same reason
  // once more bytes arrive (the property tests hold the parser to that).
  const headCap = lineStart + limits.maxHeadBytes;
  const limit = end < headCap ? end : headCap;
  // Bytes of the request line sit below lineCap; the CR ending it may sit at lineCap itself.
  const lineCap = lineStart + limits.maxRequestLineBytes;
  const lineEnd = limit < lineCap ? limit : lineCap;

  while (p < lineEnd && TOKEN[buf[p]!] === 1) p++;
  if (p === lineEnd) return lineEnd === lineCap ? uriTooLong() : incomplete(limit, end);
  const methodEnd = p;
  if (methodEnd === lineStart || buf[p] !== SP) return badLine(buf[p]!);

  const targetStart = ++p;
  let query = -1;
  while (p < lineEnd && TARGET[buf[p]!] === 1) {
    if (buf[p] === QUESTION && query < 0) query = p;
    p++;
  }
  if (p === lineEnd) return lineEnd === lineCap ? uriTooLong() : incomplete(limit, end);
  const targetEnd = p;
  if (targetEnd === targetStart || buf[p] !== SP) return badLine(buf[p]!);

  p++;
  if (p + 8 > lineCap) return uriTooLong();
  const version = parseVersion(buf, p, limit);
  if (version === VERSION_MALFORMED) {
    return rejectRequest('JCT_ERR_HTTP_BAD_REQUEST', 'malformed HTTP version');
  }
  if (version === VERSION_NEED_MORE || p + 8 >= limit) return incomplete(limit, end);
  p += 8;
  if (buf[p] !== CR) return badLine(buf[p]!);
  if (p + 1 >= limit) return incomplete(limit, end);
  if (buf[p + 1] !== LF) return rejectRequest('JCT_ERR_HTTP_BAD_REQUEST', 'CR not followed by LF');
  if (version === VERSION_UNSUPPORTED) {
    return rejectRequest('JCT_ERR_HTTP_BAD_VERSION', 'only HTTP/1.0 and HTTP/1.1 are supported');
  }
  p += 2;
  const versionMinor = version as 0 | 1;

  scan.reset();
  const status = scanFields(buf, p, end, limit, limits.maxHeaderCount, scan);
  if (status === SCAN_NEED_MORE) return NEED_MORE;
  if (status !== SCAN_DONE) return rejectRequestKind(scan.failKind, scan.failReason);
  headText.text = latin1(buf, lineStart, scan.pos);
  headText.base = lineStart;

  // Framing (RFC 9112 §6.1, §6.3). Any doubt about where the body ends is fatal for a proxy.
  let bodyKind: BodyKind = 'none';
  let contentLength = -1;
  if (scan.teFields > 0) {
    if (scan.contentLengthCount > 0) {
      return rejectRequest('JCT_ERR_HTTP_BAD_FRAMING', 'both Content-Length and Transfer-Encoding');
    }
    if (versionMinor === 0) {
      return rejectRequest('JCT_ERR_HTTP_BAD_FRAMING', 'Transfer-Encoding in an HTTP/1.0 request');
    }
    if (scan.teInvalid || !scan.teChunkedLast) {
      return rejectRequest('JCT_ERR_HTTP_BAD_FRAMING', 'Transfer-Encoding other than a final chunked');
    }
    if (scan.teOtherCodings > 0) {
      return rejectRequest('JCT_ERR_HTTP_UNSUPPORTED_TRANSFER_CODING', 'transfer codings other than chunked');
    }
    bodyKind = 'chunked';
  } else if (scan.contentLengthCount > 0) {
    // Content-Length: 0 stays 'length' so a rewritten head keeps it (some origins answer 411 without it).
    bodyKind = 'length';
    contentLength = scan.contentLength;
  }

  if (scan.hostCount > 1) return rejectRequest('JCT_ERR_HTTP_BAD_REQUEST', 'more than one Host field');
  if (scan.hostCount === 0 && versionMinor === 1) {
    return rejectRequest('JCT_ERR_HTTP_BAD_REQUEST', 'HTTP/1.1 request without Host');
  }
  let host = '';
  let port = '';
  if (scan.hostStart < scan.hostEnd) {
    if (!parseAuthority(buf, scan.hostStart, scan.hostEnd, false, headText, authority)) {
      return rejectRequest('JCT_ERR_HTTP_BAD_REQUEST', 'invalid Host');
    }
    host = authority.host;
    port = authority.port;
  }

  const method = intern(METHODS, buf, lineStart, methodEnd, headText);
  const target = sliceText(headText, targetStart, targetEnd);
  let path: string;
  let queryString = '';
  const first = buf[targetStart]!;
  if (method === 'CONNECT') {
    // authority-form only (RFC 9112 §3.2.3); the tunnel's destination is the target, not Host.
    if (!parseAuthority(buf, targetStart, targetEnd, true, headText, authority)) {
      return rejectRequest('JCT_ERR_HTTP_BAD_REQUEST', 'CONNECT target must be host:port');
    }
    host = authority.host;
    port = authority.port;
    path = '';
  } else if (first === SLASH) {
    if (query < 0) {
      path = target;
    } else {
      path = target.slice(0, query - targetStart);
      queryString = target.slice(query - targetStart);
    }
  } else if (first === 0x2a && targetEnd - targetStart === 1) {
    if (method !== 'OPTIONS') {
      return rejectRequest('JCT_ERR_HTTP_BAD_REQUEST', "'*' target on a method other than OPTIONS");
    }
    path = '*';
  } else {
    // absolute-form (RFC 9112 §3.2.2): its authority replaces Host, which was still validated above.
    const n = targetEnd - targetStart;
    let a: number;
    if (n > 7 && equalsLower(buf, targetStart, targetStart + 7, 'http://')) a = targetStart + 7;
    else if (n > 8 && equalsLower(buf, targetStart, targetStart + 8, 'https://')) a = targetStart + 8;
    else return rejectRequest('JCT_ERR_HTTP_BAD_REQUEST', 'invalid request-target');
    let authorityEnd = a;
    while (authorityEnd < targetEnd && buf[authorityEnd] !== SLASH && buf[authorityEnd] !== QUESTION) {
      authorityEnd++;
    }
    // Userinfo ('@') is not in the host grammar, so parseAuthority refuses it as RFC 9110 §4.2.4 asks.
    if (!parseAuthority(buf, a, authorityEnd, false, headText, authority)) {
      return rejectRequest('JCT_ERR_HTTP_BAD_REQUEST', 'invalid authority in request-target');
    }
    host = authority.host;
    port = authority.port;
    const pathStart = authorityEnd - targetStart;
    const pathEnd = query < 0 ? target.length : query - targetStart;
    path = pathStart === pathEnd ? '/' : target.slice(pathStart, pathEnd);
    if (query >= 0) queryString = target.slice(query - targetStart);
  }

  const head: RequestHead = {
    method,
    target,
    versionMinor,
    host,
    port,
    path,
    query: queryString,
    headers: fieldStrings(buf, scan, headText),
    bodyKind,
    contentLength,
    keepAlive: versionMinor === 1 ? !scan.connClose : scan.connKeepAlive && !scan.connClose,
    connectionTokens: scan.connTokens,
    expectContinue: scan.expectContinue,
    upgrade: scan.connUpgrade && scan.upgradeField,
  };
  return { kind: 'done', head, consumed: scan.pos - start };
}

function badLine(c: number): HeadStep<RequestHead> {
  return rejectRequest(
    'JCT_ERR_HTTP_BAD_REQUEST',
    c === LF ? 'bare LF line ending' : 'malformed request line',
  );
}

function uriTooLong(): HeadStep<RequestHead> {
  return rejectRequest('JCT_ERR_HTTP_URI_TOO_LONG', 'request line longer than the limit');
}

/** The bytes ran out: at the head limit (431) or at the end of what has arrived (need-more). */
function incomplete(limit: number, end: number): HeadStep<RequestHead> {
  return limit < end ? rejectRequest('JCT_ERR_HTTP_HEAD_TOO_LARGE', 'head larger than the limit') : NEED_MORE;
}
