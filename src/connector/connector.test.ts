import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { describe, expect, onTestFinished, test } from 'vitest';
import { waitFor } from '../../test/support/wait-for.ts';
import { Connector } from './connector.ts';
import type { PoolOptions } from './upstream-pool.ts';
import { attemptOn, FakeClock, freePort, tcpServer, useConnector } from './sockets.test-suite.ts';

const POOL: PoolOptions = { maxIdle: 8, idleTimeoutMs: 60_000 };

function attempt(connector: Connector, host: string, port: number, timeoutMs = 2000) {
  return attemptOn(connector, connector.pool(host, port, POOL), timeoutMs);
}

/** A listening socket that never accepts, its backlog filled, so further connects time out (SYNs dropped). */
async function saturatedListener(): Promise<{ port: number; stop(): void }> {
  const child: ChildProcess = spawn('python3', [
    '-c',
    'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)',
  ]);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => {
      resolve(Number(d.toString().trim()));
    });
    child.once('error', reject);
  });
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => undefined));
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    port,
    stop() {
      for (const s of fillers) s.destroy();
      child.kill();
    },
  };
}

describe('Connector: one attempt, typed errors', () => {
  test('a closed port is JCT_ERR_CONNECT_REFUSED, counted as a connect failure', async () => {
    const connector = useConnector(new Connector());
    const port = await freePort();
    const { error } = await attempt(connector, '127.0.0.1', port);
    expect(error?.code).toBe('JCT_ERR_CONNECT_REFUSED');
    expect(error?.retryable).toBe(true);
    const pool = connector.pool('127.0.0.1', port, POOL);
    expect([pool.connectFailures, pool.connectsOpened, pool.connectingCount]).toEqual([1, 0, 0]);
  });

  test('a name under .invalid is JCT_ERR_CONNECT_UNRESOLVABLE', async () => {
    const connector = useConnector(new Connector());
    const { error } = await attempt(connector, 'no-such-backend.invalid', 80);
    expect(error?.code).toBe('JCT_ERR_CONNECT_UNRESOLVABLE');
  });

  test('a listener whose accept backlog is full makes JCT_ERR_CONNECT_TIMEOUT', async () => {
    const listener = await saturatedListener();
    onTestFinished(() => {
      listener.stop();
    });
    const connector = useConnector(new Connector());
    const started = performance.now();
    const { error } = await attempt(connector, '127.0.0.1', listener.port, 300);
    expect(error?.code).toBe('JCT_ERR_CONNECT_TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  test('a connection goes back to the pool and is reused, LIFO, until it closes', async () => {
    const { port } = await tcpServer();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, POOL);
    const { conn } = await attempt(connector, '127.0.0.1', port);
    expect(conn).toBeDefined();
    connector.release(conn!, true);
    expect(pool.idleCount).toBe(1);
    const again = connector.reuse(pool);
    expect(again).toBe(conn);
    expect(again?.reuseCount).toBe(1);
    again!.destroy();
    expect(pool.openCount).toBe(0);
    expect(connector.reuse(pool)).toBeUndefined();
    pool.checkInvariants();
  });

  test('a connector that was closed refuses further attempts, asynchronously', async () => {
    const { port } = await tcpServer();
    const connector = new Connector();
    connector.close();
    const { error } = await attempt(connector, '127.0.0.1', port);
    expect(error?.code).toBe('JCT_ERR_CONNECT_FAILED');
  });
});

