/**
 * HTTP/2 to backends (`protocol: h2c` and `h2`): an HTTP/1.1 client through Junction to node:http2
 * backends. Translation both ways (pseudo-headers, no connection fields, bodies streamed, trailers),
 * multiplexing on shared sessions under SETTINGS_MAX_CONCURRENT_STREAMS, GOAWAY, resets (a refused
 * stream replayed, another kind failing cleanly), a backend down, upgrades refused, ALPN over TLS, and
 * backpressure from a slow client to the backend's stream.
 */
import { constants, type ServerHttp2Stream } from 'node:http2';
import { Agent, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Readable } from 'node:stream';
import { expect, onTestFinished, test } from 'vitest';
import { closedPort, rawBackend } from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { rawRequest, request } from '../support/clients.ts';
import { echoHeaders, h2Backend, type H2Backend } from '../support/h2-backends.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { listenForTest } from '../support/servers.ts';
import { waitFor } from '../support/wait-for.ts';

async function proxyToH2(
  backend: H2Backend | number,
  clusterYaml = 'protocol: h2c',
  extra = '',
): Promise<RunningJunction> {
  const address = typeof backend === 'number' ? `127.0.0.1:${backend}` : backend.address;
  const junction = await startJunctionFromYaml(`
routes:
  - { match: { path: / }, cluster: app }
clusters:
  app: { ${clusterYaml}, backends: ['${address}'] }
${extra}`);
  onTestFinished(() => junction.close());
  return junction;
}

interface Echo {
  headers: Record<string, string>;
  bytes: number;
}

test('an HTTP/1.1 request reaches an h2c backend translated, and its answer comes back', async () => {
  const backend = await h2Backend(echoHeaders);
  const junction = await proxyToH2(backend);
  const response = await request(junction.port, {
    path: '/a/b?c=1',
    headers: {
      host: 'app.test:8080',
      connection: 'keep-alive, x-hop',
      'x-hop': 'dropped',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'x-kept': 'yes',
    },
  });
  expect(response.status).toBe(200);
  expect(response.headers['x-backend']).toBe('h2');
  const echo = response.json() as Echo;
  expect(echo.headers[':method']).toBe('GET');
  expect(echo.headers[':path']).toBe('/a/b?c=1');
  expect(echo.headers[':authority']).toBe('app.test:8080');
  expect(echo.headers[':scheme']).toBe('http');
  expect(echo.headers['x-kept']).toBe('yes');
  expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
  for (const name of ['host', 'connection', 'keep-alive', 'x-hop', 'te', 'transfer-encoding']) {
    expect(echo.headers[name]).toBeUndefined();
  }
});

