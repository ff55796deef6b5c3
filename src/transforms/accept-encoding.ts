/** Content negotiation over Accept-Encoding (RFC 9110 §12.5.3), for the codings Junction can produce. */

/** The content codings Junction compresses with. */
export type ContentCoding = 'br' | 'gzip';

export const CONTENT_CODINGS: readonly ContentCoding[] = ['br', 'gzip'];

/** qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * The weight the header gives each coding it names (lower-cased; x-gzip read as gzip). An element
 * with a malformed q is ignored; a coding named twice keeps its lowest weight, so an explicit `q=0`
 * is never overridden.
 */
export function parseAcceptEncoding(value: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const element of value.split(',')) {
    const parts = element.split(';');
    const named = parts[0]!.trim().toLowerCase();
    if (named === '') continue;
    // RFC 9110 §8.4.1.3: x-gzip is gzip.
    const coding = named === 'x-gzip' ? 'gzip' : named;
    let q = 1;
    let valid = true;
    for (let i = 1; i < parts.length; i++) {
      const param = parts[i]!.trim();
      const eq = param.indexOf('=');
      if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const text = param.slice(eq + 1).trim();
      if (!QVALUE.test(text)) valid = false;
      else q = Number(text);
    }
    if (!valid) continue;
    const seen = weights.get(coding);
    weights.set(coding, seen === undefined ? q : Math.min(seen, q));
  }
  return weights;
}

/**
 * The coding to compress with for a request's Accept-Encoding, or undefined to send the body as it is.
 * - No Accept-Encoding: undefined. RFC 9110 allows any coding then, but clients that can decode say so.
 * - A coding's weight is its own entry (`x-gzip` is `gzip`), else `*`'s, else 0; weight 0 excludes.
 * - The highest weight wins; ties go to the coding listed first in `supported` (the preference order).
 * - Only an explicit `identity;q=…` competes: a client that weighs identity above every coding Junction
 *   offers gets the body as it is. An unlisted identity does not compete (as in common servers): a
 *   client sending `gzip;q=0.8` alone is asking for gzip, not ranking it below identity.
 */
export function negotiateEncoding(
  acceptEncoding: string | undefined,
  supported: readonly ContentCoding[],
): ContentCoding | undefined {
  if (acceptEncoding === undefined) return undefined;
  const weights = parseAcceptEncoding(acceptEncoding);
  const anyOther = weights.get('*');
  let best: ContentCoding | undefined;
  let bestWeight = 0;
  for (const coding of supported) {
    const weight = weights.get(coding) ?? anyOther ?? 0;
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  if (best === undefined) return undefined;
  const identityWeight = weights.get('identity') ?? 0;
  return identityWeight > bestWeight ? undefined : best;
}
