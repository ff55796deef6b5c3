import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { createServer as createTlsServer, TLSSocket, type TlsOptions } from 'node:tls';
import { afterAll, describe, expect, onTestFinished, test } from 'vitest';
import { createTestCa } from '../../test/support/certs.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import type { UpstreamHandler } from '../router/types.ts';
import { Connector } from './connector.ts';
import type { HostResolver } from './dns-cache.ts';
import type { UpstreamConnection } from './upstream-connection.ts';
import type { PoolOptions } from './upstream-pool.ts';
import { attemptOn, closeServer, freePort, tcpServer, useConnector } from './sockets.test-suite.ts';

const ca = createTestCa();
const otherCa = createTestCa('Someone Else CA');
afterAll(() => {
  ca.close();
  otherCa.close();
});
const trusted = ca.issue(['backend.test']);
const untrusted = otherCa.issue(['backend.test']);
const client = ca.issue(['junction.client']);

const POOL: PoolOptions = { maxIdle: 8, idleTimeoutMs: 60_000 };

/** Every name is 127.0.0.1: the tests use names for SNI and verification, not for routing. */
const loopbackResolver: HostResolver = { lookup: () => ({ addresses: ['127.0.0.1'], error: undefined }) };

interface Handshake {
  readonly servername: string | false | null;
  readonly alpn: string | false | null;
  readonly authorized: boolean;
  readonly clientCn: string | undefined;
}

/** A TLS echo server on 127.0.0.1 that records each completed handshake. */
async function tlsEchoServer(options: TlsOptions): Promise<{ port: number; handshakes: Handshake[] }> {
  const handshakes: Handshake[] = [];
  const server = createTlsServer({ ALPNProtocols: ['http/1.1'], ...options }, (socket: TLSSocket) => {
    handshakes.push({
      servername: socket.servername,
      alpn: socket.alpnProtocol,
      authorized: socket.authorized,
      clientCn: commonName(socket),
    });
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  server.on('tlsClientError', () => undefined);
  return { port: await listen(server), handshakes };
}

/** The CN of the client's certificate, if it sent one. */
function commonName(socket: TLSSocket): string | undefined {
  const peer = socket.getPeerCertificate() as { subject?: { CN?: string | string[] } };
  const cn = peer.subject?.CN;
  return Array.isArray(cn) ? cn.join(',') : cn;
}

function tlsSocketOf(conn: UpstreamConnection): TLSSocket {
  if (!(conn.socket instanceof TLSSocket)) throw new Error('not a TLS connection');
  return conn.socket;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => closeServer(server));
  return (server.address() as AddressInfo).port;
}

/** Writes `data` on the connection and resolves with what came back once `until` holds. */
function exchange(
  conn: UpstreamConnection,
  data: string,
  until: (received: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const handler: UpstreamHandler = {
      onUpstreamData: (chunk) => {
        received += chunk.toString('latin1');
        if (until(received)) resolve(received);
      },
      onUpstreamEnd: () => {
        resolve(received);
      },
      onUpstreamClose: (error) => {
        reject(error ?? new Error(`closed after ${JSON.stringify(received)}`));
      },
      onUpstreamDrain: () => undefined,
    };
    conn.attach(handler);
    conn.write(data);
  });
}

function tlsConnector(): Connector {
  return useConnector(new Connector(undefined, { resolver: loopbackResolver }));
}

