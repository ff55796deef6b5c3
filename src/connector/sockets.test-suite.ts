/** Helpers shared by the connector's tests: real sockets on 127.0.0.1, every wait bounded. */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';
import type { ConnectError } from '../errors/index.ts';
import type { Clock } from '../util/clock.ts';
import type { ConnectHandler, Connector } from './connector.ts';
import { UpstreamConnection } from './upstream-connection.ts';
import type { UpstreamPool } from './upstream-pool.ts';

export interface AttemptResult {
  readonly conn?: UpstreamConnection;
  readonly error?: ConnectError;
}

/** One connect attempt on a pool, its result as a promise. Fails the test if the handler hears twice. */
export function attemptOn(
  connector: Connector,
  pool: UpstreamPool,
  timeoutMs = 2000,
  takesReleased = false,
): Promise<AttemptResult> {
  return new Promise((resolve, reject) => {
    let answers = 0;
    const handler: ConnectHandler = {
      onConnected: (conn) => {
        if (++answers > 1) reject(new Error('the handler heard back twice'));
        onTestFinished(() => {
          conn.destroy();
        });
        if (!(conn instanceof UpstreamConnection)) throw new Error('not an UpstreamConnection');
        resolve({ conn });
      },
      onConnectFailed: (error) => {
        if (++answers > 1) reject(new Error('the handler heard back twice'));
        resolve({ error });
      },
    };
    connector.connect(pool, timeoutMs, handler, undefined, takesReleased);
  });
}

/** A Connector closed when the test ends. */
export function useConnector(connector: Connector): Connector {
  onTestFinished(() => {
    connector.close();
  });
  return connector;
}

/** A TCP server on 127.0.0.1 that keeps its accepted sockets, closed when the test ends. */
export async function tcpServer(onSocket: (socket: Socket) => void = () => undefined): Promise<{
  readonly port: number;
  readonly sockets: Socket[];
  readonly server: Server;
}> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    sockets.push(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => closeServer(server, sockets));
  return { port: (server.address() as AddressInfo).port, sockets, server };
}

export function closeServer(server: Server, sockets: readonly Socket[] = []): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  time = 1_000_000;
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}
