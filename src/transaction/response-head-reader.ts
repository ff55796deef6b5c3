/**
 * Reads the upstream's response head out of what has arrived, through any interim (1xx) responses:
 * the pure part of the transaction's response side, with no I/O and no state of its own. The
 * transaction keeps the unread bytes and calls again when more come.
 */
import { parseResponseHead } from '../codec/index.ts';
import type { HeadLimits, ResponseHead } from '../codec/types.ts';
import type { HttpParseError } from '../errors/index.ts';
import { hasUpgradeField } from './upgrade.ts';

/**
 * What reading found:
 * - `need-more`: no complete head yet; keep `buf` from `offset` on (interim heads before it are read).
 * - `final`: a final (2xx–5xx) head, `head`; its body starts at `offset`.
 * - `switch`: a 101 to a request forwarded as an upgrade, naming its protocol: a tunnel starts at `offset`.
 * - `bad-switch`: a 101 the request did not ask for, or without an Upgrade field (RFC 9110 §15.2.2).
 * - `reject`: the head is invalid or over the limits: `error`.
 */
export type HeadReadKind = 'need-more' | 'final' | 'switch' | 'bad-switch' | 'reject';

/** Where the reader leaves what it found; one per transaction, reused across reads, so reading allocates nothing. */
export interface HeadReadResult {
  head: ResponseHead | null;
  offset: number;
  error: HttpParseError | null;
}

/**
 * Reads from `buf` at `offset`. Interim responses other than 101 are dropped: Junction answered any
 * Expect itself, so they stop at the proxy. `upgrade`: the request went upstream as an upgrade.
 */
export function readResponseHead(
  buf: Buffer,
  offset: number,
  limits: HeadLimits,
  method: string,
  upgrade: boolean,
  out: HeadReadResult,
): HeadReadKind {
  for (;;) {
    const step = parseResponseHead(buf, offset, buf.length, limits, method);
    if (step.kind === 'need-more') {
      out.offset = offset;
      return 'need-more';
    }
    if (step.kind === 'reject') {
      out.error = step.error;
      return 'reject';
    }
    offset += step.consumed;
    const head = step.head;
    if (head.status >= 200) return found(out, head, offset, 'final');
    if (head.status === 101) {
      return found(out, head, offset, upgrade && hasUpgradeField(head.headers) ? 'switch' : 'bad-switch');
    }
  }
}

function found(out: HeadReadResult, head: ResponseHead, offset: number, kind: HeadReadKind): HeadReadKind {
  out.head = head;
  out.offset = offset;
  return kind;
}
