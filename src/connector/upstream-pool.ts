import { isIP } from 'node:net';
import { invariant } from '../util/invariant.ts';
import { AddressRotation } from './address-rotation.ts';
import { DEFAULT_TTL_BOUNDS, type TtlBounds } from './dns-cache.ts';
import type { UpstreamConnection } from './upstream-connection.ts';
import { UpstreamTls, type UpstreamTlsOptions } from './upstream-tls.ts';

/**
 * How one upstream's connections are kept. `maxIdle` and `idleTimeoutMs` are required; every other
 * field is optional and defaults as documented (the defaults are the behaviour before they existed).
 */
export interface PoolOptions {
  /** Idle connections kept per upstream. */
  readonly maxIdle: number;
  /** An idle connection older than this is closed. */
  readonly idleTimeoutMs: number;
  /** Open plus connecting connections, idle ones included; 0 (the default) means unlimited. */
  readonly maxTotal?: number | undefined;
  /** Requests one connection carries before it is closed on release; 0 (the default) means unlimited. */
  readonly maxRequestsPerConnection?: number | undefined;
  /** How long a resolved answer for the backend's name is used: its TTL, clamped. Default 1 s to 300 s. */
  readonly dns?: TtlBounds | undefined;
  /** Speak TLS to the upstream. Undefined (the default) means plain TCP. */
  readonly tls?: UpstreamTlsOptions | undefined;
  /**
   * HTTP/1.1 (the default), or HTTP/2 (`h2` over TLS, `h2c` in clear): an HTTP/2 pool's connections
   * are handed to multiplexed sessions (upstream-h2/) instead of being lent whole.
   */
  readonly protocol?: 'http/1.1' | 'h2' | 'h2c' | undefined;
}

/**
 * A connect attempt under way whose asker takes any connection of the pool: a connection released
 * before the attempt completes is handed to it instead, and the attempt's own connection, when it
 * comes, is pooled (hyper's and undici's pool do the same). Without this, a burst of asks opens one
 * connection each although connections come free while they connect.
 */
export interface PoolWaiter {
  /** Gives the asker `conn` now; false if the attempt already settled (its asker has an answer). */
  takeOver(conn: UpstreamConnection): boolean;
}

/**
 * The connections of one upstream. Idle connections are reused last-in first-out, so the warmest
 * socket serves next and the coldest ones age out.
 */
export class UpstreamPool {
  readonly upstreamId: string;
  readonly host: string;
  readonly port: number;
  /** The host is an IP address: connect to it directly, with no DNS at all. */
  readonly isIpLiteral: boolean;
  /**
   * Made for one transaction's TLS server name (Connector.poolForServerName): dropped once it has no
   * connection, so names taken from requests do not pile up pools.
   */
  transient = false;
  /** For a pool made with another server name: the options of the pool it was made from. */
  derivedFrom: PoolOptions | undefined = undefined;
  readonly #idle: UpstreamConnection[] = [];
  /** Attempts that take a released connection, oldest first; settled ones are dropped as they are met. */
  readonly #waiting: PoolWaiter[] = [];
  /** Every open connection, idle or leased. */
  #open = 0;
  /** Connect attempts under way (resolving, connecting, or in a TLS handshake). */
  #connecting = 0;
  #options!: PoolOptions;
  /** Derived from the options when they are set, so connects and releases read plain fields. */
  #maxTotal = 0;
  #maxRequests = 0;
  #ttlBounds: TtlBounds = DEFAULT_TTL_BOUNDS;
  #tls: UpstreamTls | undefined = undefined;
  readonly #rotation = new AddressRotation();

  /** Counters, readable by health and admin code. */
  connectsOpened = 0;
  reuses = 0;
  /** Connect attempts that failed (a full pool is counted in `exhausted` instead). */
  connectFailures = 0;
  /** Asks refused at once because open plus connecting connections were at `maxTotal`. */
  exhausted = 0;

  constructor(host: string, port: number, options: PoolOptions) {
    this.upstreamId = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.host = host;
    this.port = port;
    this.isIpLiteral = isIP(host) !== 0;
    this.options = options;
  }

  get options(): PoolOptions {
    return this.#options;
  }

  /** New settings (a config reload). Idle connections made under other TLS settings are closed. */
  set options(options: PoolOptions) {
    this.#options = options;
    this.#maxTotal = options.maxTotal ?? 0;
    this.#maxRequests = options.maxRequestsPerConnection ?? 0;
    this.#ttlBounds = options.dns ?? DEFAULT_TTL_BOUNDS;
    const tls = this.#tls;
    if (tls === undefined ? options.tls === undefined : tls.hasOptions(options.tls)) return;
    this.#tls =
      options.tls === undefined ? undefined : new UpstreamTls(this.host, this.isIpLiteral, options.tls);
    this.closeIdle();
  }

  get tls(): UpstreamTls | undefined {
    return this.#tls;
  }

  get ttlBounds(): TtlBounds {
    return this.#ttlBounds;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  get openCount(): number {
    return this.#open;
  }

  get connectingCount(): number {
    return this.#connecting;
  }

