import type { RequestHead, ResponseHead } from '../codec/types.ts';
import { hasListToken, headerValue, removeHeader, weakenETag } from './headers.ts';

/**
 * Whether a response carries a whole body a transform may rewrite. Not: answers to HEAD (no body),
 * 1xx, 204 and 304 (no body), 206 (a part of a representation: rewriting it would corrupt whatever the
 * client assembles from the parts), a CONNECT tunnel, or an empty body.
 */
export function responseHasRewritableBody(request: RequestHead, response: ResponseHead): boolean {
  if (request.method === 'HEAD' || request.method === 'CONNECT') return false;
  const status = response.status;
  if (status < 200 || status === 204 || status === 206 || status === 304) return false;
  return hasBody(response);
}

/** Whether a message has a body at all, by its framing. */
export function hasBody(head: RequestHead | ResponseHead): boolean {
  if (head.bodyKind === 'none') return false;
  return head.bodyKind !== 'length' || head.contentLength > 0;
}

/** Whether the content already has a content coding (anything but identity): it is not plain bytes. */
export function hasContentCoding(headers: readonly string[]): boolean {
  const coding = headerValue(headers, 'content-encoding');
  if (coding === undefined) return false;
  return coding.split(',').some((c) => {
    const token = c.trim().toLowerCase();
    return token !== '' && token !== 'identity';
  });
}

/** Cache-Control: no-transform: intermediaries must not change the content (RFC 9111 §5.2). */
export function forbidsTransform(headers: readonly string[]): boolean {
  return hasListToken(headerValue(headers, 'cache-control'), 'no-transform');
}

/** Fields that describe the exact bytes of the origin's content and are wrong once they change. */
const BYTE_EXACT_FIELDS = ['content-md5', 'content-digest', 'repr-digest', 'digest', 'accept-ranges'];

/**
 * Head edits every body rewrite needs: the strong ETag becomes weak, and digests of the old bytes go.
 * Accept-Ranges goes too: a later Range request would be answered by the origin from the untransformed
 * bytes, which do not line up with what this client received.
 */
export function markContentRewritten(headers: string[]): void {
  weakenETag(headers);
  for (const name of BYTE_EXACT_FIELDS) removeHeader(headers, name);
}
