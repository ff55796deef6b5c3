import { ConnectError, type ConnectErrorCode } from '../errors/index.ts';

/** errno → typed connect error: the one place Junction maps socket errors of a connect attempt. */
export function toConnectError(upstreamId: string, error: unknown): ConnectError {
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const code = CONNECT_CODES.get(errno ?? '') ?? 'JCT_ERR_CONNECT_FAILED';
  return new ConnectError(code, upstreamId, `connect to ${upstreamId} failed: ${describe(error)}`, {
    cause: error,
  });
}

export function connectTimeoutError(upstreamId: string, timeoutMs: number): ConnectError {
  return new ConnectError(
    'JCT_ERR_CONNECT_TIMEOUT',
    upstreamId,
    `connect to ${upstreamId} timed out after ${timeoutMs} ms`,
  );
}

/**
 * Any failure after TCP connected and before the handshake finished: an untrusted certificate, a name
 * mismatch, a protocol error, or an upstream that hung up on our ClientHello.
 */
export function tlsHandshakeError(upstreamId: string, error: unknown): ConnectError {
  return new ConnectError(
    'JCT_ERR_TLS_HANDSHAKE',
    upstreamId,
    `TLS handshake with ${upstreamId} failed: ${describe(error)}`,
    { cause: error },
  );
}

/** Whatever the resolver said (a DNS server's ECONNREFUSED included), the name has no usable address. */
export function unresolvableError(upstreamId: string, error: unknown): ConnectError {
  return new ConnectError(
    'JCT_ERR_CONNECT_UNRESOLVABLE',
    upstreamId,
    `connect to ${upstreamId} failed: its name could not be resolved: ${describe(error)}`,
    { cause: error },
  );
}

export function poolExhaustedError(upstreamId: string, maxTotal: number): ConnectError {
  return new ConnectError(
    'JCT_ERR_POOL_EXHAUSTED',
    upstreamId,
    `no connect to ${upstreamId}: its pool already has max_total (${maxTotal}) connections open or opening`,
  );
}

export function connectorClosedError(upstreamId: string): ConnectError {
  return new ConnectError(
    'JCT_ERR_CONNECT_FAILED',
    upstreamId,
    `connect to ${upstreamId} refused: connector closed`,
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const CONNECT_CODES: ReadonlyMap<string, ConnectErrorCode> = new Map<string, ConnectErrorCode>([
  ['ETIMEDOUT', 'JCT_ERR_CONNECT_TIMEOUT'],
  ['ECONNREFUSED', 'JCT_ERR_CONNECT_REFUSED'],
  ['EHOSTUNREACH', 'JCT_ERR_CONNECT_UNREACHABLE'],
  ['ENETUNREACH', 'JCT_ERR_CONNECT_UNREACHABLE'],
  ['EHOSTDOWN', 'JCT_ERR_CONNECT_UNREACHABLE'],
  ['ENETDOWN', 'JCT_ERR_CONNECT_UNREACHABLE'],
  ['ENOTFOUND', 'JCT_ERR_CONNECT_UNRESOLVABLE'],
  ['EAI_AGAIN', 'JCT_ERR_CONNECT_UNRESOLVABLE'],
  ['EAI_NONAME', 'JCT_ERR_CONNECT_UNRESOLVABLE'],
  ['EAI_FAIL', 'JCT_ERR_CONNECT_UNRESOLVABLE'],
]);
