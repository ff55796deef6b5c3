import { invariant } from '../util/invariant.ts';
import type { UpstreamConnection } from './upstream-connection.ts';

export interface PoolOptions {
  /** Idle connections kept per upstream. */
  readonly maxIdle: number;
  /** An idle connection older than this is closed. */
  readonly idleTimeoutMs: number;
}

/**
 * The keep-alive connections of one upstream. Idle connections are reused last-in first-out, so the
 * warmest socket serves next and the coldest ones age out.
 */
export class UpstreamPool {
  readonly upstreamId: string;
  readonly host: string;
  readonly port: number;
  options: PoolOptions;
  readonly #idle: UpstreamConnection[] = [];
  /** Every open connection, idle or leased. */
  #open = 0;
  /** Counters, readable by health and admin code. */
  connectsOpened = 0;
  reuses = 0;

  constructor(host: string, port: number, options: PoolOptions) {
    this.upstreamId = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.host = host;
    this.port = port;
    this.options = options;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  get openCount(): number {
    return this.#open;
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

  opened(): void {
    this.#open++;
    this.connectsOpened++;
  }

  /** Takes a connection back after a complete, reusable exchange; closes it if the pool is full. */
  putIdle(conn: UpstreamConnection, now: number): void {
    conn.detach();
    if (!conn.isReusable || this.#idle.length >= this.options.maxIdle) {
      conn.destroy();
      return;
    }
    conn.idleSince = now;
    this.#idle.push(conn);
  }

  onConnectionClosed(conn: UpstreamConnection): void {
    this.#open--;
    const i = this.#idle.indexOf(conn);
    if (i !== -1) this.#idle.splice(i, 1);
    invariant(this.#open >= 0, `UpstreamPool ${this.upstreamId}: open count below zero`);
  }

  /** Closes idle connections older than the idle timeout. The oldest sit at the front. */
  evictExpired(now: number): void {
    const idle = this.#idle;
    const limit = now - this.options.idleTimeoutMs;
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
  }
}
