/**
 * The authority of a request (RFC 3986 §3.2, RFC 9110 §4.2.4): from the Host field, an absolute-form
 * target or a CONNECT target. Routing keys on the result, so anything that is not plainly a host and a
 * port is refused rather than guessed at.
 */
import { COLON, HEX_VALUE, IP_LITERAL, REG_NAME, hasUpper, sliceText, type HeadText } from './tables.ts';

/** Where parseAuthority leaves an authority's host and port. */
export class Authority {
  host = '';
  port = '';
}

/**
 * Parses `host [":" port]` (an RFC 3986 authority without userinfo) in buf[s, e), lower-casing the host
 * (an IP-literal keeps its brackets). A ':' needs 1 to 5 digits up to 65535. Returns false when malformed.
 */
export function parseAuthority(
  buf: Buffer,
  s: number,
  e: number,
  requirePort: boolean,
  t: HeadText,
  out: Authority,
): boolean {
  let p = s;
  if (p < e && buf[p] === 0x5b) {
    p++;
    while (p < e && IP_LITERAL[buf[p]!] === 1) p++;
    if (p >= e || buf[p] !== 0x5d || p === s + 1) return false;
    p++;
  } else {
    while (p < e) {
      const c = buf[p]!;
      if (REG_NAME[c] === 1) p++;
      else if (c === 0x25 && p + 2 < e && HEX_VALUE[buf[p + 1]!]! > 0 && HEX_VALUE[buf[p + 2]!]! > 0) p += 3;
      else break;
    }
    if (p === s) return false;
  }
  const hostEnd = p;
  let port = '';
  if (p < e) {
    if (buf[p] !== COLON) return false;
    const ps = ++p;
    let value = 0;
    while (p < e && p - ps < 5) {
      const d = buf[p]! - 0x30;
      if (d < 0 || d > 9) return false;
      value = value * 10 + d;
      p++;
    }
    if (p === ps || p < e || value > 65535) return false;
    port = sliceText(t, ps, e);
  } else if (requirePort) {
    return false;
  }
  const host = sliceText(t, s, hostEnd);
  out.host = hasUpper(buf, s, hostEnd) ? host.toLowerCase() : host;
  out.port = port;
  return true;
}