describe('Connector: a burst of asks opens no more connections than it needs', () => {
  test('a connection released while an attempt is under way goes to that attempt; its own is pooled', async () => {
    const { port } = await tcpServer();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, POOL);
    const { conn: first } = await attempt(connector, '127.0.0.1', port);
    // The second attempt's TCP connect needs a turn of the event loop; the release comes before it.
    const second = attemptOn(connector, pool, 2000, true);
    connector.release(first!, true);
    const { conn } = await second;
    expect(conn).toBe(first);
    expect(conn!.reuseCount).toBe(1);
    await waitFor(() => pool.idleCount === 1, { what: "the attempt's own connection pooled" });
    expect([pool.openCount, pool.connectsOpened, pool.reuses]).toEqual([2, 2, 1]);
    expect(connector.reuse(pool)).not.toBe(first);
  });

  test('an attempt that settles on its own leaves the waiting queue (nothing holds its asker)', async () => {
    const { port } = await tcpServer();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, POOL);
    const waiting = [attemptOn(connector, pool, 2000, true), attemptOn(connector, pool, 2000, true)];
    expect(pool.waitingCount).toBe(2);
    await Promise.all(waiting);
    expect(pool.waitingCount).toBe(0);
    // A failed attempt leaves it too.
    const refusedPool = connector.pool('127.0.0.1', await freePort(), POOL);
    const refused = attemptOn(connector, refusedPool, 2000, true);
    expect(refusedPool.waitingCount).toBe(1);
    expect((await refused).error?.code).toBe('JCT_ERR_CONNECT_REFUSED');
    expect(refusedPool.waitingCount).toBe(0);
  });

  test('one released connection serves the oldest waiting attempt only; the others get their own', async () => {
    const { port } = await tcpServer();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, POOL);
    const { conn: first } = await attempt(connector, '127.0.0.1', port);
    const second = attemptOn(connector, pool, 2000, true);
    const third = attemptOn(connector, pool, 2000, true);
    connector.release(first!, true);
    const [a, b] = await Promise.all([second, third]);
    expect(a.conn).toBe(first);
    expect(b.conn).toBeDefined();
    expect(b.conn).not.toBe(first);
    await waitFor(() => pool.idleCount === 1, { what: "the second attempt's own connection pooled" });
    expect(pool.openCount).toBe(3);
  });

  test('an attempt that asked for a connection of its own is never handed a released one', async () => {
    const { port } = await tcpServer();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, POOL);
    const { conn: first } = await attempt(connector, '127.0.0.1', port);
    const second = attemptOn(connector, pool, 2000, false);
    connector.release(first!, true);
    const { conn } = await second;
    expect(conn).toBeDefined();
    expect(conn).not.toBe(first);
    expect(pool.idleCount).toBe(1);
    expect(connector.reuse(pool)).toBe(first);
  });

  test('after the connector closes, the connection of an attempt that was handed another is closed, not pooled', async () => {
    const { port } = await tcpServer();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, POOL);
    const { conn: first } = await attempt(connector, '127.0.0.1', port);
    const second = attemptOn(connector, pool, 2000, true);
    connector.release(first!, true);
    expect((await second).conn).toBe(first);
    connector.close();
    await waitFor(() => pool.connectsOpened === 2 && pool.openCount === 1, {
      what: "the second attempt's connection closed",
    });
    expect(pool.idleCount).toBe(0);
  });
});

