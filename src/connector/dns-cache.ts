import { promises as dns } from 'node:dns';
import { systemClock, type Clock } from '../util/clock.ts';

/** How long a positive answer is used: its TTL, clamped to these bounds. */
export interface TtlBounds {
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
}

export const DEFAULT_TTL_BOUNDS: TtlBounds = { minTtlMs: 1_000, maxTtlMs: 300_000 };
/** A failed resolution is remembered this long, so a dead name does not cost a query per request. */
export const DEFAULT_NEGATIVE_TTL_MS = 5_000;
/** Answers from the system's lookup (such as /etc/hosts) carry no TTL; this one stands in. */
export const DEFAULT_LOOKUP_TTL_SECONDS = 30;

/** One resolution's answer, as a DnsSource gives it. */
export interface DnsAnswer {
  /** Every address of the name, IPv4 first. Never empty. */
  readonly addresses: readonly string[];
  /** The smallest TTL among the records. */
  readonly ttlSeconds: number;
}

/** Where answers come from: the system by default, a fake in tests. Rejects when the name has no address. */
export interface DnsSource {
  resolve(hostname: string): Promise<DnsAnswer>;
}

/** The addresses to use for a name, or why there are none. Exactly one of the two is set. */
export interface DnsResult {
  readonly addresses: readonly string[];
  readonly error: Error | undefined;
}

/**
 * What the Connector asks for a name's addresses. A cached answer comes back synchronously, even a
 * stale one (a refresh starts behind it); only a name with nothing cached makes the caller wait.
 */
export interface HostResolver {
  lookup(hostname: string, bounds: TtlBounds): DnsResult | Promise<DnsResult>;
}

export interface SystemDnsSourceOptions {
  /** Per query sent to a DNS server. */
  readonly queryTimeoutMs?: number;
  readonly tries?: number;
  readonly lookupTtlSeconds?: number;
}

/**
 * Asks the DNS servers for A and AAAA records with their TTLs. When they have nothing (a name only in
 * /etc/hosts, such as `localhost`, or no DNS server at all), falls back to the system's lookup.
 */
export class SystemDnsSource implements DnsSource {
  readonly #resolver: dns.Resolver;
  readonly #lookupTtlSeconds: number;

  constructor(options: SystemDnsSourceOptions = {}) {
    this.#resolver = new dns.Resolver({
      timeout: options.queryTimeoutMs ?? 2_000,
      tries: options.tries ?? 2,
    });
    this.#lookupTtlSeconds = options.lookupTtlSeconds ?? DEFAULT_LOOKUP_TTL_SECONDS;
  }

  async resolve(hostname: string): Promise<DnsAnswer> {
    const [v4, v6] = await Promise.allSettled([
      this.#resolver.resolve4(hostname, { ttl: true }),
      this.#resolver.resolve6(hostname, { ttl: true }),
    ]);
    const records = [
      ...(v4.status === 'fulfilled' ? v4.value : []),
      ...(v6.status === 'fulfilled' ? v6.value : []),
    ];
    if (records.length > 0) {
      return {
        addresses: unique(records.map((r) => r.address)),
        ttlSeconds: Math.min(...records.map((r) => r.ttl)),
      };
    }
    const found = await dns.lookup(hostname, { all: true });
    if (found.length === 0) throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENODATA' });
    return { addresses: unique(found.map((a) => a.address)), ttlSeconds: this.#lookupTtlSeconds };
  }
}

function unique(addresses: readonly string[]): readonly string[] {
  return [...new Set(addresses)];
}

export interface DnsCacheOptions {
  readonly source?: DnsSource;
  readonly clock?: Clock;
  /** How long a failed resolution is remembered, and how long after a failed refresh the next one starts. */
  readonly negativeTtlMs?: number;
}

/** One name's cache entry. `result` is undefined until the first resolution ends. */
class DnsEntry {
  result: DnsResult | undefined = undefined;
  /** When `result` arrived, on the cache's clock. */
  resolvedAt = 0;
  /** The answer's TTL as received, unclamped; each caller applies its own bounds. */
  ttlMs = 0;
  /** No refresh starts before this: a refresh failed and the stale answer is kept meanwhile. */
  retryAt = 0;
  inFlight: Promise<DnsResult> | undefined = undefined;
}

/**
 * Remembers each name's addresses for their TTL. After it, the stale answer keeps being served
 * while one refresh runs, so no connect waits on DNS except a name's very first one. A failed
 * resolution is remembered briefly; a failed refresh keeps the last good answer.
 */
export class DnsCache implements HostResolver {
  readonly #source: DnsSource;
  readonly #clock: Clock;
  readonly #negativeTtlMs: number;
  readonly #entries = new Map<string, DnsEntry>();

  constructor(options: DnsCacheOptions = {}) {
    this.#source = options.source ?? new SystemDnsSource();
    this.#clock = options.clock ?? systemClock;
    this.#negativeTtlMs = options.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS;
  }

  lookup(hostname: string, bounds: TtlBounds): DnsResult | Promise<DnsResult> {
    let entry = this.#entries.get(hostname);
    if (entry === undefined) {
      entry = new DnsEntry();
      this.#entries.set(hostname, entry);
    }
    const result = entry.result;
    if (result === undefined) return entry.inFlight ?? this.#resolve(hostname, entry);
    const now = this.#clock.now();
    if (result.error !== undefined) {
      if (now - entry.resolvedAt < this.#negativeTtlMs) return result;
      // A failure has no stale answer to serve: this ask waits for the new resolution.
      return entry.inFlight ?? this.#resolve(hostname, entry);
    }
    const ttlMs = Math.min(Math.max(entry.ttlMs, bounds.minTtlMs), bounds.maxTtlMs);
    if (now - entry.resolvedAt >= ttlMs && entry.inFlight === undefined && now >= entry.retryAt) {
      void this.#resolve(hostname, entry);
    }
    return result;
  }

  #resolve(hostname: string, entry: DnsEntry): Promise<DnsResult> {
    const inFlight = this.#source.resolve(hostname).then(
      (answer) =>
        answer.addresses.length > 0
          ? this.#settle(entry, { addresses: answer.addresses, error: undefined }, answer.ttlSeconds * 1000)
          : this.#fail(entry, new Error(`${hostname} resolved to no address`)),
      (error: unknown) => this.#fail(entry, asError(hostname, error)),
    );
    entry.inFlight = inFlight;
    return inFlight;
  }

  #settle(entry: DnsEntry, result: DnsResult, ttlMs: number): DnsResult {
    entry.inFlight = undefined;
    entry.result = result;
    entry.resolvedAt = this.#clock.now();
    entry.ttlMs = ttlMs;
    entry.retryAt = 0;
    return result;
  }

  #fail(entry: DnsEntry, error: Error): DnsResult {
    const previous = entry.result;
    if (previous === undefined || previous.error !== undefined) {
      return this.#settle(entry, { addresses: [], error }, 0);
    }
    // A refresh failed: keep serving the last good answer, and try again after the negative TTL.
    entry.inFlight = undefined;
    entry.retryAt = this.#clock.now() + this.#negativeTtlMs;
    return previous;
  }
}

function asError(hostname: string, error: unknown): Error {
  return error instanceof Error ? error : new Error(`resolving ${hostname} failed: ${String(error)}`);
}
