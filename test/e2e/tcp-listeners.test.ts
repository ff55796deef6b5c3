/**
 * TCP listeners through the proxy over real sockets: byte echo balanced over two backends, connect
 * retries past a dead backend, the idle timeout, either side closing, half-close in both directions,
 * a large transfer with backpressure, and TLS passthrough routed by the ClientHello's server name to
 * TLS backends whose certificates the client verifies end to end.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { closedPort, rawBackend, type RawBackend } from '../support/backends.ts';
import { createTestCa, type TestCa } from '../support/certs.ts';
import { RawClient, readUntil } from '../support/clients.ts';
import { patternSha256, patternStream } from '../support/pattern.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';

/** Greets each connection with `<name>\n`, then echoes every byte back; half-closes when the client does. */
async function echoBackend(name: string): Promise<RawBackend> {
  const backend = await rawBackend((socket) => {
    socket.write(`${name}\n`);
    socket.pipe(socket);
  }, name);
  onTestFinished(() => backend.close());
  return backend;
}

async function tcpJunction(yaml: string): Promise<RunningJunction> {
  const junction = await startJunctionFromYaml(yaml);
  onTestFinished(() => junction.close());
  return junction;
}

function tcpListener(extra: string): string {
  return `listeners:\n  - { address: 127.0.0.1, port: 0, protocol: tcp, ${extra} }\n`;
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  onTestFinished(() => c.close());
  return c;
}

/** The greeting line a connection got: which backend it reached. */
async function greeting(c: RawClient): Promise<string> {
  const bytes = await c.readUntil((b) => b.includes('\n'));
  return bytes.toString('latin1').split('\n')[0]!;
}

