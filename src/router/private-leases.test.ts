/**
 * Private leases: a TCP session's (a tunnel) and any lease of a cluster with `proxy_protocol` always
 * get a fresh connection, never give it back to the pool, and (for PROXY) start it with the header
 * naming their client.
 */
import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../config/index.ts';
import { UpstreamPool, type ConnectHandler, type UpstreamConnection } from '../connector/index.ts';
import type { JunctionError } from '../errors/index.ts';
import { parseProxyHeader } from '../proxy-protocol/index.ts';
import { BUILTIN_STRATEGIES, type SelectionInput } from '../strategies/index.ts';
import { Router, type RouterConnector } from './router.ts';
import type { AcquireHandler, ClientConnection, UpstreamChannel } from './types.ts';

class FakeConnector implements RouterConnector {
  readonly connects: { handler: ConnectHandler; preamble: Buffer | undefined }[] = [];
  readonly released: boolean[] = [];
  readonly pooled: UpstreamConnection[] = [];
  reused = 0;

  pool(host: string, port: number): UpstreamPool {
    return new UpstreamPool(host, port, { maxIdle: 1, idleTimeoutMs: 1_000 });
  }
  reuse(): UpstreamConnection | undefined {
    const conn = this.pooled.shift();
    if (conn !== undefined) this.reused++;
    return conn;
  }
  connect(_pool: UpstreamPool, _timeoutMs: number, handler: ConnectHandler, preamble?: Buffer): void {
    this.connects.push({ handler, preamble });
  }
  release(_conn: UpstreamConnection, reusable: boolean): void {
    this.released.push(reusable);
  }
}

class Handler implements AcquireHandler {
  readonly ready: UpstreamChannel[] = [];
  onUpstreamReady(channel: UpstreamChannel): void {
    this.ready.push(channel);
  }
  onAcquireFailed(error: JunctionError): void {
    throw error;
  }
}

const input: SelectionInput = {
  method: 'GET',
  host: 'a',
  path: '/',
  header: () => undefined,
  clientAddress: '',
};
const client: ClientConnection = {
  clientAddress: '::ffff:192.0.2.7',
  clientPort: 5555,
  localAddress: '::ffff:127.0.0.1',
  localPort: 8080,
};

function setup(proxyProtocol: string) {
  const config = parseConfigText(
    `listeners: [{ port: 0 }]\nclusters:\n  app: { ${proxyProtocol} backends: [127.0.0.1:4001] }\n`,
    '<test>',
  );
  const connector = new FakeConnector();
  const router = new Router(connector, BUILTIN_STRATEGIES, { clock: { now: () => 0 } });
  const cluster = router.buildCluster(config.clusters.get('app')!);
  // A pooled connection is there to be (wrongly) taken.
  connector.pooled.push({ reuseCount: 0 } as unknown as UpstreamConnection);
  return { connector, router, cluster };
}

function connectAndRelease(
  { connector, router, cluster }: ReturnType<typeof setup>,
  tunnel: boolean,
): { preamble: Buffer | undefined } {
  const handler = new Handler();
  const lease = router.acquire(cluster, input, 1000, handler, cluster.strategy, client, tunnel);
  const attempt = connector.connects.at(-1);
  if (attempt !== undefined) attempt.handler.onConnected({ reuseCount: 0 } as unknown as UpstreamConnection);
  expect(handler.ready).toHaveLength(1);
  router.release(lease, true, { status: 200, errorCode: undefined, durationMs: 1 });
  return { preamble: attempt?.preamble };
}

describe('private leases', () => {
  test('an ordinary lease reuses the pooled connection and gives it back', () => {
    const s = setup('');
    connectAndRelease(s, false);
    expect(s.connector.reused).toBe(1);
    expect(s.connector.released).toEqual([true]);
  });

  test('a tunnel connects fresh and never pools', () => {
    const s = setup('');
    const { preamble } = connectAndRelease(s, true);
    expect(s.connector.reused).toBe(0);
    expect(preamble).toBeUndefined();
    expect(s.connector.released).toEqual([false]);
  });

  test.each([
    ['v1', 1],
    ['v2', 2],
  ] as const)('a %s cluster connects fresh with its header first, and never pools', (version, number) => {
    const s = setup(`proxy_protocol: ${version},`);
    const { preamble } = connectAndRelease(s, false);
    expect(s.connector.reused).toBe(0);
    expect(s.connector.released).toEqual([false]);
    expect(parseProxyHeader(preamble!)).toMatchObject({
      kind: 'done',
      consumed: preamble!.length,
      header: {
        version: number,
        endpoints: {
          family: 4,
          sourceAddress: '192.0.2.7',
          sourcePort: 5555,
          destinationAddress: '127.0.0.1',
          destinationPort: 8080,
        },
      },
    });
  });
});
