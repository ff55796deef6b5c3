import type { Outcome, SelectionInput, Strategy, StrategyEnv, StrategyPlugin, Upstream } from '../types.ts';
import { findCookie, isCookieName, type CookieSpan } from '../shared/cookie.ts';
import { DEFAULT_HASH_SEED, hashString } from '../shared/hash.ts';
import { usable } from '../shared/members.ts';
import { checkOptionNames, readBoolean, readEnum, readInteger, readString } from '../shared/options.ts';
import { parseFallback, type FallbackConfig } from './fallback.ts';

export interface StickyCookieOptions {
  readonly cookie: string;
  readonly fallback: FallbackConfig;
  /** Everything after `name=value` in Set-Cookie, precomputed: `; Path=/; HttpOnly`… */
  readonly attributes: string;
  readonly seed: number;
}

const KIND = 'sticky-cookie';
const ID_LENGTH = 16;

/**
 * The opaque, stable id of an upstream in the cookie: 64 bits of seeded hash of its id, as 16 hex
 * digits. Opaque so that backend addresses do not leak to clients; stable (seeded with a constant,
 * not per process) so that every instance and a restarted one read cookies the others set.
 */
export function stickyId(upstreamId: string, seed = DEFAULT_HASH_SEED): string {
  const hi = hashString(upstreamId, seed);
  const lo = hashString(upstreamId, seed ^ 0x2545f491);
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/**
 * Sticky sessions, Sōzu style: the `cookie` names the upstream that served this client before; if
 * that upstream is still a member, up and not excluded, it is picked. Otherwise (no cookie, a
 * forged or stale one, the upstream is gone, down, or already tried in this transaction) the
 * fallback strategy picks, and responseHeaders() returns a Set-Cookie naming the new upstream.
 */
class StickyCookie implements Strategy {
  readonly #cookie: string;
  readonly #attributes: string;
  readonly #seed: number;
  readonly #fallback: Strategy;
  #members: readonly Upstream[] = [];
  #hi = new Uint32Array(0);
  #lo = new Uint32Array(0);
  #index = new Map<Upstream, number>();
  /** High half of the cookie id → member index, or -2 when several members share it. */
  #byHi = new Map<number, number>();
  /** Per member, the ['Set-Cookie', value] pair responseHeaders() hands out (never mutated). */
  #setCookie: (readonly string[])[] = [];
  readonly #span: CookieSpan = { start: 0, end: 0 };

  constructor(options: StickyCookieOptions, members: readonly Upstream[], env: StrategyEnv) {
    this.#cookie = options.cookie;
    this.#attributes = options.attributes;
    this.#seed = options.seed;
    this.#fallback = options.fallback.plugin.create(options.fallback.options, members, env);
    this.#rebuild(members);
  }

  select(input: SelectionInput, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const i = this.#cookieMember(input);
    if (i !== -1) {
      const member = this.#members[i]!;
      if (usable(member, exclude)) return member;
    }
    return this.#fallback.select(input, exclude);
  }

  responseHeaders(upstream: Upstream, input: SelectionInput): readonly string[] | undefined {
    const i = this.#index.get(upstream);
    if (i === undefined || this.#cookieMember(input) === i) return undefined;
    return this.#setCookie[i];
  }

  report(upstream: Upstream, outcome: Outcome): void {
    this.#fallback.report?.(upstream, outcome);
  }

  membersChanged(members: readonly Upstream[]): void {
    this.#rebuild(members);
    this.#fallback.membersChanged?.(members);
  }

  #rebuild(members: readonly Upstream[]): void {
    this.#members = members;
    this.#hi = Uint32Array.from(members, (m) => hashString(m.id, this.#seed));
    this.#lo = Uint32Array.from(members, (m) => hashString(m.id, this.#seed ^ 0x2545f491));
    this.#index = new Map(members.map((m, i) => [m, i]));
    this.#byHi = new Map();
    this.#hi.forEach((hi, i) => this.#byHi.set(hi, this.#byHi.has(hi) ? -2 : i));
    this.#setCookie = members.map((m) => [
      'Set-Cookie',
      `${this.#cookie}=${stickyId(m.id, this.#seed)}${this.#attributes}`,
    ]);
  }

  /** The member index the request's cookie names, or -1. Parses hex in place: no substring. */
  #cookieMember(input: SelectionInput): number {
    const header = input.header('cookie');
    const span = this.#span;
    if (header === undefined || !findCookie(header, this.#cookie, span)) return -1;
    if (span.end - span.start !== ID_LENGTH) return -1;
    const hi = parseHex(header, span.start);
    const lo = parseHex(header, span.start + 8);
    if (hi === -1 || lo === -1) return -1;
    const i = this.#byHi.get(hi);
    if (i === undefined) return -1;
    if (i >= 0) return this.#lo[i] === lo ? i : -1;
    // Two members share the high half (a 2^-32 event): compare both halves of each.
    for (let k = 0; k < this.#members.length; k++) {
      if (this.#hi[k] === hi && this.#lo[k] === lo) return k;
    }
    return -1;
  }
}

/** RFC 6265 path-value: starts with '/', no ';' (attribute injection), no control characters. */
function isSafeCookiePath(path: string): boolean {
  if (!path.startsWith('/')) return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c === 0x3b || c === 0x7f) return false;
  }
  return true;
}

