import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createTestCa } from '../../test/support/certs.ts';
import { delay, waitFor } from '../../test/support/wait-for.ts';
import type { ConnectionEventName, ConnectorEvents, UpstreamConnectionInfo } from './connection-events.ts';
import { Connector } from './connector.ts';
import type { PoolOptions } from './upstream-pool.ts';
import { attemptOn, closeServer, freePort, tcpServer, useConnector } from './sockets.test-suite.ts';

const POOL: PoolOptions = { maxIdle: 8, idleTimeoutMs: 60_000 };

/** Events recorded in order, each with the info it carried. */
class EventLog implements ConnectorEvents {
  readonly entries: { event: ConnectionEventName | 'handler'; info?: UpstreamConnectionInfo }[] = [];
  onUpstreamOpen(info: UpstreamConnectionInfo): void {
    this.entries.push({ event: 'open', info });
  }
  onUpstreamClose(info: UpstreamConnectionInfo): void {
    this.entries.push({ event: 'close', info });
  }
  of(event: ConnectionEventName): UpstreamConnectionInfo[] {
    return this.entries.filter((e) => e.event === event).map((e) => e.info!);
  }
}

describe('Connector: outbound connection events', () => {
  test('open fires once per new connection, before the handler hears of it; reuse does not fire it', async () => {
    const { port, sockets } = await tcpServer();
    const log = new EventLog();
    const connector = useConnector(new Connector(undefined, { events: log }));
    const pool = connector.pool('127.0.0.1', port, POOL);
    const { conn } = await attemptOn(connector, pool);
    log.entries.push({ event: 'handler' });
    await waitFor(() => sockets.length === 1, { what: 'the backend accepted' });
    expect(log.entries.map((e) => e.event)).toEqual(['open', 'handler']);
    expect(log.of('open')[0]).toEqual({
      upstreamId: `127.0.0.1:${port}`,
      remoteAddress: '127.0.0.1',
      remotePort: port,
      localPort: sockets[0]!.remotePort,
      tls: false,
      requests: 0,
    });
    connector.release(conn!, true);
    expect(connector.reuse(pool)).toBe(conn);
    expect(log.of('open')).toHaveLength(1);
    expect(log.of('close')).toHaveLength(0);
  });

  test('close fires exactly once, with the requests carried, however the connection ends', async () => {
    const { port, sockets } = await tcpServer();
    const log = new EventLog();
    const connector = useConnector(new Connector(undefined, { events: log }));
    const pool = connector.pool('127.0.0.1', port, POOL);
    const a = (await attemptOn(connector, pool)).conn!;
    connector.release(a, true);
    connector.reuse(pool);
    // Destroyed by us, and then its socket closes too: still one event.
    a.destroy();
    const b = (await attemptOn(connector, pool)).conn!;
    connector.release(b, true);
    await waitFor(() => sockets.length === 2, { what: 'two accepts' });
    // Closed by the upstream while idle (a FIN).
    sockets[1]!.end();
    await waitFor(() => log.of('close').length === 2, { what: 'the second close' });
    // A window in which a duplicate close event must not arrive.
    await delay(50);
    const closes = log.of('close');
    expect(closes).toHaveLength(2);
    expect(closes[0]).toMatchObject({ localPort: a.localPort, requests: 2 });
    expect(closes[0]!.error).toBeUndefined();
    expect(closes[1]).toMatchObject({ localPort: b.localPort, requests: 1 });
    expect(pool.openCount).toBe(0);
  });

  test('a connection reset by the upstream reports the error it closed on', async () => {
    const { port, sockets } = await tcpServer();
    const log = new EventLog();
    const connector = useConnector(new Connector(undefined, { events: log }));
    const { conn } = await attemptOn(connector, connector.pool('127.0.0.1', port, POOL));
    conn!.attach({
      onUpstreamData: () => undefined,
      onUpstreamEnd: () => undefined,
      onUpstreamClose: () => undefined,
      onUpstreamDrain: () => undefined,
    });
    await waitFor(() => sockets.length === 1, { what: 'the backend accepted' });
    sockets[0]!.resetAndDestroy();
    await waitFor(() => log.of('close').length === 1, { what: 'the close event' });
    expect((log.of('close')[0]!.error as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNRESET');
  });

  test('a connection closed for max requests per connection reports how many it carried', async () => {
    const { port } = await tcpServer();
    const log = new EventLog();
    const connector = useConnector(new Connector(undefined, { events: log }));
    const pool = connector.pool('127.0.0.1', port, { ...POOL, maxRequestsPerConnection: 2 });
    const { conn } = await attemptOn(connector, pool);
    connector.release(conn!, true);
    connector.release(connector.reuse(pool)!, true);
    expect(log.of('close').map((i) => i.requests)).toEqual([2]);
  });

  test('a failed connect attempt fires neither event', async () => {
    const log = new EventLog();
    const connector = useConnector(new Connector(undefined, { events: log }));
    const { error } = await attemptOn(connector, connector.pool('127.0.0.1', await freePort(), POOL));
    expect(error?.code).toBe('JCT_ERR_CONNECT_REFUSED');
    expect(log.entries).toEqual([]);
  });

  test('TLS connections say so', async () => {
    const ca = createTestCa();
    onTestFinished(() => {
      ca.close();
    });
    const server = createTlsServer(ca.issue(['backend.test']), (s) => s.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => closeServer(server));
    const port = (server.address() as AddressInfo).port;
    const log = new EventLog();
    const connector = useConnector(new Connector(undefined, { events: log }));
    const { conn } = await attemptOn(
      connector,
      connector.pool('127.0.0.1', port, { ...POOL, tls: { ca: ca.cert } }),
    );
    conn!.destroy();
    expect(log.entries.map((e) => [e.event, e.info?.tls])).toEqual([
      ['open', true],
      ['close', true],
    ]);
  });

  test('listeners that throw break nothing, and onListenerError hears of it', async () => {
    const { port } = await tcpServer();
    const failures: [string, ConnectionEventName][] = [];
    const connector = useConnector(
      new Connector(undefined, {
        events: {
          onUpstreamOpen: () => {
            throw new Error('open listener failed');
          },
          onUpstreamClose: () => {
            throw new Error('close listener failed');
          },
          onListenerError: (error, event) => {
            failures.push([(error as Error).message, event]);
            throw new Error('and so did the error listener');
          },
        },
      }),
    );
    const pool = connector.pool('127.0.0.1', port, { ...POOL, maxTotal: 1 });
    const { conn, error } = await attemptOn(connector, pool);
    expect(error).toBeUndefined();
    conn!.destroy();
    expect(failures).toEqual([
      ['open listener failed', 'open'],
      ['close listener failed', 'close'],
    ]);
    // The pool's accounting survived: the one place under max total is free again.
    expect(pool.openCount).toBe(0);
    const again = await attemptOn(connector, pool);
    expect(again.error).toBeUndefined();
  });

  test('without onListenerError, a throwing listener is swallowed', async () => {
    const { port } = await tcpServer();
    const connector = useConnector(
      new Connector(undefined, {
        events: {
          onUpstreamOpen: () => {
            throw new Error('open listener failed');
          },
        },
      }),
    );
    const { conn, error } = await attemptOn(connector, connector.pool('127.0.0.1', port, POOL));
    expect(error).toBeUndefined();
    expect(conn!.isReusable).toBe(true);
  });
});