test('requests share one multiplexed session; streams beyond SETTINGS_MAX_CONCURRENT_STREAMS open another up to max_total, then wait', async () => {
  const held: ServerHttp2Stream[] = [];
  const backend = await h2Backend(
    (stream) => {
      held.push(stream);
      stream.respond({ ':status': 200 });
      // Held open until released below, so streams overlap.
    },
    { settings: { maxConcurrentStreams: 1 } },
  );
  const junction = await proxyToH2(backend, 'protocol: h2c, pool: { max_total: 2 }');
  const agent = new Agent({ keepAlive: true, maxSockets: 6 });
  onTestFinished(() => {
    agent.destroy();
  });
  const pending = Array.from({ length: 5 }, (_, i) => request(junction.port, { path: `/${i}`, agent }));
  await waitFor(() => held.length === 2, { timeoutMs: 5000 });
  expect(backend.sessions).toHaveLength(2);
  // Release one at a time: every waiting request gets a stream as one frees.
  while (held.length < 5 || held.some((s) => !s.closed)) {
    const open = held.find((s) => !s.closed && !s.writableEnded);
    if (open !== undefined) open.end('done');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const responses = await Promise.all(pending);
  expect(responses.map((r) => r.text)).toEqual(['done', 'done', 'done', 'done', 'done']);
  expect(backend.peakStreamsPerSession).toBe(1);
  expect(backend.sessions).toHaveLength(2);
});

test('without a stream limit, concurrent requests go on one session', async () => {
  const backend = await h2Backend(echoHeaders);
  const junction = await proxyToH2(backend);
  await request(junction.port); // opens the session
  const responses = await Promise.all(Array.from({ length: 20 }, () => request(junction.port)));
  expect(responses.every((r) => r.status === 200)).toBe(true);
  expect(backend.sessions).toHaveLength(1);
});

test('a chunked request body is streamed as DATA, and the response carries the backend trailers', async () => {
  const backend = await h2Backend((stream) => {
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => {
        stream.sendTrailers({ 'x-checksum': 'abc', 'grpc-status': '0' });
      });
      stream.end(`got ${bytes}`);
    });
  });
  const junction = await proxyToH2(backend);
  const parts = Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024, 120));
  const { status, text, trailers } = await new Promise<{
    status: number;
    text: string;
    trailers: NodeJS.Dict<string>;
  }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: junction.port, method: 'POST', path: '/' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString(),
          trailers: res.trailers,
        });
      });
    });
    req.on('error', reject);
    Readable.from(parts).pipe(req);
  });
  expect(status).toBe(200);
  expect(text).toBe(`got ${64 * 64 * 1024}`);
  expect(trailers['x-checksum']).toBe('abc');
  expect(trailers['grpc-status']).toBe('0');
  expect(backend.requests[0]!['transfer-encoding']).toBeUndefined();
});

test('GOAWAY: the stream in flight finishes, the next request goes on a new session', async () => {
  let first = true;
  const backend = await h2Backend((stream, _headers, session) => {
    if (first) {
      first = false;
      // Tell the client to stop, then finish this stream a little later.
      session.goaway(constants.NGHTTP2_NO_ERROR, stream.id);
      setTimeout(() => {
        stream.respond({ ':status': 200 });
        stream.end('in flight');
      }, 100);
      return;
    }
    stream.respond({ ':status': 200 });
    stream.end('after');
  });
  const junction = await proxyToH2(backend);
  expect((await request(junction.port)).text).toBe('in flight');
  expect((await request(junction.port)).text).toBe('after');
  expect(backend.sessions).toHaveLength(2);
});

