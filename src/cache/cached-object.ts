/**
 * One stored response (an alternate): its policy (http-cache-semantics holds the RFC 9111 rules and
 * the response's fields), its body, and what it costs the memory tier. Also the conversions between
 * Junction's flat field lists and the policy's header objects.
 */
import type CachePolicy from 'http-cache-semantics';

/** A stored response. Immutable but for `policy`, which a 304 replaces. */
export interface CachedObject {
  readonly key: string;
  /** The response's Vary field ('' without one): which request fields choose this alternate. */
  readonly vary: string;
  /** The Vary'd request fields of the request that stored it, in a canonical form (variantOf). */
  readonly variant: string;
  policy: CachePolicy;
  readonly status: number;
  readonly reason: string;
  readonly body: Buffer;
  /**
   * Set-Cookie values stored beside the policy, on routes that share them (`set_cookie: true`): the
   * policy never sees them, as http-cache-semantics refuses to share a cookie without `public`.
   */
  readonly cookies: readonly string[];
  /** Bytes charged to the memory tier: the body, the fields and a fixed overhead. */
  readonly size: number;
}

/** What an object costs beyond its fields and body (maps, policy, bookkeeping). */
export const OBJECT_OVERHEAD_BYTES = 512;

/** The policy options of a shared cache: heuristic freshness only where RFC 9111 §4.2.2 allows it. */
export const SHARED_POLICY: CachePolicy.Options = {
  shared: true,
  // 10% of the time since Last-Modified, as §4.2.2 suggests, for responses cacheable by default.
  cacheHeuristic: 0.1,
  // Treat pre-HTTP/1.1 pragmas (Pragma: no-cache on a response) as the library's defaults say.
  ignoreCargoCult: false,
};

/** A flat field list (name, value, …) as a header object: lower-case names, repeats joined. */
export function headerObject(fields: readonly string[]): CachePolicy.Headers {
  const out: CachePolicy.Headers = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toLowerCase();
    const value = fields[i + 1]!;
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else if (name === 'set-cookie')
      out[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
    else out[name] = `${Array.isArray(previous) ? previous.join(', ') : previous}, ${value}`;
  }
  return out;
}

/** A header object as a flat field list. */
export function fieldList(headers: CachePolicy.Headers): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) out.push(name, item);
    else out.push(name, value);
  }
  return out;
}

/** The canonical form of the request fields `vary` names; undefined for `Vary: *` (never matches). */
export function variantOf(vary: string | undefined, request: CachePolicy.Headers): string | undefined {
  if (vary === undefined || vary.trim() === '') return '';
  const names = vary
    .toLowerCase()
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.includes('*')) return undefined;
  names.sort();
  let out = '';
  for (const name of names) {
    const value = request[name];
    out += `${name}\u0000${value === undefined ? '\u0001' : String(value)}\u0000`;
  }
  return out;
}

/** A field of a header object as one string (repeats joined); undefined when absent. */
export function fieldOf(headers: CachePolicy.Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Directive `name` of a Cache-Control value, in seconds; 0 when absent or not a number. */
export function cacheControlSeconds(value: string | string[] | undefined, name: string): number {
  if (value === undefined) return 0;
  const text = Array.isArray(value) ? value.join(',') : value;
  const match = new RegExp(`(?:^|,)\\s*${name}\\s*=\\s*"?(\\d+)"?`, 'i').exec(text);
  return match === null ? 0 : Number(match[1]);
}
