/**
 * An upstream attempt's two decisions that are not the driver's state: whether a failed attempt may
 * be sent again (mayReplay, pure), and how a failed acquire is logged (logAcquireFailure: repeats of
 * one failure are counted, not written). The driver owns the lease and channel and carries them out
 * (Transaction.retryAttempt, onAcquireFailed).
 */
import type { RequestHead } from '../codec/types.ts';
import type { JunctionError } from '../errors/index.ts';
import { failureFields, type Logger } from '../log/index.ts';
import type { RetryReason } from '../router/index.ts';
import { isIdempotent } from './request-body.ts';
import type { RuntimeSnapshot } from './snapshot.ts';

/**
 * Whether the request can be sent again after a failed attempt: nothing went to the client, the
 * request side is done, and the request is idempotent and bodiless or its body was kept. An upgrade
 * is sent once: only a pooled connection found closed before any answer (`stale`) is replayed.
 */
export function mayReplay(
  head: RequestHead,
  reason: RetryReason,
  forwardsUpgrade: boolean,
  responseStarted: boolean,
  requestDone: boolean,
  bodyKept: boolean,
): boolean {
  if (forwardsUpgrade && reason !== 'stale') return false;
  if (responseStarted || !requestDone) return false;
  if (!isIdempotent(head.method)) return false;
  return bodyKept || (head.bodyKind !== 'chunked' && head.contentLength <= 0);
}

/** Logs why no upstream could be had for `cluster` (the cause's code leads, no stack: expected). */
export function logAcquireFailure(
  snapshot: RuntimeSnapshot,
  log: Logger,
  error: JunctionError,
  cluster: string | undefined,
): void {
  // JCT_ERR_NO_UPSTREAM stays in outerCode.
  const fields = { ...failureFields(error), cluster };
  const key = `acquire|${fields.cluster ?? ''}|${fields.code ?? ''}|${fields.errno ?? ''}`;
  // A dead backend fails every request alike: repeats are counted, not written (see RepeatLimiter).
  if (fields.err === undefined) snapshot.router.failureLog.warn(log, key, fields, error.message);
  else log.warn(fields, error.message);
}
