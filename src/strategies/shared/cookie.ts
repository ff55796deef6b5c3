/**
 * Finding one cookie in a Cookie request header without splitting it (no allocation). The header
 * is `name=value; name2=value2` (RFC 6265 §4.2); several Cookie fields arrive joined with `; `.
 * When a name appears more than once, the first wins, as browsers send the most specific first.
 */

/** Where the last findCookie() match's value ends (exclusive). Valid right after a match. */
export interface CookieSpan {
  start: number;
  end: number;
}

/**
 * Finds cookie `name` in `header`. On a match, fills `span` with the value's bounds (surrounding
 * double quotes and whitespace removed) and returns true.
 */
export function findCookie(header: string, name: string, span: CookieSpan): boolean {
  const length = header.length;
  let i = 0;
  while (i < length) {
    while (i < length && (header.charCodeAt(i) === 32 || header.charCodeAt(i) === 9)) i++;
    let end = header.indexOf(';', i);
    if (end === -1) end = length;
    if (header.startsWith(name, i) && header.charCodeAt(i + name.length) === 61 /* = */) {
      let start = i + name.length + 1;
      let stop = end;
      while (stop > start && (header.charCodeAt(stop - 1) === 32 || header.charCodeAt(stop - 1) === 9))
        stop--;
      if (stop - start >= 2 && header.charCodeAt(start) === 34 && header.charCodeAt(stop - 1) === 34) {
        start++;
        stop--;
      }
      span.start = start;
      span.end = stop;
      return true;
    }
    i = end + 1;
  }
  return false;
}

/** RFC 7230 `token`, which RFC 6265 requires of cookie names. */
export function isCookieName(name: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name);
}
