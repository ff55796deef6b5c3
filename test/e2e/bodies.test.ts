/**
 * Bodies and headers in transit: chunked and Content-Length bodies are forwarded byte-exact in both
 * directions and streamed (a huge transfer costs bounded memory), hop-by-hop headers are dropped, and
 * X-Forwarded-For/-Proto/-Host are added as configured.
 */
import { expect, onTestFinished, test } from 'vitest';
import {
  bigBodyBackend,
  captureBackend,
  chunkedBackend,
  echoBackend,
  rawBackend,
  sinkBackend,
  type EchoReply,
  type SinkReply,
} from '../support/backends.ts';
import { rawRequest, RawClient, request } from '../support/clients.ts';
import { MiB, trackMemory } from '../support/memory.ts';
import { patternSha256, patternStream, sha256 } from '../support/pattern.ts';
import { proxyToBackend } from '../support/start-junction.ts';

/**
 * Size of the big streamed transfers: 1 GiB. On a 2-core machine (client, Junction and backend share one
 * process) the upload took about 6 s and the download about 7 s, so the full size stays in the suite;
 * JUNCTION_E2E_BIG_BYTES overrides it (e.g. 268435456 for a quicker local run).
 */
const BIG_BYTES = Number(process.env['JUNCTION_E2E_BIG_BYTES'] ?? 1024 * MiB);
const BIG_LABEL = `${Math.round(BIG_BYTES / MiB)} MiB`;
/** Growth of live memory (heap + buffers, after GC) allowed during a big transfer. */
const MEMORY_BUDGET_BYTES = 64 * MiB;
/** A coarse second bound on resident memory, which also counts garbage not yet collected. */
const RSS_BUDGET_BYTES = 256 * MiB;

test('a chunked request body reaches the backend byte for byte', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const parts = ['hello ', 'chunked ', 'x'.repeat(5000), ' world'];
  await client.write('POST /upload HTTP/1.1\r\nHost: b.test\r\nTransfer-Encoding: chunked\r\n\r\n');
  for (const part of parts) await client.write(`${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`);
  await client.write('0\r\n\r\n');
  const [response] = await client.readResponses(1);
  const reply = JSON.parse(response!.body.toString()) as EchoReply;
  expect(response?.statusCode).toBe(200);
  expect(reply.bodyLength).toBe(parts.join('').length);
  expect(reply.bodySha256).toBe(sha256(parts.join('')));
  expect(backend.requests[0]?.bodyText).toBe(parts.join(''));
});

test('a chunked response is forwarded chunked, and streamed as its chunks arrive', async () => {
  const backend = await chunkedBackend({ chunks: ['alpha-', 'beta-', 'gamma'], intervalMs: 150 });
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  await client.write('GET / HTTP/1.1\r\nHost: b.test\r\n\r\n');
  await client.readUntil((received) => received.includes('alpha-'));
  // The first chunk reached the client while the backend still had chunks to write.
  expect(backend.chunksWritten).toBeLessThan(3);
  const [response] = await client.readResponses(1);
  expect(response?.framing).toBe('chunked');
  expect(response?.headers['content-length']).toBeUndefined();
  expect(response?.body.toString()).toBe('alpha-beta-gamma');
});

test('Content-Length bodies are forwarded with Content-Length in both directions', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const body = Buffer.alloc(100 * 1024, 'abcdefgh');
  const res = await request(junction.port, { method: 'POST', path: '/cl', body });
  const reply = res.json() as EchoReply;
  expect(reply.headers['content-length']).toBe(String(body.length));
  expect(reply.headers['transfer-encoding']).toBeUndefined();
  expect(reply.bodySha256).toBe(sha256(body));
  expect(res.headers['content-length']).toBe(String(res.bodyLength));
  expect(res.headers['transfer-encoding']).toBeUndefined();
});

test(`a ${BIG_LABEL} streamed upload passes through with bounded memory`, async () => {
  const backend = await sinkBackend();
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const expected = patternSha256(BIG_BYTES);
  const memory = trackMemory();
  const res = await request(junction.port, {
    method: 'POST',
    path: '/big-upload',
    body: patternStream(BIG_BYTES),
    timeoutMs: 55_000,
  });
  const growth = memory.stop();
  expect(res.status).toBe(200);
  expect(res.json() as SinkReply).toMatchObject({ bytes: BIG_BYTES, sha256: expected });
  expect(growth.liveBytes).toBeLessThan(MEMORY_BUDGET_BYTES);
  expect(growth.rssBytes).toBeLessThan(RSS_BUDGET_BYTES);
}, 60_000);