test('a stream refused with REFUSED_STREAM is sent again (even a POST: it was never processed)', async () => {
  let refused = 0;
  const backend = await h2Backend((stream) => {
    if (refused === 0) {
      refused++;
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    echoHeaders(stream, {}, stream.session!, backend);
  });
  const junction = await proxyToH2(backend);
  const response = await request(junction.port, { method: 'POST', body: 'payload' });
  expect(response.status).toBe(200);
  expect((response.json() as Echo).bytes).toBe(7);
  expect(refused).toBe(1);
});

test('a stream reset otherwise fails the request with 502 JCT_ERR_UPSTREAM_RESET, and other streams go on', async () => {
  const backend = await h2Backend((stream, headers) => {
    if (headers[':path'] === '/reset') {
      stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    stream.respond({ ':status': 200 });
    stream.end('fine');
  });
  const junction = await proxyToH2(backend);
  const [reset, fine] = await Promise.all([
    request(junction.port, { method: 'POST', path: '/reset', body: 'x' }),
    request(junction.port, { path: '/fine' }),
  ]);
  expect(reset.status).toBe(502);
  expect(fine.text).toBe('fine');
});

test('a backend down answers 502/503 with a connect error, as for HTTP/1.1', async () => {
  const junction = await proxyToH2(await closedPort());
  const response = await request(junction.port);
  expect([502, 503]).toContain(response.status);
});

test('a backend that is not an HTTP/2 server fails the connect, not the process', async () => {
  const backend = await rawBackend((socket) => {
    socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
  });
  onTestFinished(() => backend.close());
  const junction = await proxyToH2(backend.port);
  const response = await request(junction.port);
  expect([502, 503]).toContain(response.status);
});

test('a WebSocket upgrade to an h2c cluster is refused with 502 JCT_ERR_UPGRADE_H2_UPSTREAM', async () => {
  const backend = await h2Backend(echoHeaders);
  const junction = await proxyToH2(backend);
  const result = await rawRequest(
    junction.port,
    'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  expect(result.responses[0]?.statusCode).toBe(502);
  expect(result.responses[0]?.body.toString()).toContain('HTTP/2');
  expect(backend.requests).toHaveLength(0);
});

test('protocol h2 speaks HTTP/2 over TLS by ALPN; a TLS backend without h2 fails the connect', async () => {
  const ca = createTestCa();
  onTestFinished(() => {
    ca.close();
  });
  const pair = ca.issue(['backend.test']);
  const caFile = `${process.cwd()}/test-h2back-ca-${process.pid}.pem`;
  const { writeFileSync, rmSync } = await import('node:fs');
  writeFileSync(caFile, ca.cert);
  onTestFinished(() => {
    rmSync(caFile, { force: true });
  });
  const tlsBackend = await h2Backend(echoHeaders, { tls: pair });
  const junction = await proxyToH2(
    tlsBackend,
    `protocol: h2, tls: { ca_file: '${caFile}', server_name: backend.test }`,
  );
  const response = await request(junction.port, { headers: { host: 'app.test' } });
  expect(response.status).toBe(200);
  expect((response.json() as Echo).headers[':scheme']).toBe('https');

  // An HTTPS/1.1-only backend: ALPN settles no h2, so no request goes.
  let h1Requests = 0;
  const h1Only = createHttpsServer({ cert: pair.cert, key: pair.key }, (_req, res) => {
    h1Requests++;
    res.end('h1');
  });
  const h1Port = await listenForTest(h1Only);
  const refused = await proxyToH2(
    h1Port,
    `protocol: h2, tls: { ca_file: '${caFile}', server_name: backend.test }`,
  );
  expect([502, 503]).toContain((await request(refused.port)).status);
  expect(h1Requests).toBe(0);
});

test('a slow client pauses the backend stream: flow control holds the body back, not Junction memory', async () => {
  const total = 64 * 1024 * 1024;
  let written = 0;
  const backend = await h2Backend((stream) => {
    stream.respond({ ':status': 200, 'content-length': String(total) });
    const chunk = Buffer.alloc(64 * 1024, 97);
    const pump = (): void => {
      while (written < total && !stream.destroyed) {
        written += chunk.length;
        if (!stream.write(chunk)) {
          stream.once('drain', pump);
          return;
        }
      }
      if (written >= total) stream.end();
    };
    pump();
  });
  const junction = await proxyToH2(backend);
  const { Socket } = await import('node:net');
  const socket = new Socket();
  onTestFinished(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve) => {
    socket.connect(junction.port, '127.0.0.1', resolve);
  });
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    // Read a little, then stop reading: the client is slow.
    if (!paused) {
      paused = true;
      socket.pause();
    }
  });
  let paused = false;
  socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await waitFor(() => written > 0, { timeoutMs: 5000 });
  let before = -1;
  // Wait until the backend stops getting to write (the windows and buffers are full).
  await waitFor(
    async () => {
      const now = written;
      const still = now === before;
      before = now;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return still;
    },
    { timeoutMs: 15_000 },
  );
  // Socket buffers (client and backend side), Junction's stream window and buffers: far below the body.
  expect(written).toBeLessThan(16 * 1024 * 1024);
  // Reading again lets it all through (the head's bytes are counted too).
  socket.resume();
  await waitFor(() => written >= total, { timeoutMs: 60_000 });
  await waitFor(() => received >= total, { timeoutMs: 30_000 });
}, 90_000);
