/**
 * An HTTP/2 request's fields, as HPACK decoded them, turned into the HTTP/1.1 head text the codec's
 * request parser reads (so routing, rules and the upstream see one kind of head, checked once).
 * Enforces what RFC 9113 §8.2 and §8.3 make malformed, beyond what nghttp2 already refuses: a
 * message that two readers could take differently is refused here, never forwarded. Pure.
 */
import { CONNECTION_SPECIFIC_FIELDS } from '../codec/index.ts';

/** What a stream's header block becomes: the head text, and how its body is framed. */
export type RequestTranslation =
  | {
      readonly ok: true;
      readonly method: string;
      /** The HTTP/1.1 head, CRLFCRLF included. */
      readonly head: string;
      /**
       * `none`: the HEADERS frame ended the stream; `length`: the client gave a content-length;
       * `chunked`: a body of unknown length follows, re-framed as chunks for the transaction.
       */
      readonly body: 'none' | 'length' | 'chunked';
      /** The content-length the client announced, -1 when none. */
      readonly contentLength: number;
      /** The content-type field's value ('' when absent), for gRPC's local answers. */
      readonly contentType: string;
      /** The grpc-timeout field's value ('' when absent). */
      readonly grpcTimeout: string;
    }
  | { readonly ok: false; readonly status: number; readonly message: string };

/**
 * Fields that describe one HTTP/1.1 connection: malformed in HTTP/2 (RFC 9113 §8.2.2), where the
 * connection is the stream's session. `te` is allowed with the value `trailers` only (checked apart).
 */
const CONNECTION_SPECIFIC = new Set(CONNECTION_SPECIFIC_FIELDS);

const DIGITS = /^[0-9]+$/;
/** A field name as RFC 9113 §8.2.1 allows it: a token with no upper-case letter. */
const LOWER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

function refuse(message: string, status = 400): RequestTranslation {
  return { ok: false, status, message };
}

/**
 * Translates `raw` (name, value, name, value…, pseudo-header fields first, as Node hands them over)
 * into an HTTP/1.1 head. `endStream`: the HEADERS frame carried END_STREAM (no body follows).
 */
export function translateRequestFields(raw: readonly string[], endStream: boolean): RequestTranslation {
  let method = '';
  let path = '';
  let scheme = '';
  let authority: string | undefined;
  let host: string | undefined;
  let contentLength = -1;
  let contentType = '';
  let grpcTimeout = '';
  let cookies: string[] | null = null;
  let fields = '';
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (name.charCodeAt(0) === 0x3a /* ':' */) {
      if (fields !== '' || cookies !== null || host !== undefined || contentLength !== -1)
        return refuse('a pseudo-header field after a regular field');
      switch (name) {
        case ':method':
          method = value;
          continue;
        case ':path':
          path = value;
          continue;
        case ':scheme':
          scheme = value;
          continue;
        case ':authority':
          authority = value;
          continue;
        case ':protocol':
          return refuse('extended CONNECT (RFC 8441) is not supported', 501);
        default:
          return refuse(`unknown pseudo-header field ${name}`);
      }
    }
    if (!LOWER_TOKEN.test(name)) return refuse(`invalid field name '${name}'`);
    if (CONNECTION_SPECIFIC.has(name))
      return refuse(`connection-specific field '${name}' in an HTTP/2 request`);
    if (/[\r\n\0]/.test(value) || value !== value.trim()) return refuse(`invalid value of field '${name}'`);
    switch (name) {
      case 'te':
        if (value.toLowerCase() !== 'trailers')
          return refuse("te other than 'trailers' in an HTTP/2 request");
        break;
      case 'host':
        if (host !== undefined && host !== value) return refuse('two different host fields');
        host = value;
        continue;
      case 'cookie':
        // RFC 9113 §8.2.3: split crumbs are joined for an HTTP/1.1 hop.
        (cookies ??= []).push(value);
        continue;
      case 'content-length':
        if (!DIGITS.test(value) || value.length > 15) return refuse('invalid content-length');
        if (contentLength !== -1 && contentLength !== Number(value))
          return refuse('two different content-lengths');
        if (contentLength !== -1) continue;
        contentLength = Number(value);
        break;
      case 'content-type':
        contentType ||= value;
        break;
      case 'grpc-timeout':
        grpcTimeout ||= value;
        break;
    }
    fields += `${name}: ${value}\r\n`;
  }
  if (method === '') return refuse('no :method');
  if (method === 'CONNECT') return refuse('CONNECT is not supported over HTTP/2', 501);
  if (scheme !== 'http' && scheme !== 'https')
    return refuse(scheme === '' ? 'no :scheme' : 'unknown :scheme');
  if (path === '') return refuse('no :path');
  if (path.charCodeAt(0) !== 0x2f /* '/' */ && !(path === '*' && method === 'OPTIONS'))
    return refuse('invalid :path');
  // RFC 9113 §8.3.1: :authority wins; a host field that says otherwise is ambiguous.
  if (authority !== undefined && host !== undefined && authority !== host)
    return refuse(':authority and host disagree');
  const hostValue = authority ?? host;
  if (hostValue === undefined || hostValue === '') return refuse('no :authority or host');
  if (endStream && contentLength > 0) return refuse('content-length disagrees with the DATA sent');
  const body = endStream || contentLength === 0 ? 'none' : contentLength > 0 ? 'length' : 'chunked';
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${hostValue}\r\n${fields}`;
  if (cookies !== null) head += `cookie: ${cookies.join('; ')}\r\n`;
  if (body === 'chunked') head += 'transfer-encoding: chunked\r\n';
  head += '\r\n';
  return { ok: true, method, head, body, contentLength, contentType, grpcTimeout };
}
