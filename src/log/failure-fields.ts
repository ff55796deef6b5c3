import { JunctionError, type ErrorCode } from '../errors/index.ts';

/** What a log line says of a failure Junction expects (see failureFields). */
export interface FailureFields {
  /** The code of the innermost typed error: the cause (JCT_ERR_CONNECT_REFUSED), not its consequence. */
  readonly code?: ErrorCode;
  /** The code of the error as reported (JCT_ERR_NO_UPSTREAM), when a deeper cause has another. */
  readonly outerCode?: ErrorCode;
  /** The system error under it (ECONNREFUSED, ECONNRESET, ERR_SSL_…), when there is one. */
  readonly errno?: string;
  /** Only for errors nobody expected (bugs): the whole error, stack included. */
  readonly err?: unknown;
}

/**
 * Log fields for a failure. A JunctionError is an expected outcome (a backend refused, timed out,
 * reset): its line carries codes, never a stack. So does a system error from a socket (a peer that
 * reset). Anything else is a bug, logged whole under `err` with its stack, as pino serialises it.
 */
export function failureFields(error: unknown): FailureFields {
  if (error === undefined) return {};
  if (error instanceof JunctionError) {
    let root: JunctionError = error;
    while (root.cause instanceof JunctionError) root = root.cause;
    const errno = systemCode(root.cause);
    return {
      code: root.code,
      ...(root === error ? {} : { outerCode: error.code }),
      ...(errno === undefined ? {} : { errno }),
    };
  }
  const errno = systemCode(error);
  return errno === undefined ? { err: error } : { errno };
}

/**
 * The `code` of an error the network caused: a system error (`ECONNRESET`, with its `syscall`) or a TLS
 * one (`ERR_SSL_…`, `ERR_TLS_…`). Node's other `ERR_…` codes (an invalid argument) are bugs: undefined.
 */
function systemCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  if (typeof code !== 'string') return undefined;
  return typeof syscall === 'string' || NETWORK_CODE.test(code) ? code : undefined;
}

const NETWORK_CODE = /^(?:E[A-Z0-9]+|ERR_SSL_\w+|ERR_TLS_\w+)$/;
