import { connect as netConnect } from 'node:net';
import type { ConnectError } from '../errors/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { connectTimeoutError, toConnectError } from './connect-error.ts';
import { UpstreamConnection } from './upstream-connection.ts';
import { UpstreamPool, type PoolOptions } from './upstream-pool.ts';

/** Receives the result of one connect attempt. */
export interface ConnectHandler {
  onConnected(conn: UpstreamConnection): void;
  onConnectFailed(error: ConnectError): void;
}

const EVICT_INTERVAL_MS = 1000;

/**
 * Owns outbound connections: one pool per upstream, and exactly one connect attempt per ask.
 * It never chooses upstreams or retries; that is the Router's job.
 */
export class Connector {
  readonly #pools = new Map<string, UpstreamPool>();
  readonly #clock: Clock;
  readonly #evictTimer: NodeJS.Timeout;
  #closed = false;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
    this.#evictTimer = setInterval(() => {
      const now = this.#clock.now();
      for (const pool of this.#pools.values()) pool.evictExpired(now);
    }, EVICT_INTERVAL_MS);
    this.#evictTimer.unref();
  }

  /** The pool for an upstream address, created on first use and shared by every cluster naming it. */
  pool(host: string, port: number, options: PoolOptions): UpstreamPool {
    const key = `${host}|${port}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = new UpstreamPool(host, port, options);
      this.#pools.set(key, pool);
    } else {
      pool.options = options;
    }
    return pool;
  }

  /** An idle pooled connection, if one is alive. Synchronous: the keep-alive fast path. */
  reuse(pool: UpstreamPool): UpstreamConnection | undefined {
    return pool.takeIdle();
  }

  /** Makes exactly one connect attempt; the handler hears back exactly once. */
  connect(pool: UpstreamPool, timeoutMs: number, handler: ConnectHandler): void {
    new ConnectAttempt(pool, timeoutMs, handler, this.#closed);
  }

  release(conn: UpstreamConnection, reusable: boolean): void {
    if (reusable && !this.#closed) conn.pool.putIdle(conn, this.#clock.now());
    else conn.destroy();
  }

  get pools(): Iterable<UpstreamPool> {
    return this.#pools.values();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#evictTimer);
    for (const pool of this.#pools.values()) pool.closeIdle();
  }
}

class ConnectAttempt {
  readonly #pool: UpstreamPool;
  readonly #handler: ConnectHandler;
  readonly #timeoutMs: number;
  readonly #timer: NodeJS.Timeout;
  readonly #socket;
  #settled = false;

  constructor(pool: UpstreamPool, timeoutMs: number, handler: ConnectHandler, refused: boolean) {
    this.#pool = pool;
    this.#handler = handler;
    this.#timeoutMs = timeoutMs;
    // One attempt means one address: happy eyeballs would try several behind our back.
    this.#socket = netConnect({ host: pool.host, port: pool.port, noDelay: true, autoSelectFamily: false });
    this.#socket.once('connect', this.#onConnect);
    this.#socket.once('error', this.#onError);
    this.#timer = setTimeout(this.#onTimeout, timeoutMs);
    if (refused) this.#socket.destroy(new Error('connector closed'));
  }

  readonly #onConnect = (): void => {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#socket.removeListener('error', this.#onError);
    this.#pool.opened();
    this.#handler.onConnected(new UpstreamConnection(this.#socket, this.#pool));
  };

  readonly #onError = (error: Error): void => {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#socket.destroy();
    this.#handler.onConnectFailed(toConnectError(this.#pool.upstreamId, error));
  };

  readonly #onTimeout = (): void => {
    if (this.#settled) return;
    this.#settled = true;
    this.#socket.removeListener('error', this.#onError);
    this.#socket.on('error', () => undefined);
    this.#socket.destroy();
    this.#handler.onConnectFailed(connectTimeoutError(this.#pool.upstreamId, this.#timeoutMs));
  };
}
