/**
 * The JSON access line, built by one template: field names are constants, and strings go through an
 * escaper that returns its input quoted when nothing needs escaping (the common case). Every line is
 * pure ASCII (anything past 0x7e is written as a `\u` escape), so the writer can copy it into its
 * buffer byte for byte instead of encoding it as UTF-8.
 */
import type { AccessRecord } from './record.ts';

/** A character JSON must escape, or one past ASCII (escaped to keep the line ASCII). */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\uffff]/;
const NON_ASCII = /[\u007f-\uffff]/g;

function unicodeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * A JSON string literal (quotes included) for `value` that JSON.parse reads back as `value`, in ASCII.
 * The test is a regular expression: on the short strings of a line it is about twice as fast as a
 * scan of char codes.
 */
export function jsonString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  // JSON.stringify escapes quotes, backslashes, controls and lone surrogates; the rest past ASCII here.
  return JSON.stringify(value).replace(NON_ASCII, unicodeEscape);
}

/** Config names (listeners, routes, clusters, backends) recur on every line: escaped once each. */
const nameCache = new Map<string, string>();
const NAME_CACHE_LIMIT = 4096;

function nameJson(value: string | null): string {
  if (value === null) return 'null';
  let json = nameCache.get(value);
  if (json === undefined) {
    if (nameCache.size >= NAME_CACHE_LIMIT) nameCache.clear();
    json = jsonString(value);
    nameCache.set(value, json);
  }
  return json;
}

let cachedSecond = -1;
let cachedPrefix = '';

/** ISO 8601 of `time` (ms): the part up to the seconds is computed once per second. */
export function isoTime(time: number): string {
  const second = Math.floor(time / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const ms = time - second * 1000;
  return `${cachedPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

function jsonOrNull(value: string | null): string {
  return value === null ? 'null' : jsonString(value);
}

function numberOrNull(value: number | null): string {
  return value === null ? 'null' : String(value);
}

/** One JSON object on one line, without its newline; ASCII only. */
export function formatJson(r: AccessRecord): string {
  const client =
    r.clientCert === undefined
      ? ''
      : `,"client_cert":{"subject":${jsonString(r.clientCert.subject)},"verify":${jsonString(r.clientCert.verify)}}`;
  const tls =
    r.tlsVersion === null && r.sni === null
      ? 'null'
      : `{"version":${jsonOrNull(r.tlsVersion)},"sni":${jsonOrNull(r.sni)}${client}}`;
  return `{"time":"${isoTime(r.time)}","type":"${r.kind}","request_id":${jsonOrNull(r.requestId)},"client":${jsonString(clientText(r))},"listener":${nameJson(r.listener)},"method":${jsonOrNull(r.method)},"scheme":"${r.scheme}","host":${jsonOrNull(r.host)},"path":${jsonOrNull(r.path)},"protocol":${nameJson(r.protocol)},"status":${r.status},"duration_ms":${r.durationMs},"upstream_ms":${numberOrNull(r.upstreamMs)},"bytes_received":${r.bytesReceived},"bytes_sent":${r.bytesSent},"route":${nameJson(r.route)},"cluster":${nameJson(r.cluster)},"upstream":${nameJson(r.upstream)},"attempts":${r.attempts},"error_code":${nameJson(r.errorCode)},"trace_id":${jsonOrNull(r.traceId)},"user_agent":${jsonOrNull(r.userAgent)},"referer":${jsonOrNull(r.referer)},"tls":${tls}${r.cache === undefined ? '' : `,"cache":"${r.cache}"`}}`;
}

/** `address:port`, IPv6 in brackets. */
export function clientText(r: AccessRecord): string {
  return r.clientAddress.includes(':')
    ? `[${r.clientAddress}]:${r.clientPort}`
    : `${r.clientAddress}:${r.clientPort}`;
}
