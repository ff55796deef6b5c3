import { ConnectError, type ConnectErrorCode } from '../errors/index.ts';

/** errno → typed connect error: the one place Junction maps socket errors of a connect attempt. */
export function toConnectError(upstreamId: string, error: unknown): ConnectError {
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const code = CONNECT_CODES.get(errno ?? '') ?? 'JCT_ERR_CONNECT_FAILED';
  const detail = error instanceof Error ? error.message : String(error);
  return new ConnectError(code, upstreamId, `connect to ${upstreamId} failed: ${detail}`, { cause: error });
}

export function connectTimeoutError(upstreamId: string, timeoutMs: number): ConnectError {
  return new ConnectError(
    'JCT_ERR_CONNECT_TIMEOUT',
    upstreamId,
    `connect to ${upstreamId} timed out after ${timeoutMs} ms`,
  );
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