test(`a ${BIG_LABEL} streamed download passes through with bounded memory`, async () => {
  const backend = await bigBodyBackend(BIG_BYTES);
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const expected = patternSha256(BIG_BYTES);
  const memory = trackMemory();
  const res = await request(junction.port, { path: '/big-download', collectBody: false, timeoutMs: 55_000 });
  const growth = memory.stop();
  expect(res.status).toBe(200);
  expect(res.bodyLength).toBe(BIG_BYTES);
  expect(res.bodySha256).toBe(expected);
  expect(growth.liveBytes).toBeLessThan(MEMORY_BUDGET_BYTES);
  expect(growth.rssBytes).toBeLessThan(RSS_BUDGET_BYTES);
}, 60_000);

const HOP_BY_HOP = ['keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding'];

test('hop-by-hop request headers, and those Connection lists, are not forwarded', async () => {
  const backend = await captureBackend();
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const response = await client.exchange(
    'GET /hop HTTP/1.1\r\nHost: b.test\r\n' +
      'Connection: keep-alive, X-Private-Hop\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n' +
      'TE: trailers\r\nTrailer: X-Checksum\r\nUpgrade: example/1\r\nX-Private-Hop: secret\r\n' +
      'X-End-To-End: kept\r\n\r\n',
  );
  expect(response.statusCode).toBe(200);
  const [forwarded] = backend.requests;
  const names = forwarded!.rawHeaders.map(([name]) => name.toLowerCase());
  for (const hop of [...HOP_BY_HOP, 'x-private-hop']) expect(names).not.toContain(hop);
  expect(forwarded?.headers['connection'] ?? 'keep-alive').toMatch(/^(keep-alive|close)$/i);
  expect(forwarded?.headers['x-end-to-end']).toBe('kept');
});

test('hop-by-hop response headers, and those Connection lists, are not forwarded', async () => {
  const backend = await captureBackend({
    response:
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n' +
      'Connection: X-Upstream-Hop\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n' +
      'Trailer: X-Checksum\r\nUpgrade: example/1\r\nX-Upstream-Hop: secret\r\nX-End-To-End: kept\r\n\r\nok',
  });
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const response = await client.exchange('GET / HTTP/1.1\r\nHost: b.test\r\n\r\n');
  const names = response.rawHeaders.map(([name]) => name.toLowerCase());
  for (const hop of [...HOP_BY_HOP, 'x-upstream-hop']) expect(names).not.toContain(hop);
  expect(response.headers['x-end-to-end']).toBe('kept');
  expect(response.body.toString()).toBe('ok');
});

test('X-Forwarded-For gets the client address appended; -Proto and -Host are set', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(
    backend,
    'forwarded: { x_forwarded_for: true, x_forwarded_proto: true, x_forwarded_host: true }',
  );
  const chained = (
    (await request(junction.port, {
      headers: { host: 'shop.example.com', 'x-forwarded-for': '203.0.113.9' },
    }).then((r) => r.json())) as EchoReply
  ).headers;
  const fresh = (
    (await request(junction.port, { headers: { host: 'shop.example.com' } })).json() as EchoReply
  ).headers;
  expect(chained['x-forwarded-for']).toMatch(/^203\.0\.113\.9,\s*127\.0\.0\.1$/);
  expect(chained['x-forwarded-proto']).toBe('http');
  expect(chained['x-forwarded-host']).toBe('shop.example.com');
  expect(fresh['x-forwarded-for']).toBe('127.0.0.1');
});

test('with X-Forwarded-* turned off, nothing is added and a client X-Forwarded-For passes unchanged', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(
    backend,
    'forwarded: { x_forwarded_for: false, x_forwarded_proto: false, x_forwarded_host: false }',
  );
  const res = await request(junction.port, {
    headers: { host: 'shop.example.com', 'x-forwarded-for': '203.0.113.9' },
  });
  const headers = (res.json() as EchoReply).headers;
  expect(headers['x-forwarded-for']).toBe('203.0.113.9');
  expect(headers['x-forwarded-proto']).toBeUndefined();
  expect(headers['x-forwarded-host']).toBeUndefined();
});

test('a response to HEAD carries no body despite its Content-Length, and the connection stays in step', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  await client.write('HEAD /h HTTP/1.1\r\nHost: b.test\r\n\r\n');
  const [head] = await client.readResponses(1, { requestMethods: ['HEAD'] });
  expect(head?.statusCode).toBe(200);
  expect(Number(head?.headers['content-length'])).toBeGreaterThan(0);
  const next = await client.exchange('GET /after HTTP/1.1\r\nHost: b.test\r\n\r\n');
  expect((JSON.parse(next.body.toString()) as EchoReply).url).toBe('/after');
});

