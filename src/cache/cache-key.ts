/**
 * The cache key: what makes two requests ask for the same resource (RFC 9111 §2: the target URI).
 * GET and HEAD share a key (a HEAD is answered from a stored GET); Vary'd fields choose among the
 * alternates stored under one key (alternates.ts), they are not part of the key.
 */

/** `scheme://host[:port]/path?query`, the host lower-cased (routing already did), the rest as sent. */
export function cacheKey(scheme: string, host: string, port: string, path: string, query: string): string {
  const authority = port === '' || isDefaultPort(scheme, port) ? host : `${host}:${port}`;
  return `${scheme}://${authority}${path}${query}`;
}

function isDefaultPort(scheme: string, port: string): boolean {
  return (scheme === 'http' && port === '80') || (scheme === 'https' && port === '443');
}

/**
 * The key a Location or Content-Location of a response to `requestKey` names (RFC 9111 §4.4),
 * or undefined when it names another host (a cache must not invalidate it) or cannot be read.
 */
export function relatedKey(requestKey: string, reference: string): string | undefined {
  let url: URL;
  let base: URL;
  try {
    base = new URL(requestKey);
    url = new URL(reference, base);
  } catch {
    return undefined;
  }
  if (url.protocol !== base.protocol || url.host !== base.host) return undefined;
  return `${base.protocol}//${base.host}${url.pathname}${url.search}`;
}
