/**
 * The JSON access line, built by string concatenation: field names are constants, and strings go
 * through an escaper that returns its input untouched when nothing needs escaping (the common case).
 */
import type { AccessRecord } from './record.ts';

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f\u2028\u2029]|[\ud800-\udfff]/;

/** A JSON string literal (quotes included) for `value`, as JSON.stringify would make it. */
export function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
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
    `{"time":"${new Date(r.time).toISOString()}","type":"${r.kind}","request_id":${jsonOrNull(r.requestId)}` +
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
