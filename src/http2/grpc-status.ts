/**
 * gRPC's view of Junction's own answers: a request whose content-type is application/grpc* that
 * Junction answers itself (no route, no upstream, a limit, a deadline) gets an HTTP 200
 * "trailers-only" response whose grpc-status says why, mapped from the HTTP status as Envoy maps it
 * (https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md). Pure.
 */

export const GRPC_OK = 0;
export const GRPC_UNKNOWN = 2;
export const GRPC_DEADLINE_EXCEEDED = 4;
export const GRPC_PERMISSION_DENIED = 7;
export const GRPC_UNIMPLEMENTED = 12;
export const GRPC_INTERNAL = 13;
export const GRPC_UNAVAILABLE = 14;
export const GRPC_UNAUTHENTICATED = 16;

/** Whether a request's content-type makes it a gRPC call (application/grpc, +proto, +json, -web…). */
export function isGrpcContentType(contentType: string): boolean {
  return contentType.length >= 16 && contentType.slice(0, 16).toLowerCase() === 'application/grpc';
}

/** The grpc-status of an HTTP status Junction answered with (Envoy's mapping). */
export function grpcStatusOfHttp(status: number): number {
  switch (status) {
    case 400:
      return GRPC_INTERNAL;
    case 401:
      return GRPC_UNAUTHENTICATED;
    case 403:
      return GRPC_PERMISSION_DENIED;
    case 404:
      return GRPC_UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GRPC_UNAVAILABLE;
    default:
      return GRPC_UNKNOWN;
  }
}

const TIMEOUT_UNITS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/**
 * A grpc-timeout value (`TimeoutValue TimeoutUnit`: at most 8 digits, then H M S m u n) in
 * milliseconds, at least 1 for any positive value; -1 when the value is malformed or absent.
 */
export function parseGrpcTimeout(value: string): number {
  if (value.length < 2 || value.length > 9) return -1;
  const unit = TIMEOUT_UNITS[value[value.length - 1]!];
  const digits = value.slice(0, -1);
  if (unit === undefined || !/^[0-9]+$/.test(digits)) return -1;
  const ms = Number(digits) * unit;
  return ms > 0 && ms < 1 ? 1 : Math.ceil(ms);
}

/**
 * grpc-message is percent-encoded (gRPC's HTTP/2 protocol): bytes outside printable ASCII, and '%'.
 * Junction's messages are short ASCII sentences; the first line only.
 */
export function grpcMessage(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  let out = '';
  for (const byte of Buffer.from(line, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
