/**
 * The last request heads a process saw, for `junction ctl preview` to replay against a new config.
 * Bounded (the oldest is overwritten), off unless `explain.keep_requests` is set. It keeps what routing
 * and rules read: method, scheme, host, path and query, the fields in order, the client's address, the
 * SNI and the listener. No bodies. The values of credentials (Authorization, Proxy-Authorization,
 * Cookie, Set-Cookie) are replaced by a marker: their names stay, so a rule that tests presence still
 * sees them.
 */
import type { RequestHead } from '../codec/types.ts';
import type { SessionPort } from './session-port.ts';

/** What a kept field's value reads when the ring must not keep it. */
export const REDACTED_VALUE = '[redacted]';

/** One kept request head: plain data, as it crosses to the admin API as JSON. */
export interface KeptRequest {
  /** Wall clock, ms since the epoch. */
  readonly time: number;
  readonly method: string;
  readonly scheme: 'http' | 'https';
  /** The head's host (lower-cased, without port) and port, as the router read them. */
  readonly host: string;
  readonly port: string;
  /** The request-target exactly as sent. */
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly client: string;
  readonly sni: string | null;
  readonly listener: string;
}

/** Lower-cased names whose values are never kept. */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
]);

/** The fields of a flat [name, value, …] list as pairs, credentials' values replaced. */
export function keptFields(flat: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    // Only names as long as a secret one are lower-cased (6, 10, 13, 19 characters).
    const n = name.length;
    const secret = (n === 6 || n === 10 || n === 13 || n === 19) && SECRET_FIELDS.has(name.toLowerCase());
    pairs.push([name, secret ? REDACTED_VALUE : flat[i + 1]!]);
  }
  return pairs;
}

export class RequestRing {
  readonly capacity: number;
  readonly #slots: (KeptRequest | undefined)[];
  /** Where the next head goes; the oldest kept one once the ring is full. */
  #next = 0;
  #count = 0;

  /** A ring of `capacity` heads; `from` (a ring a reload replaces) hands over its newest ones. */
  constructor(capacity: number, from?: RequestRing) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be at least 1');
    this.capacity = capacity;
    this.#slots = new Array<KeptRequest | undefined>(capacity).fill(undefined);
    for (const kept of from?.list().slice(-capacity) ?? []) this.add(kept);
  }

  get size(): number {
    return this.#count;
  }

  /** Called once per request, when its head is read: one copy of the head's fields. */
  keep(session: SessionPort, head: RequestHead): void {
    this.add({
      time: Date.now(),
      method: head.method,
      scheme: session.scheme,
      host: head.host,
      port: head.port,
      target: head.target,
      headers: keptFields(head.headers),
      client: session.clientAddress,
      sni: session.tls?.serverName ?? null,
      listener: session.listener.name,
    });
  }

  add(kept: KeptRequest): void {
    this.#slots[this.#next] = kept;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#count < this.capacity) this.#count += 1;
  }

  /** The kept heads, oldest first. */
  list(): KeptRequest[] {
    const out: KeptRequest[] = [];
    const start = this.#count < this.capacity ? 0 : this.#next;
    for (let i = 0; i < this.#count; i += 1) out.push(this.#slots[(start + i) % this.capacity]!);
    return out;
  }
}
