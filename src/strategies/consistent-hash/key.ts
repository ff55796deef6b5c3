/**
 * The request key consistent-hash hashes: parsed once from the `key` option, hashed per request
 * without building strings (ranges of the header or field are hashed in place).
 */
import type { SelectionInput } from '../types.ts';
import { findCookie, isCookieName, type CookieSpan } from '../shared/cookie.ts';
import { hashRange, hashRangeFolded } from '../shared/hash.ts';
import { closestMatch, describe } from '../shared/options.ts';

export type KeySpec =
  | { readonly source: 'host' | 'path' | 'client-address' }
  | { readonly source: 'header'; readonly name: string }
  | { readonly source: 'cookie'; readonly name: string };

const KEY_FORMS = ['host', 'path', 'uri', 'client-address', 'header:<name>', 'cookie:<name>'];

/** Parses the `key` option. `uri` is the path: SelectionInput carries no query string. */
export function parseKey(kind: string, value: unknown): KeySpec {
  if (typeof value !== 'string') {
    throw new Error(
      `${kind}: option 'key' is required: one of ${KEY_FORMS.join(', ')} (got ${describe(value)})`,
    );
  }
  if (value === 'host' || value === 'path' || value === 'client-address') return { source: value };
  if (value === 'uri') return { source: 'path' };
  const colon = value.indexOf(':');
  const prefix = colon === -1 ? '' : value.slice(0, colon);
  const name = value.slice(colon + 1);
  if ((prefix === 'header' || prefix === 'cookie') && isCookieName(name)) {
    // Header names are case-insensitive and SelectionInput.header() wants lower case; cookie
    // names are case-sensitive.
    return prefix === 'header' ? { source: 'header', name: name.toLowerCase() } : { source: 'cookie', name };
  }
  const close = closestMatch(colon === -1 ? value : `${prefix}:<name>`, KEY_FORMS);
  const hint = close === undefined ? '' : `; did you mean '${close}'?`;
  throw new Error(
    `${kind}: option 'key' must be one of ${KEY_FORMS.join(', ')}, got ${describe(value)}${hint}`,
  );
}

const HOST = 0;
const PATH = 1;
const CLIENT = 2;
const HEADER = 3;
const COOKIE = 4;

/** Hashes the key of a request; -1 when the request has no such key (or it is empty). */
export class KeyHasher {
  readonly #source: number;
  readonly #name: string;
  readonly #seed: number;
  readonly #span: CookieSpan = { start: 0, end: 0 };

  constructor(spec: KeySpec, seed: number) {
    this.#source =
      spec.source === 'host'
        ? HOST
        : spec.source === 'path'
          ? PATH
          : spec.source === 'client-address'
            ? CLIENT
            : spec.source === 'header'
              ? HEADER
              : COOKIE;
    this.#name = spec.source === 'header' || spec.source === 'cookie' ? spec.name : '';
    this.#seed = seed;
  }

  hash(input: SelectionInput): number {
    switch (this.#source) {
      case HOST: {
        // Host names are case-insensitive: Example.COM and example.com are one key.
        const host = input.host;
        return host.length === 0 ? -1 : hashRangeFolded(host, 0, host.length, this.#seed);
      }
      case PATH:
        return this.#whole(input.path);
      case CLIENT:
        return this.#whole(input.clientAddress);
      case HEADER:
        return this.#whole(input.header(this.#name));
      default: {
        const header = input.header('cookie');
        const span = this.#span;
        if (header === undefined || !findCookie(header, this.#name, span) || span.end <= span.start)
          return -1;
        return hashRange(header, span.start, span.end, this.#seed);
      }
    }
  }

  #whole(value: string | undefined): number {
    if (value === undefined || value.length === 0) return -1;
    return hashRange(value, 0, value.length, this.#seed);
  }
}