  /** A live idle connection, or undefined. Dead ones found on the way are dropped. */
  takeIdle(): UpstreamConnection | undefined {
    const idle = this.#idle;
    while (idle.length > 0) {
      const conn = idle.pop()!;
      if (conn.isReusable) {
        conn.reuseCount++;
        this.reuses++;
        return conn;
      }
      conn.destroy();
    }
    return undefined;
  }

  /**
   * Claims room for one connect attempt (under `maxTotal` when given, else the pool's own). At the limit, the oldest idle connection is closed to make
   * room (whoever asks wants a fresh one); with none idle the ask is refused and counted as exhausted.
   */
  reserveConnect(maxTotal?: number): boolean {
    // A transaction may set its own limit (TxnBox's per_server.connection.max), counted against the same total.
    const max = maxTotal ?? this.#maxTotal;
    if (max !== 0 && this.#open + this.#connecting >= max) {
      const oldest = this.#idle.shift();
      if (oldest === undefined) {
        this.exhausted++;
        return false;
      }
      oldest.destroy();
    }
    this.#connecting++;
    return true;
  }

  /** A connect attempt under way takes the next connection released before it completes. */
  addWaiter(waiter: PoolWaiter): void {
    this.#waiting.push(waiter);
  }

  /** Connect attempts under way that take the next released connection. */
  get waitingCount(): number {
    return this.#waiting.length;
  }

  /** A settled attempt leaves the queue at once: a stale entry would hold its asker (and its transaction). */
  removeWaiter(waiter: PoolWaiter): void {
    const i = this.#waiting.indexOf(waiter);
    if (i !== -1) this.#waiting.splice(i, 1);
  }

  /** A reserved connect attempt ended; `opened` when it produced a connection. */
  connectSettled(opened: boolean): void {
    this.#connecting--;
    if (opened) {
      this.#open++;
      this.connectsOpened++;
    } else {
      this.connectFailures++;
    }
    invariant(this.#connecting >= 0, `UpstreamPool ${this.upstreamId}: connecting count below zero`);
  }

  /** The address the next connect dials, rotating through all of a name's addresses. */
  nextAddress(addresses: readonly string[], now: number): string {
    return this.#rotation.next(addresses, now);
  }

  /** A connect to this address failed: rotation passes over it for a while if others remain. */
  addressFailed(address: string, now: number): void {
    this.#rotation.failed(address, now);
  }

  addressSucceeded(address: string): void {
    this.#rotation.succeeded(address);
  }

  /**
   * Takes a connection back after a complete, reusable exchange. Closes it instead if the pool is
   * full or the connection has carried `maxRequestsPerConnection` requests.
   */
  putIdle(conn: UpstreamConnection, now: number): void {
    conn.detach();
    const maxRequests = this.#maxRequests;
    if (!conn.isReusable || (maxRequests !== 0 && conn.requests >= maxRequests)) {
      conn.destroy();
      return;
    }
    if (this.#waiting.length > 0) {
      // In a microtask, not in the releasing transaction's stack; the connection is in no list
      // meanwhile, so nothing else can take or evict it.
      queueMicrotask(() => {
        this.#handOver(conn, now);
      });
      return;
    }
    this.#keepIdle(conn, now);
  }

  #keepIdle(conn: UpstreamConnection, now: number): void {
    if (this.#idle.length >= this.#options.maxIdle) {
      conn.destroy();
      return;
    }
    conn.idleSince = now;
    this.#idle.push(conn);
  }

  /** A released connection goes to the oldest attempt still under way, else to the idle list. */
  #handOver(conn: UpstreamConnection, now: number): void {
    if (!conn.isReusable) {
      conn.destroy();
      return;
    }
    const waiting = this.#waiting;
    conn.reuseCount++;
    this.reuses++;
    while (waiting.length > 0) {
      if (waiting.shift()!.takeOver(conn)) return;
    }
    conn.reuseCount--;
    this.reuses--;
    this.#keepIdle(conn, now);
  }

  /** Called once per connection, when it is destroyed or its socket closes, whichever comes first. */
  onConnectionClosed(conn: UpstreamConnection): void {
    this.#open--;
    const i = this.#idle.indexOf(conn);
    if (i !== -1) this.#idle.splice(i, 1);
    invariant(this.#open >= 0, `UpstreamPool ${this.upstreamId}: open count below zero`);
  }

  /** Closes idle connections older than the idle timeout. The oldest sit at the front. */
  evictExpired(now: number): void {
    const idle = this.#idle;
    const limit = now - this.#options.idleTimeoutMs;
    while (idle.length > 0 && idle[0]!.idleSince <= limit) idle.shift()!.destroy();
  }

  /** Closes every idle connection (shutdown, or the upstream left the config). */
  closeIdle(): void {
    for (const conn of this.#idle.splice(0)) conn.destroy();
  }

  checkInvariants(): void {
    if (this.#idle.length > this.#open) {
      throw new Error(`UpstreamPool ${this.upstreamId}: ${this.#idle.length} idle > ${this.#open} open`);
    }
    if (this.#open < 0 || this.#connecting < 0) {
      throw new Error(`UpstreamPool ${this.upstreamId}: ${this.#open} open, ${this.#connecting} connecting`);
    }
  }
}