test('204 and 304 responses carry no body, and the connection stays in step', async () => {
  const backend = await captureBackend({
    response: (req) =>
      req.target === '/204'
        ? 'HTTP/1.1 204 No Content\r\nX-Kind: empty\r\n\r\n'
        : req.target === '/304'
          ? 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n'
          : 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext',
  });
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: b.test\r\n\r\n`;
  expect((await client.exchange(get('/204'))).statusCode).toBe(204);
  expect((await client.exchange(get('/304'))).statusCode).toBe(304);
  const next = await client.exchange(get('/next'));
  expect(next.body.toString()).toBe('next');
  expect(client.received.toString('latin1')).not.toMatch(/^transfer-encoding/im);
});

test('repeated response fields such as Set-Cookie reach the client as separate fields', async () => {
  const backend = await captureBackend({
    response:
      'HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\nContent-Length: 2\r\n\r\nok',
  });
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const response = await client.exchange('GET / HTTP/1.1\r\nHost: b.test\r\n\r\n');
  const cookies = response.rawHeaders
    .filter(([name]) => name.toLowerCase() === 'set-cookie')
    .map(([, v]) => v);
  expect(cookies).toEqual(['a=1; Path=/', 'b=2; Path=/']);
});

test('X-Forwarded-Proto and -Host sent by the client are replaced, not trusted', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(
    backend,
    'forwarded: { x_forwarded_for: true, x_forwarded_proto: true, x_forwarded_host: true }',
  );
  const res = await request(junction.port, {
    headers: { host: 'shop.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.test' },
  });
  const headers = (res.json() as EchoReply).headers;
  expect(headers['x-forwarded-proto']).toBe('http');
  expect(headers['x-forwarded-host']).toBe('shop.example.com');
});

test('a request head and body written one byte at a time are reassembled and forwarded', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const bytes = 'POST /split HTTP/1.1\r\nHost: b.test\r\nContent-Length: 5\r\n\r\nhello';
  client.socket.setNoDelay(true);
  for (const byte of bytes) await client.write(byte);
  const [response] = await client.readResponses(1);
  const reply = JSON.parse(response!.body.toString()) as EchoReply;
  expect(reply).toMatchObject({ url: '/split', bodyLength: 5, bodySha256: sha256('hello') });
});

test('a 16 KiB response head arriving in pieces is forwarded intact', async () => {
  const big = 'v'.repeat(16 * 1024);
  const backend = await rawBackend((socket) => {
    socket.once('data', () => {
      const head = `HTTP/1.1 200 OK\r\nX-Big: ${big}\r\nContent-Length: 4\r\n\r\n`;
      const third = Math.floor(head.length / 3);
      socket.write(head.slice(0, third));
      setTimeout(() => socket.write(head.slice(third, 2 * third)), 20);
      setTimeout(() => socket.write(`${head.slice(2 * third)}done`), 40);
    });
  });
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  const response = await client.exchange('GET / HTTP/1.1\r\nHost: b.test\r\n\r\n');
  expect(response.statusCode).toBe(200);
  expect(response.headers['x-big']).toBe(big);
  expect(response.body.toString()).toBe('done');
});

test('a close-delimited upstream body is forwarded whole', async () => {
  const backend = await rawBackend((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody-');
      setTimeout(() => socket.end('until-close'), 30);
    });
  });
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const result = await rawRequest(junction.port, 'GET / HTTP/1.1\r\nHost: b.test\r\n\r\n', { responses: 1 });
  const [response] = result.responses;
  expect(response?.statusCode).toBe(200);
  expect(response?.body.toString()).toBe('body-until-close');
  expect(response?.complete).toBe(true);
});

test('an HTTP/1.0 request without Host goes upstream as HTTP/1.1 with the upstream as its Host', async () => {
  const backend = await captureBackend();
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const result = await rawRequest(junction.port, 'GET /old HTTP/1.0\r\n\r\n', { responses: 1 });
  expect(result.responses[0]?.statusCode).toBe(200);
  const [forwarded] = backend.requests;
  expect(forwarded?.headers['host']).toBe(backend.address);
  expect(forwarded?.rawHeaders.filter(([name]) => name.toLowerCase() === 'host')).toHaveLength(1);
});
