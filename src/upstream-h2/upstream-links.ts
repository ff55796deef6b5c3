/**
 * The Router's and the health checker's way to upstreams: the Connector for HTTP/1.1 pools, and for
 * HTTP/2 pools (protocol h2 or h2c) one H2Pool each, lending streams of shared sessions. The Router
 * sees one kind of channel either way, so strategies, retries, health and limits apply unchanged.
 */
import {
  UpstreamConnection,
  type ConnectHandler,
  type Connector,
  type PoolOptions,
  type UpstreamPool,
} from '../connector/index.ts';
import type { UpstreamChannel } from '../router/types.ts';
import { H2Pool } from './h2-pool.ts';
import { H2StreamChannel } from './h2-stream-channel.ts';

export class UpstreamLinks {
  readonly connector: Connector;
  readonly #h2 = new Map<UpstreamPool, H2Pool>();

  constructor(connector: Connector) {
    this.connector = connector;
  }

  pool(host: string, port: number, options: PoolOptions): UpstreamPool {
    const pool = this.connector.pool(host, port, options);
    this.#h2.get(pool)?.reconfigured();
    return pool;
  }

  reuse(pool: UpstreamPool): UpstreamChannel | undefined {
    const h2 = this.#h2For(pool);
    return h2 === undefined ? this.connector.reuse(pool) : h2.take();
  }

  connect(
    pool: UpstreamPool,
    timeoutMs: number,
    handler: ConnectHandler,
    preamble?: Buffer,
    takesReleased?: boolean,
    maxTotal?: number,
  ): void {
    const h2 = this.#h2For(pool);
    // A PROXY header is refused with HTTP/2 by the config (it speaks for one client). A stream needs
    // no connection of its own, so an HTTP/2 pool has no use for takesReleased.
    if (h2 === undefined) this.connector.connect(pool, timeoutMs, handler, preamble, takesReleased, maxTotal);
    else h2.connect(timeoutMs, handler);
  }

  poolForServerName(base: UpstreamPool, serverName: string): UpstreamPool {
    return this.connector.poolForServerName(base, serverName);
  }

  poolWithoutClientCertificate(base: UpstreamPool): UpstreamPool {
    return this.connector.poolWithoutClientCertificate(base);
  }

  release(conn: UpstreamChannel, reusable: boolean): void {
    if (conn instanceof H2StreamChannel) conn.release();
    else if (conn instanceof UpstreamConnection) this.connector.release(conn, reusable);
  }

  /** HTTP/2 sessions open to `pool`'s upstream (status and tests). */
  h2Sessions(pool: UpstreamPool): number {
    return this.#h2.get(pool)?.sessionCount ?? 0;
  }

  /** Shutdown: HTTP/2 sessions close gracefully (streams in flight finish), then the Connector closes. */
  close(): void {
    for (const h2 of this.#h2.values()) h2.close();
    this.connector.close();
  }

  #h2For(pool: UpstreamPool): H2Pool | undefined {
    const protocol = pool.options.protocol;
    if (protocol === undefined || protocol === 'http/1.1') return undefined;
    let h2 = this.#h2.get(pool);
    if (h2 === undefined) {
      h2 = new H2Pool(pool, this.connector);
      this.#h2.set(pool, h2);
    }
    return h2;
  }
}
