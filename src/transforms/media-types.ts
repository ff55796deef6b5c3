/** Media-type patterns: which Content-Types a transform applies to. */

/** The media type of a Content-Type value, lower-cased, without parameters; '' when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** A compiled pattern list: whether a (lower-cased, parameterless) media type matches one of them. */
export type MediaTypeMatcher = (mediaType: string) => boolean;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/**
 * Compiles patterns of the forms `type/subtype`, `type/*` (any subtype) and `type/*+suffix` (a
 * structured syntax suffix, RFC 6838 §4.2.8, such as `application/*+json`); `type` may be `*` in the
 * last two. Matching ignores case and parameters. Throws on a malformed pattern, at configuration time.
 */
export function compileMediaTypes(patterns: readonly string[]): MediaTypeMatcher {
  const exact = new Set<string>();
  const anySubtype = new Set<string>();
  const suffixes: { type: string; suffix: string }[] = [];
  for (const raw of patterns) {
    const pattern = raw.trim().toLowerCase();
    const slash = pattern.indexOf('/');
    const type = pattern.slice(0, slash);
    const subtype = pattern.slice(slash + 1);
    if (slash <= 0 || !TOKEN.test(type) || !TOKEN.test(subtype)) {
      throw new Error(`"${raw}" is not a media type pattern (type/subtype, type/*, or type/*+suffix)`);
    }
    if (subtype === '*') anySubtype.add(type);
    else if (subtype.startsWith('*+') && subtype.length > 2)
      suffixes.push({ type, suffix: subtype.slice(1) });
    else if (type !== '*' && !subtype.includes('*')) exact.add(pattern);
    else throw new Error(`"${raw}" is not a media type pattern (type/subtype, type/*, or type/*+suffix)`);
  }
  return (mediaType) => {
    if (mediaType === '') return false;
    if (exact.has(mediaType)) return true;
    const slash = mediaType.indexOf('/');
    if (slash <= 0) return false;
    const type = mediaType.slice(0, slash);
    if (anySubtype.has(type) || anySubtype.has('*')) return true;
    for (const { type: wanted, suffix } of suffixes) {
      if (
        (wanted === '*' || wanted === type) &&
        mediaType.endsWith(suffix) &&
        mediaType.length - slash - 1 > suffix.length
      ) {
        return true;
      }
    }
    return false;
  };
}
