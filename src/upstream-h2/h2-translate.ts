/**
 * HTTP/1.1 ↔ HTTP/2 translation for upstream streams, pure (RFC 9113 §8.2.2, §8.3): the request head a
 * transaction wrote becomes an HTTP/2 header block; a response header block and its trailers become an
 * HTTP/1.1 head and a chunked trailer section the transaction reads like any upstream's.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { HOP_BY_HOP_FIELDS, TRAILER_FIELDS_DROPPED, statusText, type RequestHead } from '../codec/index.ts';

/**
 * Connection-specific fields (RFC 9113 §8.2.2) and those HTTP/2 carries otherwise: never sent in an
 * HTTP/2 header block. `host` becomes `:authority`; `expect` is answered by Junction itself.
 */
const NOT_FORWARDED = new Set([...HOP_BY_HOP_FIELDS, 'host', 'expect', 'http2-settings']);

/**
 * The HTTP/2 header block for a request head: pseudo-header fields first, then the fields in order,
 * lower-cased, minus connection-specific ones and any field Connection names. `te: trailers` is sent
 * for gRPC (its servers require it; RFC 9113 allows no other value).
 */
export function h2RequestHeaders(
  head: RequestHead,
  scheme: 'http' | 'https',
  authority: string,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {
    ':method': head.method,
    ':scheme': scheme,
    ':authority': head.host === '' ? authority : head.port === '' ? head.host : `${head.host}:${head.port}`,
    ':path': head.target.charCodeAt(0) === 47 /* / */ ? head.target : head.path + head.query || '/',
  };
  const named = head.connectionTokens;
  const headers = head.headers;
  let grpc = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (NOT_FORWARDED.has(name) || named.includes(name)) continue;
    const value = headers[i + 1]!;
    if (name === 'content-type' && value.startsWith('application/grpc')) grpc = true;
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else out[name] = [String(previous), value];
  }
  if (grpc) out.te = 'trailers';
  return out;
}

/** Whether a response to `method` with `status` has no body whatever its fields say (RFC 9110 §6.4.1). */
export function isBodilessResponse(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

/**
 * How the translated response is framed for the transaction: as the upstream said (`length`), no body,
 * or chunked, which is also how trailers (gRPC's status) reach it.
 */
export type H1Framing = 'none' | 'length' | 'chunked';

/**
 * The HTTP/1.1 head of an HTTP/2 response. `ended`: the header block ended the stream (no body, and for
 * gRPC a trailers-only answer), so it is sent with `content-length: 0` unless bodiless by status.
 */
export function h1ResponseHead(
  headers: IncomingHttpHeaders,
  method: string,
  ended: boolean,
): { text: string; framing: H1Framing } {
  const status = Number(headers[':status']);
  let text = `HTTP/1.1 ${status} ${statusText(status)}\r\n`;
  let hasLength = false;
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* : */ || NOT_FORWARDED.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'content-length') hasLength = true;
    if (Array.isArray(value)) for (const v of value) text += field(name, v);
    else text += field(name, value);
  }
  let framing: H1Framing;
  if (isBodilessResponse(method, status)) framing = 'none';
  else if (ended) {
    if (!hasLength) text += 'content-length: 0\r\n';
    framing = 'none';
  } else if (hasLength) framing = 'length';
  else {
    text += 'transfer-encoding: chunked\r\n';
    framing = 'chunked';
  }
  return { text: text + '\r\n', framing };
}

/** The last chunk with the trailer section of a chunked body: pseudo and framing fields left out. */
export function lastChunkWithTrailers(trailers: IncomingHttpHeaders | undefined): string {
  let text = '0\r\n';
  if (trailers !== undefined) {
    for (const name in trailers) {
      if (name.charCodeAt(0) === 58 || TRAILER_FIELDS_DROPPED.has(name)) continue;
      const value = trailers[name];
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) text += field(name, v);
      else text += field(name, value);
    }
  }
  return text + '\r\n';
}

/** One field line. nghttp2 already refuses CR, LF and NUL in values; this keeps the line whole regardless. */
function field(name: string, value: string): string {
  return /[\r\n\0]/.test(value) ? '' : `${name}: ${value}\r\n`;
}

/** The size line of one chunk of `length` bytes. */
export function chunkSizeLine(length: number): string {
  return `${length.toString(16)}\r\n`;
}
