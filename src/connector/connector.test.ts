import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, onTestFinished, test } from 'vitest';
import type { ConnectError } from '../errors/index.ts';
import { Connector, type ConnectHandler } from './connector.ts';
import type { UpstreamConnection } from './upstream-connection.ts';

const POOL = { maxIdle: 8, idleTimeoutMs: 60_000 };

function attempt(connector: Connector, host: string, port: number, timeoutMs = 2000) {
  return new Promise<{ conn?: UpstreamConnection; error?: ConnectError }>((resolve) => {
    const handler: ConnectHandler = {
      onConnected: (conn) => {
        resolve({ conn });
      },
      onConnectFailed: (error) => {
        resolve({ error });
      },
    };
    connector.connect(connector.pool(host, port, POOL), timeoutMs, handler);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
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
  test('a closed port is JCT_ERR_CONNECT_REFUSED', async () => {
    const connector = new Connector();
    onTestFinished(() => {
      connector.close();
    });
    const { error } = await attempt(connector, '127.0.0.1', await freePort());
    expect(error?.code).toBe('JCT_ERR_CONNECT_REFUSED');
    expect(error?.retryable).toBe(true);
  });

  test('a name under .invalid is JCT_ERR_CONNECT_UNRESOLVABLE', async () => {
    const connector = new Connector();
    onTestFinished(() => {
      connector.close();
    });
    const { error } = await attempt(connector, 'no-such-backend.invalid', 80);
    expect(error?.code).toBe('JCT_ERR_CONNECT_UNRESOLVABLE');
  });

  test('a listener whose accept backlog is full makes JCT_ERR_CONNECT_TIMEOUT', async () => {
    const listener = await saturatedListener();
    onTestFinished(() => {
      listener.stop();
    });
    const connector = new Connector();
    onTestFinished(() => {
      connector.close();
    });
    const started = performance.now();
    const { error } = await attempt(connector, '127.0.0.1', listener.port, 300);
    expect(error?.code).toBe('JCT_ERR_CONNECT_TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  test('a connection goes back to the pool and is reused, LIFO, until it closes', async () => {
    const server = createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) =>
          server.close(() => {
            resolve();
          }),
        ),
    );
    const { port } = server.address() as AddressInfo;
    const connector = new Connector();
    onTestFinished(() => {
      connector.close();
    });
    const pool = connector.pool('127.0.0.1', port, POOL);
    const { conn } = await attempt(connector, '127.0.0.1', port);
    expect(conn).toBeDefined();
    connector.release(conn!, true);
    expect(pool.idleCount).toBe(1);
    const again = connector.reuse(pool);
    expect(again).toBe(conn);
    expect(again?.reuseCount).toBe(1);
    again!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pool.openCount).toBe(0);
    expect(connector.reuse(pool)).toBeUndefined();
    pool.checkInvariants();
  });
});
