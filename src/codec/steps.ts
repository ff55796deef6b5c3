/**
 * Pieces both head parsers share: the need-more value, the mapping from a scan failure to an
 * HttpParseError, and the HTTP-version check.
 */
import { HttpParseError, type HttpParseCode } from '../errors/index.ts';
import { FAIL_BAD, FAIL_FRAMING, FAIL_TOO_LARGE, FAIL_UNSUPPORTED_CODING, type FailKind } from './fields.ts';

/** Shared and frozen: need-more is the common answer while a head trickles in, so it must not allocate. */
export const NEED_MORE: { readonly kind: 'need-more' } = Object.freeze({ kind: 'need-more' });

export interface Reject {
  readonly kind: 'reject';
  readonly error: HttpParseError;
}

const REQUEST_CODES: Record<FailKind, HttpParseCode> = {
  [FAIL_BAD]: 'JCT_ERR_HTTP_BAD_REQUEST',
  [FAIL_FRAMING]: 'JCT_ERR_HTTP_BAD_FRAMING',
  [FAIL_TOO_LARGE]: 'JCT_ERR_HTTP_HEAD_TOO_LARGE',
  [FAIL_UNSUPPORTED_CODING]: 'JCT_ERR_HTTP_UNSUPPORTED_TRANSFER_CODING',
};

export function rejectRequest(code: HttpParseCode, reason: string): Reject {
  return { kind: 'reject', error: new HttpParseError(code, reason, 'client') };
}

export function rejectRequestKind(kind: FailKind, reason: string): Reject {
  return rejectRequest(REQUEST_CODES[kind], reason);
}

/**
 * Every malformed upstream response is one code: the client gets a 502 whatever the upstream did wrong.
 * A head over the response limits has a code of its own: the backend is not broken, its answer is big.
 */
export function rejectResponse(
  reason: string,
  code: 'JCT_ERR_HTTP_BAD_RESPONSE' | 'JCT_ERR_HTTP_RESPONSE_HEAD_TOO_LARGE' = 'JCT_ERR_HTTP_BAD_RESPONSE',
): Reject {
  return { kind: 'reject', error: new HttpParseError(code, `upstream response: ${reason}`, 'upstream') };
}

const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f];

export const VERSION_NEED_MORE = -1;
export const VERSION_MALFORMED = -2;
export const VERSION_UNSUPPORTED = -3;

/**
 * Checks the 8 bytes of `HTTP/d.d` at p, as far as they are present, so garbage is refused before the
 * line is complete. Returns the minor version (0 or 1) or one of the VERSION_* values. A well-formed
 * version other than 1.0 and 1.1 (0.9, 1.2, 2.0) is unsupported rather than malformed: 505, not 400.
 */
export function parseVersion(buf: Buffer, p: number, end: number): number {
  const n = end - p < 8 ? end - p : 8;
  for (let i = 0; i < n; i++) {
    const c = buf[p + i]!;
    const ok = i < 5 ? c === HTTP_SLASH[i] : i === 6 ? c === 0x2e : c >= 0x30 && c <= 0x39;
    if (!ok) return VERSION_MALFORMED;
  }
  if (n < 8) return VERSION_NEED_MORE;
  if (buf[p + 5] !== 0x31) return VERSION_UNSUPPORTED;
  const minor = buf[p + 7]! - 0x30;
  return minor <= 1 ? minor : VERSION_UNSUPPORTED;
}
