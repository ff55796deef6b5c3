/**
 * The PROXY protocol over real sockets. Inbound: v1 and v2 headers from a trusted peer replace the
 * client address everywhere (X-Forwarded-For, rules' inbound-addr extractors), LOCAL keeps the socket's,
 * untrusted peers are refused or served as themselves, malformed, missing and late headers close the
 * connection. Outbound: clusters with `proxy_protocol` send v1 or v2 first on every upstream connection,
 * for HTTP and TCP, before TLS, on connections never shared between clients.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { parseProxyHeader, serializeProxyV1, serializeProxyV2 } from '../../src/proxy-protocol/index.ts';
import { echoBackend, rawBackend, type EchoReply, type RawBackend } from '../support/backends.ts';
import { createTestCa, type TestCa } from '../support/certs.ts';
import { RawClient } from '../support/clients.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

const V1 = 'PROXY TCP4 203.0.113.9 198.51.100.1 40001 443\r\n';
const GET = 'GET /who HTTP/1.1\r\nHost: app.test\r\n\r\n';

async function proxy(yaml: string): Promise<RunningJunction> {
  const junction = await startJunctionFromYaml(yaml);
  onTestFinished(() => junction.close());
  return junction;
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  onTestFinished(() => c.close());
  return c;
}

/** Junction expecting PROXY headers from `trusted`, proxying HTTP to an echo backend with a rule. */
async function inbound(
  trusted: string,
  extra = '',
): Promise<{ junction: RunningJunction; echo: { requests: number } }> {
  const backend = await echoBackend('echo');
  onTestFinished(() => backend.close());
  const junction = await proxy(`listeners:
  - { address: 127.0.0.1, port: 0, proxy_protocol: { trusted: ${trusted}${extra} } }
rules:
  - when: ua-req
    do:
      - ua-req-field<X-Rule-Client>: '{inbound-addr-remote}:{inbound-port-remote}'
      - ua-req-field<X-Rule-Local>: '{inbound-addr-local}:{inbound-port-local}'
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  return {
    junction,
    echo: {
      get requests() {
        return backend.requests.length;
      },
    },
  };
}

function echoed(body: Buffer): EchoReply {
  return JSON.parse(body.toString()) as EchoReply;
}

describe('PROXY protocol in', () => {
  test('v1 from a trusted peer: X-Forwarded-For and rules see the carried address, for every request', async () => {
    const { junction } = await inbound('[127.0.0.1/32]');
    const c = await client(junction.port);
    const first = await c.exchange(V1 + GET);
    expect(first.statusCode).toBe(200);
    const headers = echoed(first.body).headers;
    expect(headers['x-forwarded-for']).toBe('203.0.113.9');
    expect(headers['x-rule-client']).toBe('203.0.113.9:40001');
    expect(headers['x-rule-local']).toBe('198.51.100.1:443');
    // The address belongs to the connection: the next request on it carries it too.
    const second = await c.exchange(GET);
    expect(echoed(second.body).headers['x-forwarded-for']).toBe('203.0.113.9');
  });

  test('v2 (TCP6, with a TLV) in the same packet as the request, and a header split over writes', async () => {
    const { junction } = await inbound('["127.0.0.0/8", "::1"]');
    const header = serializeProxyV2({
      family: 6,
      sourceAddress: '2001:db8::9',
      sourcePort: 5000,
      destinationAddress: '2001:db8::1',
      destinationPort: 80,
    });
    // Append a TLV (type 0x04, NOOP) and grow the length to cover it.
    const withTlv = Buffer.concat([header, Buffer.from([0x04, 0x00, 0x02, 0xaa, 0xbb])]);
    withTlv.writeUInt16BE(withTlv.length - 16, 14);
    const one = await client(junction.port);
    const res = await one.exchange(Buffer.concat([withTlv, Buffer.from(GET)]));
    expect(echoed(res.body).headers['x-forwarded-for']).toBe('2001:db8::9');
    expect(echoed(res.body).headers['x-rule-client']).toBe('2001:db8::9:5000');

    const split = await client(junction.port);
    const bytes = Buffer.from(V1 + GET);
    for (const [from, to] of [
      [0, 3],
      [3, 20],
      [20, bytes.length],
    ] as const) {
      await split.write(bytes.subarray(from, to));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [splitRes] = await split.readResponses(1);
    expect(echoed(splitRes!.body).headers['x-forwarded-for']).toBe('203.0.113.9');
  });

  test('LOCAL (v2) and UNKNOWN (v1) keep the socket address', async () => {
    const { junction } = await inbound('[127.0.0.1]');
    const local = await client(junction.port);
    const res = await local.exchange(Buffer.concat([serializeProxyV2(undefined), Buffer.from(GET)]));
    expect(echoed(res.body).headers['x-forwarded-for']).toBe('127.0.0.1');
    const unknown = await client(junction.port);
    const res2 = await unknown.exchange('PROXY UNKNOWN\r\n' + GET);
    expect(echoed(res2.body).headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  test('a peer outside trusted is closed unanswered, even with a valid header', async () => {
    const { junction, echo } = await inbound('[10.0.0.0/8]');
    const c = await client(junction.port);
    await c.write(V1 + GET).catch(() => undefined);
    expect(await c.waitForEnd(3000)).toBe(true);
    expect(c.received.length).toBe(0);
    expect(echo.requests).toBe(0);
  });

  test('with untrusted: direct, other peers are served as themselves and their headers are not believed', async () => {
    const { junction, echo } = await inbound('[10.0.0.0/8]', ', untrusted: direct');
    const plain = await client(junction.port);
    const res = await plain.exchange(GET);
    expect(echoed(res.body).headers['x-forwarded-for']).toBe('127.0.0.1');
    const spoofing = await client(junction.port);
    const refused = await spoofing.exchange(V1 + GET);
    expect(refused.statusCode).toBe(400);
    expect(echo.requests).toBe(1);
  });

  test.each([
    ['a malformed v1 header', 'PROXY TCP4 999.0.0.1 10.0.0.1 1 2\r\n' + GET],
    [
      'a v2 signature with a bad version',
      Buffer.concat([
        serializeProxyV2(undefined).subarray(0, 12),
        Buffer.from([0x31, 0, 0, 0]),
        Buffer.from(GET),
      ]),
    ],
    ['no header at all', GET],
  ])('%s closes the connection unanswered', async (_why, bytes) => {
    const { junction, echo } = await inbound('[127.0.0.1]');
    const c = await client(junction.port);
    await c.write(bytes).catch(() => undefined);
    expect(await c.waitForEnd(3000)).toBe(true);
    expect(c.received.length).toBe(0);
    expect(echo.requests).toBe(0);
    await waitFor(() => junction.server.stats().sessions === 0, { what: 'no session left' });
  });

  test('per-client accounting gives back the slot of refused and finished connections', async () => {
    const backend = await echoBackend('echo');
    onTestFinished(() => backend.close());
    const junction = await proxy(`listeners:
  - { address: 127.0.0.1, port: 0, max_connections_per_client: 1, proxy_protocol: { trusted: [127.0.0.1] } }
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    for (let i = 0; i < 3; i++) {
      const bad = await client(junction.port);
      await bad.write('PROXY BOGUS\r\n').catch(() => undefined);
      expect(await bad.waitForEnd(3000)).toBe(true);
      expect(bad.received.length).toBe(0);
      const good = await client(junction.port);
      expect((await good.exchange(V1 + GET)).statusCode).toBe(200);
      await good.close();
      await waitFor(() => junction.server.stats().sessions === 0, { what: 'the session ended' });
    }
  });

  test('max_connections_per_client counts the clients the headers name, not the load balancer', async () => {
    const backend = await echoBackend('echo');
    onTestFinished(() => backend.close());
    const junction = await proxy(`listeners:
  - { address: 127.0.0.1, port: 0, max_connections_per_client: 1, proxy_protocol: { trusted: [127.0.0.1] } }
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    const header = (address: string): string => `PROXY TCP4 ${address} 198.51.100.1 40001 443\r\n`;
    const first = await client(junction.port);
    expect((await first.exchange(header('203.0.113.9') + GET)).statusCode).toBe(200);
    // Same load balancer, another client: served.
    const other = await client(junction.port);
    expect((await other.exchange(header('203.0.113.10') + GET)).statusCode).toBe(200);
    // The first client again, while its first connection is open: over its cap.
    const again = await client(junction.port);
    expect((await again.exchange(header('203.0.113.9') + GET)).statusCode).toBe(429);
    await first.close();
    await waitFor(() => junction.server.stats().sessions === 1, { what: "the first client's session ended" });
    const later = await client(junction.port);
    expect((await later.exchange(header('203.0.113.9') + GET)).statusCode).toBe(200);
  });

  test('a header that does not arrive within the timeout closes the connection', async () => {
    const { junction } = await inbound('[127.0.0.1]', ', timeout: 300ms');
    const c = await client(junction.port);
    await c.write('PROXY TCP4 ');
    const started = Date.now();
    expect(await c.waitForEnd(3000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });
});

interface ProxyCapture extends RawBackend {
  /** What each connection received, in order of connection. */
  readonly received: readonly Buffer[];
}

/** Records each connection's bytes; answers every HTTP request head with a small keep-alive 200. */
async function proxyCapture(mode: 'http' | 'echo'): Promise<ProxyCapture> {
  const received: Buffer[] = [];
  const backend = await rawBackend((socket) => {
    const index = received.push(Buffer.alloc(0)) - 1;
    let answered = 0;
    socket.on('data', (chunk: Buffer) => {
      received[index] = Buffer.concat([received[index]!, chunk]);
      if (mode === 'echo') {
        socket.write(chunk);
        return;
      }
      const heads = received[index].toString('latin1').split('\r\n\r\n').length - 1;
      for (; answered < heads; answered++) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
  }, 'proxy-capture');
  onTestFinished(() => backend.close());
  return Object.assign(backend, { received });
}

describe('PROXY protocol out', () => {
  test('v1 to an HTTP cluster: every upstream connection starts with the client, none is reused', async () => {
    const capture = await proxyCapture('http');
    const junction = await proxy(`routes: [{ cluster: app }]
clusters:
  app: { proxy_protocol: v1, backends: ["${capture.address}"] }
`);
    const c = await client(junction.port);
    const clientPort = c.socket.localPort!;
    expect((await c.exchange(GET)).statusCode).toBe(200);
    expect((await c.exchange(GET)).statusCode).toBe(200);
    await waitFor(() => capture.received.length === 2, { what: 'two upstream connections' });
    for (const bytes of capture.received) {
      expect(bytes.toString('latin1')).toBe(
        `PROXY TCP4 127.0.0.1 127.0.0.1 ${clientPort} ${junction.port}\r\n` +
          bytes.toString('latin1').slice(bytes.indexOf('\r\n') + 2),
      );
      expect(bytes.toString('latin1')).toMatch(/^PROXY TCP4 [^\r]*\r\nGET \/who HTTP\/1\.1\r\n/);
    }
    expect(junction.server.stats().upstreamConnectionsIdle).toBe(0);
  });

  test('v2 to an HTTP cluster carries the address a v1 header brought in', async () => {
    const capture = await proxyCapture('http');
    const junction = await proxy(`listeners:
  - { address: 127.0.0.1, port: 0, proxy_protocol: { trusted: [127.0.0.1] } }
routes: [{ cluster: app }]
clusters:
  app: { proxy_protocol: v2, backends: ["${capture.address}"] }
`);
    const c = await client(junction.port);
    expect((await c.exchange(V1 + GET)).statusCode).toBe(200);
    const parsed = parseProxyHeader(capture.received[0]!);
    expect(parsed).toMatchObject({
      kind: 'done',
      header: {
        version: 2,
        endpoints: {
          family: 4,
          sourceAddress: '203.0.113.9',
          sourcePort: 40001,
          destinationAddress: '198.51.100.1',
          destinationPort: 443,
        },
      },
    });
    if (parsed.kind !== 'done') return;
    expect(capture.received[0]!.subarray(parsed.consumed).toString('latin1')).toMatch(
      /^GET \/who HTTP\/1\.1\r\n/,
    );
    expect(capture.received[0]!.toString('latin1')).toContain('X-Forwarded-For: 203.0.113.9');
  });

  test("v1 in and v1 out on a TCP listener: the client's header re-sent, then the bytes untouched", async () => {
    const capture = await proxyCapture('echo');
    const junction = await proxy(`listeners:
  - { address: 127.0.0.1, port: 0, protocol: tcp, cluster: db, proxy_protocol: { trusted: [127.0.0.1] } }
clusters:
  db: { proxy_protocol: v1, backends: ["${capture.address}"] }
`);
    const c = await client(junction.port);
    await c.write(Buffer.from(`${V1}\x00binary\xffpayload`, 'latin1'));
    await c.readUntil((r) => r.includes('payload'));
    expect(capture.received[0]!.toString('latin1')).toBe(`${V1}\x00binary\xffpayload`);
    // The capture echoes what it got, header included: the client sees exactly the same bytes back.
    await c.readUntil((r) => r.length === capture.received[0]!.length);
    expect(c.received.equals(capture.received[0]!)).toBe(true);
  });

  test('active health checks send LOCAL, so a backend that requires a header passes them', async () => {
    const headers: string[] = [];
    // Closes any connection that does not start with a PROXY header; answers 200 otherwise.
    const strict = await rawBackend((socket) => {
      let seen = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        seen = Buffer.concat([seen, chunk]);
        const parsed = parseProxyHeader(seen);
        if (parsed.kind === 'reject') socket.destroy();
        if (parsed.kind !== 'done' || !seen.includes('\r\n\r\n', parsed.consumed)) return;
        headers.push(parsed.header.endpoints === undefined ? 'local' : parsed.header.endpoints.sourceAddress);
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
      });
    }, 'strict-proxy');
    onTestFinished(() => strict.close());
    const junction = await proxy(`routes: [{ cluster: app }]
clusters:
  app:
    proxy_protocol: v2
    health: { active: { path: /health, interval: 100ms, timeout: 100ms, healthy_threshold: 1 } }
    backends: ["${strict.address}"]
`);
    await waitFor(() => junction.server.upstreams()[0]!.lastCheckStatus === 200, { what: 'a passing check' });
    expect(headers[0]).toBe('local');
    const c = await client(junction.port);
    expect((await c.exchange(GET)).statusCode).toBe(200);
    expect(headers).toContain('127.0.0.1');
  });

  describe('before TLS', () => {
    let ca: TestCa;
    beforeAll(() => {
      ca = createTestCa('PROXY Test CA');
    });
    afterAll(() => {
      ca.close();
    });

    test('the header goes first, in clear, and TLS starts after it', async () => {
      const pair = ca.issue(['backend.test']);
      const headers: Buffer[] = [];
      // Reads the PROXY header in clear, then serves HTTPS on the rest of the stream.
      const backend = await rawBackend((socket: Socket) => {
        let seen = Buffer.alloc(0);
        const onData = (chunk: Buffer): void => {
          seen = Buffer.concat([seen, chunk]);
          const parsed = parseProxyHeader(seen);
          if (parsed.kind === 'need-more') return;
          socket.removeListener('data', onData);
          if (parsed.kind === 'reject') {
            socket.destroy();
            return;
          }
          headers.push(seen.subarray(0, parsed.consumed));
          // TLS over a stream that starts with the bytes after the header: a TLSSocket given the
          // net.Socket itself would read its handle directly and miss bytes already read.
          const rest = new Duplex({
            read: () => undefined,
            write: (chunk: Buffer, _encoding, callback) => socket.write(chunk, callback),
            final: (callback) => socket.end(callback),
          });
          rest.push(seen.subarray(parsed.consumed));
          socket.on('data', (more: Buffer) => rest.push(more));
          socket.on('end', () => rest.push(null));
          const secure = new TLSSocket(rest, { isServer: true, cert: pair.cert, key: pair.key });
          secure.on('error', () => undefined);
          secure.once('data', () => {
            secure.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\ntls');
          });
        };
        socket.on('data', onData);
      }, 'proxy-then-tls');
      onTestFinished(() => backend.close());
      const junction = await proxy(`routes: [{ cluster: app }]
clusters:
  app: { proxy_protocol: v2, tls: { verify: false }, backends: ["https://${backend.address}"] }
`);
      const c = await client(junction.port);
      const res = await c.exchange(GET);
      expect(res.statusCode).toBe(200);
      expect(res.body.toString()).toBe('tls');
      expect(headers).toHaveLength(1);
      expect(parseProxyHeader(headers[0]!)).toMatchObject({
        kind: 'done',
        header: { version: 2, endpoints: { sourceAddress: '127.0.0.1', sourcePort: c.socket.localPort } },
      });
    });
  });

  test('serialised v1 bytes are what the spec shows', () => {
    expect(
      serializeProxyV1({
        family: 4,
        sourceAddress: '1.2.3.4',
        sourcePort: 1,
        destinationAddress: '5.6.7.8',
        destinationPort: 2,
      }).toString(),
    ).toBe('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n');
  });
});
