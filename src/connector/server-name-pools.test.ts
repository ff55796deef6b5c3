import { afterEach, describe, expect, test } from 'vitest';
import { Connector } from './connector.ts';
import { UpstreamPool, type PoolOptions } from './upstream-pool.ts';

const TLS_POOL: PoolOptions = { maxIdle: 8, idleTimeoutMs: 60_000, tls: { servername: 'origin.test' } };

let connector: Connector | undefined;
afterEach(() => {
  connector?.close();
  connector = undefined;
});

describe('a transaction’s own server name and connection limit', () => {
  test('another server name is another pool, transient, the same one on the next ask', () => {
    connector = new Connector();
    const base = connector.pool('127.0.0.1', 8443, TLS_POOL);
    expect(connector.poolForServerName(base, 'origin.test')).toBe(base);
    const other = connector.poolForServerName(base, 'video.test');
    expect(other).not.toBe(base);
    expect(other.tls?.servername).toBe('video.test');
    expect(other.transient).toBe(true);
    expect(base.transient).toBe(false);
    expect(connector.poolForServerName(base, 'video.test')).toBe(other);
  });

  test('towards a plain-HTTP backend there is no name to send: the pool itself', () => {
    connector = new Connector();
    const plain = connector.pool('127.0.0.1', 8080, { maxIdle: 8, idleTimeoutMs: 60_000 });
    expect(connector.poolForServerName(plain, 'video.test')).toBe(plain);
  });

  test('a limit given to reserveConnect counts against the pool’s open and opening connections', () => {
    const pool = new UpstreamPool('127.0.0.1', 8080, { maxIdle: 8, idleTimeoutMs: 60_000, maxTotal: 10 });
    expect(pool.reserveConnect(1)).toBe(true);
    expect(pool.reserveConnect(1)).toBe(false);
    expect(pool.exhausted).toBe(1);
    expect(pool.reserveConnect()).toBe(true); // the pool's own limit (10) still has room
    expect(pool.reserveConnect(0)).toBe(true); // 0: no limit
  });
});