describe('plain TCP', () => {
  test('round robin over two echo backends, bytes echoed through', async () => {
    const a = await echoBackend('a');
    const b = await echoBackend('b');
    const junction = await tcpJunction(`${tcpListener('cluster: db')}
clusters:
  db: { strategy: round-robin, backends: ["${a.address}", "${b.address}"] }
`);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await client(junction.port);
      seen.push(await greeting(c));
      await c.write(`ping ${i}`);
      await c.readUntil((r) => r.includes(`ping ${i}`));
    }
    expect(seen.sort()).toEqual(['a', 'a', 'b', 'b']);
    expect(a.connections + b.connections).toBe(4);
  });

  test('a dead backend is retried on the other, and health tracking sees its failures', async () => {
    const live = await echoBackend('live');
    const dead = await closedPort();
    const junction = await tcpJunction(`${tcpListener('cluster: db')}
clusters:
  db:
    strategy: round-robin
    backends: ["127.0.0.1:${dead}", "${live.address}"]
    retry: { backoff: { base: 0ms, max: 0ms } }
`);
    for (let i = 0; i < 4; i++) {
      const c = await client(junction.port);
      expect(await greeting(c)).toBe('live');
    }
    const deadStatus = junction.server.upstreams().find((u) => u.address === `127.0.0.1:${dead}`)!;
    expect(deadStatus.connectFailures).toBeGreaterThanOrEqual(1);
    expect(live.connections).toBe(4);
  });

  test('with every backend down the client connection is closed', async () => {
    const dead = await closedPort();
    const junction = await tcpJunction(`${tcpListener('cluster: db')}
clusters:
  db: { backends: ["127.0.0.1:${dead}"], retry: { attempts: 2, backoff: { base: 0ms, max: 0ms } } }
`);
    const c = await client(junction.port);
    expect(await c.waitForEnd(3000)).toBe(true);
    expect(c.received.length).toBe(0);
  });

  test('an idle session is closed after the listener idle timeout, an active one is not', async () => {
    const a = await echoBackend('a');
    const junction = await tcpJunction(`${tcpListener('cluster: db, idle_timeout: 400ms')}
clusters:
  db: { backends: ["${a.address}"] }
`);
    const busy = await client(junction.port);
    const idle = await client(junction.port);
    await greeting(busy);
    await greeting(idle);
    const started = Date.now();
    // Keep one talking past the timeout: bytes moving re-arm its deadline.
    for (let i = 0; i < 8; i++) {
      await busy.write('x');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(busy.ended).toBe(false);
    expect(await idle.waitForEnd(3000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    await waitFor(() => a.sockets.size === 1, { what: 'the idle upstream connection closed' });
    // The server's sweep fired it, like an HTTP session's deadline.
    expect(junction.server.stats().sessions).toBe(1);
    expect(junction.server.stats().deadlinesFired).toBeGreaterThanOrEqual(1);
  });

  test('the client closing closes the upstream; the upstream closing closes the client', async () => {
    const a = await echoBackend('a');
    const junction = await tcpJunction(`${tcpListener('cluster: db')}
clusters:
  db: { backends: ["${a.address}"] }
`);
    const first = await client(junction.port);
    await greeting(first);
    await first.close();
    await waitFor(() => a.sockets.size === 0, { what: 'the upstream side closed' });

    const second = await client(junction.port);
    await greeting(second);
    second.socket.allowHalfOpen = true;
    for (const socket of a.sockets) socket.destroy();
    await waitFor(() => second.socket.readableEnded, { what: 'the upstream close relayed' });
    // Bytes the client sends after the upstream is gone are dropped; the session still ends cleanly.
    await second.write('late bytes').catch(() => undefined);
    second.socket.end();
    expect(await second.waitForEnd(3000)).toBe(true);
    await waitFor(() => junction.server.stats().sessions === 0, { what: 'sessions gone' });
    expect(junction.server.stats().upstreamConnectionsOpen).toBe(0);
  });

  test('max_connections queues sessions; the per-client cap closes extra ones without an HTTP answer', async () => {
    const a = await echoBackend('a');
    const queued = await tcpJunction(`${tcpListener('cluster: db, max_connections: 1')}
clusters:
  db: { backends: ["${a.address}"] }
`);
    const first = await client(queued.port);
    expect(await greeting(first)).toBe('a');
    const second = await client(queued.port);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(second.received.length).toBe(0);
    await first.close();
    expect(await greeting(second)).toBe('a');

    const capped = await tcpJunction(`${tcpListener('cluster: db, max_connections_per_client: 1')}
clusters:
  db: { backends: ["${a.address}"] }
`);
    const one = await client(capped.port);
    expect(await greeting(one)).toBe('a');
    const two = await client(capped.port);
    expect(await two.waitForEnd(3000)).toBe(true);
    expect(two.received.length).toBe(0);
  });

  test('half-close: the client ends its side and still gets the answer', async () => {
    // Reads everything until the client's FIN, then answers with the byte count and closes.
    const counter = await rawBackend((socket) => {
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
      socket.on('end', () => socket.end(`got ${bytes} bytes`));
    }, 'counter');
    onTestFinished(() => counter.close());
    const junction = await tcpJunction(`${tcpListener('cluster: db')}
clusters:
  db: { backends: ["${counter.address}"] }
`);
    const c = await client(junction.port);
    await c.write('x'.repeat(100_000));
    c.socket.end();
    await c.readUntil((r) => r.toString().includes('got 100000 bytes'));
    expect(await c.waitForEnd(3000)).toBe(true);
  });

  test('half-close: the upstream ends its side and still gets what the client sends after', async () => {
    let received = '';
    const ender = await rawBackend((socket) => {
      socket.end('bye, but I am still listening\n');
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    }, 'ender');
    onTestFinished(() => ender.close());
    const junction = await tcpJunction(`${tcpListener('cluster: db')}
clusters:
  db: { backends: ["${ender.address}"] }
`);
    const c = await client(junction.port);
    c.socket.allowHalfOpen = true;
    await c.readUntil((r) => r.includes('listening\n'));
    await waitFor(() => c.socket.readableEnded, { what: 'the FIN relayed to the client' });
    await c.write('after the FIN');
    await waitFor(() => received === 'after the FIN', { what: 'bytes sent after the upstream FIN' });
  });

  test('32 MiB each way with backpressure arrive intact', async () => {
    const sink = createHash('sha256');
    let echoed = 0;
    const echo = await rawBackend((socket) => socket.pipe(socket), 'echo');
    onTestFinished(() => echo.close());
    const junction = await tcpJunction(`${tcpListener('cluster: db')}
clusters:
  db: { backends: ["${echo.address}"] }
`);
    const total = 32 * 1024 * 1024;
    const c = await client(junction.port);
    const done = new Promise<void>((resolve, reject) => {
      c.socket.on('data', (chunk: Buffer) => {
        sink.update(chunk);
        echoed += chunk.length;
        if (echoed >= total) resolve();
      });
      c.socket.on('close', () => {
        if (echoed >= total) resolve();
        else reject(new Error(`closed after ${echoed}`));
      });
    });
    // The client reads slowly at first, so Junction's buffers towards it fill and it must push back.
    c.socket.pause();
    const writing = pipeline(patternStream(total), c.socket, { end: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    c.socket.resume();
    await withTimeout(Promise.all([writing, done]), 30_000, 'the 32 MiB round trip');
    expect(echoed).toBe(total);
    expect(sink.digest('hex')).toBe(patternSha256(total));
  });
});

describe('TLS passthrough by SNI', () => {
  let ca: TestCa;
  beforeAll(() => {
    ca = createTestCa('TCP Test CA');
  });
  afterAll(() => {
    ca.close();
  });

  /** A TLS server for `names` that answers every connection with `<name>\n` and closes. */
  async function tlsBackend(name: string, names: readonly string[]): Promise<{ address: string }> {
    const pair = ca.issue(names);
    const server = createTlsServer({ cert: pair.cert, key: pair.key }, (socket) => {
      socket.end(`${name} ${socket.servername || '-'}\n`);
    });
    server.on('tlsClientError', () => undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        }),
    );
    return { address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  async function tlsRequest(port: number, servername: string | undefined): Promise<string> {
    const socket: TLSSocket = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: ca.cert,
      ...(servername === undefined ? {} : { servername }),
    });
    onTestFinished(() => {
      socket.destroy();
    });
    await withTimeout(once(socket, 'secureConnect'), 5000, 'the TLS handshake through Junction');
    const bytes = await readUntil(socket, (b) => b.includes('\n'));
    return bytes.toString().trim();
  }

  async function passthrough(): Promise<RunningJunction> {
    const a = await tlsBackend('a', ['a.test']);
    const b = await tlsBackend('b', ['b.test', '*.b.test']);
    const fallback = await tlsBackend('default', ['default.test']);
    return tcpJunction(`listeners:
  - address: 127.0.0.1
    port: 0
    protocol: tcp
    cluster: fallback
    sni_routes:
      - { sni: a.test, cluster: a }
      - { sni: [b.test, "*.b.test"], cluster: b }
clusters:
  a: { backends: ["${a.address}"] }
  b: { backends: ["${b.address}"] }
  fallback: { backends: ["${fallback.address}"] }
`);
  }

  test('each server name reaches its own TLS backend, whose certificate the client verifies', async () => {
    const junction = await passthrough();
    expect(await tlsRequest(junction.port, 'a.test')).toBe('a a.test');
    // Routing ignores case; the ClientHello goes through untouched, so the backend sees the name as sent.
    expect(await tlsRequest(junction.port, 'B.Test')).toBe('b B.Test');
    expect(await tlsRequest(junction.port, 'api.b.test')).toBe('b api.b.test');
  });

  test('a ClientHello without SNI, or with a name no route has, goes to the default cluster', async () => {
    const junction = await passthrough();
    // Node sends no SNI when connecting to an IP address; the default backend's certificate lists 127.0.0.1.
    expect(await tlsRequest(junction.port, undefined)).toBe('default -');
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: junction.port,
      servername: 'other.test',
      ca: ca.cert,
    });
    onTestFinished(() => {
      socket.destroy();
    });
    const failed = await withTimeout(
      new Promise<Error>((resolve) => socket.once('error', resolve)),
      5000,
      'the name check of the default backend',
    );
    // The default backend was reached: its certificate does not name other.test.
    expect(failed.message).toMatch(/other\.test/);
  });

  test('without a default cluster, an unrouted name is closed', async () => {
    const a = await tlsBackend('a', ['a.test']);
    const junction = await tcpJunction(`${tcpListener('sni_routes: [{ sni: a.test, cluster: a }]')}
clusters:
  a: { backends: ["${a.address}"] }
`);
    const socket = tlsConnect({ host: '127.0.0.1', port: junction.port, servername: 'z.test', ca: ca.cert });
    onTestFinished(() => {
      socket.destroy();
    });
    const error = await withTimeout(
      new Promise<Error>((resolve) => socket.once('error', resolve)),
      5000,
      'the connection closed',
    );
    expect(error.message).toMatch(/socket disconnected|ECONNRESET/);
  });

  test('garbage instead of a ClientHello is closed without reaching a backend', async () => {
    let reached = 0;
    const counting = await rawBackend(() => reached++, 'counting');
    onTestFinished(() => counting.close());
    const junction =
      await tcpJunction(`${tcpListener(`cluster: c, sni_routes: [{ sni: a.test, cluster: c }]`)}
clusters:
  c: { backends: ["${counting.address}"] }
`);
    const c = await client(junction.port);
    await c.write('GET / HTTP/1.1\r\nHost: a.test\r\n\r\n');
    expect(await c.waitForEnd(3000)).toBe(true);
    expect(c.received.length).toBe(0);
    expect(reached).toBe(0);
  });

  test('a client that never finishes its ClientHello is closed after timeouts.client_head', async () => {
    const junction = await tcpJunction(`${tcpListener(`sni_routes: [{ sni: a.test, cluster: c }]`)}
timeouts: { client_head: 300ms }
clusters:
  c: { backends: ["127.0.0.1:1"] }
`);
    const c = await client(junction.port);
    await c.write(Buffer.from([0x16, 3, 1, 0, 200, 1]));
    const started = Date.now();
    expect(await c.waitForEnd(3000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });
});
