/**
 * The JSON access line, built by string concatenation: field names are constants, and strings go
 * through an escaper that returns its input untouched when nothing needs escaping (the common case).
 */
import type { AccessRecord } from './record.ts';

/** A JSON string literal (quotes included) for `value`, as JSON.stringify would make it. */
export function jsonString(value: string): string {
  // A scan of char codes is faster than a regex on the short strings of a line; anything unusual
  // (quotes, backslashes, controls, non-ASCII) goes to JSON.stringify.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(value);
  }
  return `"${value}"`;
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

/** One JSON object on one line, without its newline. */
export function formatJson(r: AccessRecord): string {
  const tls =
    r.tlsVersion === null && r.sni === null
      ? 'null'
      : `{"version":${jsonOrNull(r.tlsVersion)},"sni":${jsonOrNull(r.sni)}}`;
  return (
    `{"time":"${isoTime(r.time)}","type":"${r.kind}","request_id":${jsonOrNull(r.requestId)}` +
    `,"client":${jsonString(clientText(r))},"listener":${jsonString(r.listener)}` +
    `,"method":${jsonOrNull(r.method)},"scheme":"${r.scheme}","host":${jsonOrNull(r.host)}` +
    `,"path":${jsonOrNull(r.path)},"protocol":${jsonString(r.protocol)},"status":${r.status}` +
    `,"duration_ms":${r.durationMs},"upstream_ms":${numberOrNull(r.upstreamMs)}` +
    `,"bytes_received":${r.bytesReceived},"bytes_sent":${r.bytesSent}` +
    `,"route":${jsonOrNull(r.route)},"cluster":${jsonOrNull(r.cluster)},"upstream":${jsonOrNull(r.upstream)}` +
    `,"attempts":${r.attempts},"error_code":${jsonOrNull(r.errorCode)},"trace_id":${jsonOrNull(r.traceId)}` +
    `,"user_agent":${jsonOrNull(r.userAgent)},"referer":${jsonOrNull(r.referer)},"tls":${tls}}`
  );
}

/** `address:port`, IPv6 in brackets. */
export function clientText(r: AccessRecord): string {
  return r.clientAddress.includes(':')
    ? `[${r.clientAddress}]:${r.clientPort}`
    : `${r.clientAddress}:${r.clientPort}`;
}