describe('Connector: pool limits', () => {
  test('max total counts connecting attempts: past it an ask fails with JCT_ERR_POOL_EXHAUSTED, never synchronously', async () => {
    const { port } = await tcpServer();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, { ...POOL, maxTotal: 2 });
    const first = attemptOn(connector, pool);
    const second = attemptOn(connector, pool);
    expect(pool.connectingCount).toBe(2);
    let connectReturned = false;
    let answeredDuringConnect = false;
    const third = new Promise<string>((resolve) => {
      const answer = (outcome: string) => {
        answeredDuringConnect = !connectReturned;
        resolve(outcome);
      };
      connector.connect(pool, 2000, {
        onConnected: () => {
          answer('connected');
        },
        onConnectFailed: (error) => {
          answer(error.code);
        },
      });
      connectReturned = true;
    });
    expect(await third).toBe('JCT_ERR_POOL_EXHAUSTED');
    expect(answeredDuringConnect).toBe(false);
    expect((await first).conn).toBeDefined();
    expect((await second).conn).toBeDefined();
    expect([pool.openCount, pool.connectingCount, pool.exhausted, pool.connectFailures]).toEqual([
      2, 0, 1, 0,
    ]);
    const { error } = await attemptOn(connector, pool);
    expect(error?.code).toBe('JCT_ERR_POOL_EXHAUSTED');
    expect(error?.retryable).toBe(true);
    expect(error?.status).toBe(503);
    expect(pool.exhausted).toBe(2);
  });

  test('closing a connection frees its place under max total at once', async () => {
    const { port } = await tcpServer();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, { ...POOL, maxTotal: 1 });
    const { conn } = await attemptOn(connector, pool);
    expect((await attemptOn(connector, pool)).error?.code).toBe('JCT_ERR_POOL_EXHAUSTED');
    conn!.destroy();
    const { conn: next, error } = await attemptOn(connector, pool);
    expect(error).toBeUndefined();
    expect(next).toBeDefined();
    expect(pool.openCount).toBe(1);
  });

  test('a failed attempt frees its place under max total', async () => {
    const port = await freePort();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, { ...POOL, maxTotal: 1 });
    expect((await attemptOn(connector, pool)).error?.code).toBe('JCT_ERR_CONNECT_REFUSED');
    expect((await attemptOn(connector, pool)).error?.code).toBe('JCT_ERR_CONNECT_REFUSED');
    expect([pool.connectingCount, pool.exhausted, pool.connectFailures]).toEqual([0, 0, 2]);
  });

  test('at max total, a fresh ask closes the oldest idle connection to make room', async () => {
    const { port, sockets } = await tcpServer();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, { ...POOL, maxTotal: 1 });
    const { conn } = await attemptOn(connector, pool);
    connector.release(conn!, true);
    expect(pool.idleCount).toBe(1);
    const { conn: fresh, error } = await attemptOn(connector, pool);
    expect(error).toBeUndefined();
    expect(fresh).not.toBe(conn);
    expect([pool.openCount, pool.idleCount, pool.exhausted]).toEqual([1, 0, 0]);
    await waitFor(() => sockets[0]!.destroyed || sockets[0]!.readableEnded, {
      what: 'the old socket closed',
    });
  });

  test('a connection that carried max requests per connection is closed on release, not pooled', async () => {
    const { port, sockets } = await tcpServer();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, { ...POOL, maxRequestsPerConnection: 3 });
    const { conn } = await attemptOn(connector, pool);
    expect(conn!.requests).toBe(1);
    connector.release(conn!, true);
    expect(connector.reuse(pool)).toBe(conn);
    connector.release(conn!, true);
    expect(connector.reuse(pool)).toBe(conn);
    expect(conn!.requests).toBe(3);
    connector.release(conn!, true);
    expect([pool.idleCount, pool.openCount]).toEqual([0, 0]);
    expect(conn!.isClosed).toBe(true);
    await waitFor(() => sockets[0]!.readableEnded || sockets[0]!.destroyed, {
      what: 'the upstream saw it close',
    });
  });

  test('max idle: a release beyond it closes the connection', async () => {
    const { port } = await tcpServer();
    const connector = useConnector(new Connector());
    const pool = connector.pool('127.0.0.1', port, { ...POOL, maxIdle: 1 });
    const a = await attemptOn(connector, pool);
    const b = await attemptOn(connector, pool);
    connector.release(a.conn!, true);
    connector.release(b.conn!, true);
    expect([pool.idleCount, pool.openCount]).toEqual([1, 1]);
    expect(b.conn!.isClosed).toBe(true);
  });

  test('idle connections past the idle timeout are evicted, by the sweep too, and not before', async () => {
    const { port, sockets } = await tcpServer();
    const clock = new FakeClock();
    const connector = useConnector(new Connector(clock));
    const pool = connector.pool('127.0.0.1', port, { ...POOL, idleTimeoutMs: 5_000 });
    const a = await attemptOn(connector, pool);
    const b = await attemptOn(connector, pool);
    connector.release(a.conn!, true);
    clock.advance(2_000);
    connector.release(b.conn!, true);
    clock.advance(2_999);
    pool.evictExpired(clock.now());
    expect(pool.idleCount).toBe(2);
    clock.advance(1);
    pool.evictExpired(clock.now());
    expect(pool.idleCount).toBe(1);
    expect(a.conn!.isClosed).toBe(true);
    expect(connector.reuse(pool)).toBe(b.conn);
    connector.release(b.conn!, true);
    // The Connector's own sweep (every second, on its clock) does the same without being asked.
    clock.advance(5_000);
    await waitFor(() => pool.idleCount === 0, { what: 'the sweep evicted it', timeoutMs: 3_000 });
    expect(pool.openCount).toBe(0);
    await waitFor(() => sockets.every((s) => s.readableEnded || s.destroyed), {
      what: 'upstream saw closes',
    });
  });
});