describe('Connector: upstream TLS', () => {
  test('an https backend whose CA is trusted: connects over TLS with ALPN http/1.1 and carries a request', async () => {
    const server = createHttpsServer({ ...trusted, ALPNProtocols: ['http/1.1'] }, (_req, res) => {
      res.end('hello over tls');
    });
    const port = await listen(server);
    const connector = tlsConnector();
    const pool = connector.pool('127.0.0.1', port, { ...POOL, tls: { ca: ca.cert } });
    const { conn, error } = await attemptOn(connector, pool);
    expect(error).toBeUndefined();
    expect(conn!.isTls).toBe(true);
    expect(tlsSocketOf(conn!).alpnProtocol).toBe('http/1.1');
    const response = await exchange(conn!, 'GET / HTTP/1.1\r\nHost: backend.test\r\n\r\n', (r) =>
      r.endsWith('hello over tls'),
    );
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*hello over tls$/);
    expect(pool.connectsOpened).toBe(1);
  });

  test('by name: SNI is the backend host by default, and the certificate is checked against it', async () => {
    const { port, handshakes } = await tlsEchoServer(trusted);
    const connector = tlsConnector();
    const pool = connector.pool('backend.test', port, { ...POOL, tls: { ca: [ca.cert] } });
    const { conn, error } = await attemptOn(connector, pool);
    expect(error).toBeUndefined();
    expect(await exchange(conn!, 'ping', (r) => r === 'ping')).toBe('ping');
    expect(handshakes).toEqual([
      { servername: 'backend.test', alpn: 'http/1.1', authorized: false, clientCn: undefined },
    ]);
  });

  test('an IP literal sends no SNI; the certificate must name the IP', async () => {
    const { port, handshakes } = await tlsEchoServer(trusted);
    const connector = tlsConnector();
    const { error } = await attemptOn(
      connector,
      connector.pool('127.0.0.1', port, { ...POOL, tls: { ca: ca.cert } }),
    );
    expect(error).toBeUndefined();
    await waitFor(() => handshakes.length === 1, { what: 'the handshake on the server' });
    expect(handshakes[0]!.servername).toBeFalsy();
  });

  test('a certificate from an untrusted CA is JCT_ERR_TLS_HANDSHAKE while verification is on (the default)', async () => {
    const { port, handshakes } = await tlsEchoServer(untrusted);
    const connector = tlsConnector();
    const pool = connector.pool('backend.test', port, { ...POOL, tls: { ca: ca.cert } });
    const { conn, error } = await attemptOn(connector, pool);
    expect(conn).toBeUndefined();
    expect(error?.code).toBe('JCT_ERR_TLS_HANDSHAKE');
    expect(error?.status).toBe(502);
    expect(error?.retryable).toBe(true);
    expect(error?.message).toContain(`backend.test:${port}`);
    expect([pool.connectFailures, pool.connectsOpened, pool.connectingCount]).toEqual([1, 0, 0]);
    expect(handshakes).toEqual([]);
  });

  test("Node's bundled roots do not trust a private CA", async () => {
    const { port } = await tlsEchoServer(trusted);
    const connector = tlsConnector();
    const { error } = await attemptOn(connector, connector.pool('backend.test', port, { ...POOL, tls: {} }));
    expect(error?.code).toBe('JCT_ERR_TLS_HANDSHAKE');
  });

  test('with verification off, an untrusted certificate is accepted', async () => {
    const { port } = await tlsEchoServer(untrusted);
    const connector = tlsConnector();
    const pool = connector.pool('backend.test', port, { ...POOL, tls: { rejectUnauthorized: false } });
    const { conn, error } = await attemptOn(connector, pool);
    expect(error).toBeUndefined();
    expect(await exchange(conn!, 'ping', (r) => r === 'ping')).toBe('ping');
  });

  test('a servername the certificate does not name is JCT_ERR_TLS_HANDSHAKE; the server saw it as SNI', async () => {
    const { port, handshakes } = await tlsEchoServer({
      ...trusted,
      SNICallback: (name, done) => {
        handshakes.push({ servername: name, alpn: null, authorized: false, clientCn: undefined });
        done(null);
      },
    });
    const connector = tlsConnector();
    const pool = connector.pool('backend.test', port, {
      ...POOL,
      tls: { ca: ca.cert, servername: 'wrong.test' },
    });
    const { error } = await attemptOn(connector, pool);
    expect(error?.code).toBe('JCT_ERR_TLS_HANDSHAKE');
    expect((error?.cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(handshakes.map((h) => h.servername)).toContain('wrong.test');
  });

  test('a configured servername replaces the host for SNI and verification', async () => {
    const { port, handshakes } = await tlsEchoServer(trusted);
    const connector = tlsConnector();
    const pool = connector.pool('127.0.0.1', port, {
      ...POOL,
      tls: { ca: ca.cert, servername: 'backend.test' },
    });
    const { error } = await attemptOn(connector, pool);
    expect(error).toBeUndefined();
    await waitFor(() => handshakes.length === 1, { what: 'the handshake on the server' });
    expect(handshakes[0]!.servername).toBe('backend.test');
  });

  test('a client certificate is presented to a backend that asks for one', async () => {
    const { port, handshakes } = await tlsEchoServer({
      ...trusted,
      ca: ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const connector = tlsConnector();
    const pool = connector.pool('backend.test', port, { ...POOL, tls: { ca: ca.cert, ...client } });
    const { conn, error } = await attemptOn(connector, pool);
    expect(error).toBeUndefined();
    expect(await exchange(conn!, 'ping', (r) => r === 'ping')).toBe('ping');
    expect(handshakes[0]).toMatchObject({ authorized: true, clientCn: 'junction.client' });
  });

  test('a backend that does not speak TLS is JCT_ERR_TLS_HANDSHAKE', async () => {
    const { port } = await tcpServer((socket) => {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
    const connector = tlsConnector();
    const { error } = await attemptOn(connector, connector.pool('backend.test', port, { ...POOL, tls: {} }));
    expect(error?.code).toBe('JCT_ERR_TLS_HANDSHAKE');
  });

  test('a refused TCP connect stays JCT_ERR_CONNECT_REFUSED under TLS', async () => {
    const port = await freePort();
    const connector = tlsConnector();
    const { error } = await attemptOn(connector, connector.pool('backend.test', port, { ...POOL, tls: {} }));
    expect(error?.code).toBe('JCT_ERR_CONNECT_REFUSED');
  });

  test('the connect timeout covers the handshake: a backend that accepts but never answers times out', async () => {
    const { port } = await tcpServer();
    const connector = tlsConnector();
    const pool = connector.pool('backend.test', port, { ...POOL, tls: {} });
    const started = performance.now();
    const { error } = await attemptOn(connector, pool, 200);
    expect(error?.code).toBe('JCT_ERR_CONNECT_TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(pool.connectingCount).toBe(0);
  });

  test('the next connection resumes the TLS session', async () => {
    const { port } = await tlsEchoServer(trusted);
    const connector = tlsConnector();
    const pool = connector.pool('backend.test', port, { ...POOL, tls: { ca: ca.cert } });
    const first = await attemptOn(connector, pool);
    expect(await exchange(first.conn!, 'ping', (r) => r === 'ping')).toBe('ping');
    await waitFor(() => pool.tls?.session, { what: 'a session ticket' });
    const second = await attemptOn(connector, pool);
    expect(tlsSocketOf(first.conn!).isSessionReused()).toBe(false);
    expect(tlsSocketOf(second.conn!).isSessionReused()).toBe(true);
  });

  test('plain and TLS connections to one address, or TLS with another SNI, never share a pool', () => {
    const connector = tlsConnector();
    const plain = connector.pool('backend.test', 443, POOL);
    const tls = connector.pool('backend.test', 443, { ...POOL, tls: {} });
    const otherName = connector.pool('backend.test', 443, { ...POOL, tls: { servername: 'other.test' } });
    expect(new Set([plain, tls, otherName]).size).toBe(3);
    expect(connector.pool('backend.test', 443, { ...POOL, tls: { ca: ca.cert } })).toBe(tls);
  });

  test('new TLS settings for a pool close its idle connections; the same settings keep them', async () => {
    const { port } = await tlsEchoServer(trusted);
    const connector = tlsConnector();
    const pool = connector.pool('backend.test', port, { ...POOL, tls: { ca: ca.cert } });
    const { conn } = await attemptOn(connector, pool);
    connector.release(conn!, true);
    connector.pool('backend.test', port, { ...POOL, tls: { ca: ca.cert } });
    expect(pool.idleCount).toBe(1);
    connector.pool('backend.test', port, { ...POOL, tls: { ca: [ca.cert, otherCa.cert] } });
    expect(pool.idleCount).toBe(0);
    expect(conn!.isClosed).toBe(true);
  });

  test('TLS material that is not PEM is refused when the pool is made', () => {
    const connector = tlsConnector();
    expect(() =>
      connector.pool('backend.test', 443, { ...POOL, tls: { cert: 'nonsense', key: 'nonsense' } }),
    ).toThrow();
  });
});