/** Eight hex digits at `start` as a uint32, or -1 if any is not a hex digit. */
function parseHex(text: string, start: number): number {
  let value = 0;
  for (let i = start; i < start + 8; i++) {
    const c = text.charCodeAt(i);
    const digit =
      c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (digit === -1) return -1;
    value = value * 16 + digit;
  }
  return value;
}

export const stickyCookie: StrategyPlugin<StickyCookieOptions> = {
  kind: KIND,
  parseOptions(raw) {
    checkOptionNames(KIND, raw, [
      'cookie',
      'fallback',
      'path',
      'http_only',
      'secure',
      'max_age',
      'same_site',
      'seed',
    ]);
    const cookie = readString(KIND, raw, 'cookie', 'JUNCTIONID');
    if (!isCookieName(cookie))
      throw new Error(`${KIND}: option 'cookie' must be a valid cookie name (a token), got '${cookie}'`);
    const path = readString(KIND, raw, 'path', '/');
    // Path is sent verbatim inside Set-Cookie: no ';' (attribute injection) and no control chars.
    if (!isSafeCookiePath(path)) {
      throw new Error(`${KIND}: option 'path' must start with '/' and contain no ';' or control characters`);
    }
    const secure = readBoolean(KIND, raw, 'secure', false);
    const maxAge = readInteger(KIND, raw, 'max_age', 0, 2_147_483_647, undefined);
    const sameSite =
      raw['same_site'] === undefined
        ? undefined
        : readEnum(KIND, raw, 'same_site', ['lax', 'strict', 'none'], 'lax');
    if (sameSite === 'none' && !secure) {
      throw new Error(
        `${KIND}: option 'same_site: none' needs 'secure: true' (browsers reject it otherwise)`,
      );
    }
    let attributes = `; Path=${path}`;
    if (maxAge !== undefined) attributes += `; Max-Age=${maxAge}`;
    if (readBoolean(KIND, raw, 'http_only', true)) attributes += '; HttpOnly';
    if (secure) attributes += '; Secure';
    if (sameSite !== undefined) attributes += `; SameSite=${sameSite[0]!.toUpperCase()}${sameSite.slice(1)}`;
    return {
      cookie,
      fallback: parseFallback(KIND, raw['fallback'] ?? 'round-robin'),
      attributes,
      seed: readInteger(KIND, raw, 'seed', 0, 0xffffffff, DEFAULT_HASH_SEED),
    };
  },
  create(options, members, env) {
    return new StickyCookie(options, members, env);
  },
};
