/**
 * Self-test of test/support without Junction: every backend behaves as its name says, and the clients and
 * the framer see exactly that. If one of these fails, the Junction e2e failures are not Junction's.
 */
import { connect } from 'node:net';
import { describe, expect, onTestFinished, test } from 'vitest';
import {
  bigBodyBackend,
  captureBackend,
  chunkedBackend,
  closeBeforeHeadBackend,
  closedPort,
  closeMidBodyBackend,
  countingBackend,
  echoBackend,
  garbageBackend,
  neverAnswerBackend,
  rawBackend,
  resetOnConnectBackend,
  sinkBackend,
  slowHeadBackend,
  type EchoReply,
  type SinkReply,
} from '../support/backends.ts';
import { keepAliveAgent, parseResponses, rawRequest, RawClient, request } from '../support/clients.ts';
import { parseRequests } from '../support/http-frames.ts';
import { MiB, trackMemory } from '../support/memory.ts';
import { patternSha256, patternStream, sha256 } from '../support/pattern.ts';
import { delay, waitFor, withTimeout } from '../support/wait-for.ts';

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;

describe('http backends', () => {
  test('echoBackend answers JSON describing the request and records it', async () => {
    const echo = await echoBackend('alpha');
    onTestFinished(() => echo.close());
    const res = await request(echo.port, {
      method: 'POST',
      path: '/x?y=1',
      headers: { 'x-a': 'b' },
      body: 'hello',
    });
    const reply = res.json() as EchoReply;
    expect(res.status).toBe(200);
    expect(reply).toMatchObject({ backend: 'alpha', method: 'POST', url: '/x?y=1', bodyLength: 5 });
    expect(reply.bodySha256).toBe(sha256('hello'));
    expect(reply.headers['x-a']).toBe('b');
    expect(echo.requests).toHaveLength(1);
    expect(echo.requests[0]?.bodyText).toBe('hello');
  });

  test('echoBackend counts one connection for keep-alive requests and one per agent:false request', async () => {
    const echo = await echoBackend('alpha');
    onTestFinished(() => echo.close());
    const agent = keepAliveAgent();
    onTestFinished(() => {
      agent.destroy();
    });
    const reused: boolean[] = [];
    for (let i = 0; i < 5; i++) reused.push((await request(echo.port, { agent })).reusedSocket);
    expect(echo.connections).toBe(1);
    expect(reused).toEqual([false, true, true, true, true]);
    await request(echo.port);
    await request(echo.port);
    expect(echo.connections).toBe(3);
    expect(echo.requests.map((r) => r.connectionId)).toEqual([1, 1, 1, 1, 1, 2, 3]);
  });

  test('an http backend closes idle keep-alive connections after keepAliveTimeoutMs and counts it', async () => {
    const echo = await echoBackend('short', { keepAliveTimeoutMs: 100 });
    onTestFinished(() => echo.close());
    const client = await RawClient.connect(echo.port);
    onTestFinished(() => client.close());
    await client.exchange(GET('/'));
    expect(echo.closedConnections).toBe(0);
    expect(await client.waitForEnd(2_000)).toBe(true);
    await waitFor(() => echo.closedConnections === 1);
  });

  test('countingBackend answers its name', async () => {
    const counting = await countingBackend('c1');
    onTestFinished(() => counting.close());
    const res = await request(counting.port);
    expect(res.text).toBe('c1');
    expect(counting.requests).toHaveLength(1);
  });

  test('slowHeadBackend holds the head for its delay but counts the request at once', async () => {
    const slow = await slowHeadBackend(200);
    onTestFinished(() => slow.close());
    const started = Date.now();
    const pending = request(slow.port);
    await waitFor(() => slow.requestsStarted === 1, { what: 'request seen' });
    expect(Date.now() - started).toBeLessThan(150);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  test('chunkedBackend drips chunked frames', async () => {
    const chunked = await chunkedBackend({ chunks: ['one-', 'two-', 'three'], intervalMs: 30 });
    onTestFinished(() => chunked.close());
    const result = await rawRequest(chunked.port, GET('/'), { responses: 1 });
    const [response] = result.responses;
    expect(response?.framing).toBe('chunked');
    expect(response?.body.toString()).toBe('one-two-three');
    expect(response?.raw.toString()).toContain('4\r\none-\r\n');
    expect(chunked.chunksWritten).toBe(3);
  });

  test('bigBodyBackend streams the pattern with bounded memory, and sinkBackend hashes an upload', async () => {
    const size = 128 * MiB;
    const big = await bigBodyBackend(size);
    const sink = await sinkBackend();
    onTestFinished(() => big.close());
    onTestFinished(() => sink.close());
    const expected = patternSha256(size);
    const memory = trackMemory();
    const down = await request(big.port, { collectBody: false, timeoutMs: 30_000 });
    const up = await request(sink.port, { method: 'POST', body: patternStream(size), timeoutMs: 30_000 });
    const growth = memory.stop();
    expect(down.bodyLength).toBe(size);
    expect(down.bodySha256).toBe(expected);
    expect(up.json() as SinkReply).toMatchObject({ bytes: size, sha256: expected });
    expect((up.json() as SinkReply).headers['transfer-encoding']).toBe('chunked');
    // The harness alone must stay far below the budget the proxy tests allow (64 MiB live).
    expect(growth.samples).toBeGreaterThan(0);
    expect(growth.liveBytes).toBeLessThan(8 * MiB);
    expect(growth.rssBytes).toBeLessThan(64 * MiB);
  }, 30_000);
});

describe('raw backends', () => {
  test('captureBackend records exact bytes and answers each request, pipelined or not', async () => {
    const capture = await captureBackend();
    onTestFinished(() => capture.close());
    const sent =
      'POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello' +
      'POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n' +
      GET('/c');
    const result = await rawRequest(capture.port, sent, { responses: 3 });
    expect(result.responses.map((r) => r.body.toString())).toEqual(['ok', 'ok', 'ok']);
    expect(capture.received.toString('latin1')).toBe(sent);
    expect(capture.requests.map((r) => [r.method, r.target, r.body.toString()])).toEqual([
      ['POST', '/a', 'hello'],
      ['POST', '/b', 'abcde'],
      ['GET', '/c', ''],
    ]);
    expect(capture.requests[1]?.trailers).toEqual([['X-T', '1']]);
  });

  test('captureBackend waits for a request split over several writes', async () => {
    const capture = await captureBackend();
    onTestFinished(() => capture.close());
    const client = await RawClient.connect(capture.port);
    onTestFinished(() => client.close());
    await client.write('POST / HTTP/1.1\r\nHost: t\r\nContent-Len');
    await client.write('gth: 4\r\n\r\nab');
    await delay(30);
    expect(capture.requests).toHaveLength(0);
    const response = await client.exchange('cd');
    expect(response.statusCode).toBe(200);
    expect(capture.requests[0]?.body.toString()).toBe('abcd');
  });

  test('garbageBackend answers bytes that are not HTTP, then closes', async () => {
    const garbage = await garbageBackend();
    onTestFinished(() => garbage.close());
    const result = await rawRequest(garbage.port, GET('/'));
    expect(result.ended).toBe(true);
    expect(result.text).toContain('not an HTTP response');
    expect(result.parseError).toMatch(/status line/);
    expect(() => parseResponses(result.data)).toThrow(/status line/);
  });

  test('closeMidBodyBackend promises 1000 bytes, sends 10, and closes', async () => {
    const backend = await closeMidBodyBackend();
    onTestFinished(() => backend.close());
    const result = await rawRequest(backend.port, GET('/'));
    expect(result.ended).toBe(true);
    expect(result.responses).toHaveLength(1);
    expect(result.responses[0]).toMatchObject({
      statusCode: 200,
      complete: false,
      framing: 'content-length',
    });
    expect(result.responses[0]?.body).toHaveLength(10);
  });

  test('closeMidBodyBackend can cut a chunked body short too', async () => {
    const backend = await closeMidBodyBackend({ chunked: true });
    onTestFinished(() => backend.close());
    const result = await rawRequest(backend.port, GET('/'));
    expect(result.ended).toBe(true);
    expect(result.responses[0]).toMatchObject({ complete: false, framing: 'chunked' });
    expect(result.responses[0]?.body).toHaveLength(10);
  });

  test('neverAnswerBackend stays silent until the deadline', async () => {
    const silent = await neverAnswerBackend();
    onTestFinished(() => silent.close());
    const result = await rawRequest(silent.port, GET('/'), { timeoutMs: 200 });
    expect(result).toMatchObject({ timedOut: true, ended: false });
    expect(result.data).toHaveLength(0);
    expect(silent.connections).toBe(1);
  });

  test('closeBeforeHeadBackend closes without a response, or after a cut-off head', async () => {
    const empty = await closeBeforeHeadBackend();
    const partial = await closeBeforeHeadBackend({ partialHead: 'HTTP/1.1 200 OK\r\nContent-' });
    onTestFinished(() => empty.close());
    onTestFinished(() => partial.close());
    const a = await rawRequest(empty.port, GET('/'));
    const b = await rawRequest(partial.port, GET('/'));
    expect(a).toMatchObject({ ended: true, timedOut: false });
    expect(a.data).toHaveLength(0);
    expect(b.ended).toBe(true);
    expect(b.text).toBe('HTTP/1.1 200 OK\r\nContent-');
    expect(b.responses).toHaveLength(0);
  });

  test('resetOnConnectBackend resets the connection', async () => {
    const reset = await resetOnConnectBackend();
    onTestFinished(() => reset.close());
    // The reset may arrive before or after the client sees the connection established.
    const outcome = await rawRequest(reset.port, GET('/')).then(
      (result) => ({ ended: result.ended, bytes: result.data.length }),
      (error: unknown) => ({ ended: true, bytes: 0, error: String(error) }),
    );
    expect(outcome).toMatchObject({ ended: true, bytes: 0 });
    if ('error' in outcome) expect(outcome.error).toMatch(/ECONNRESET/);
  });

  test('closedPort refuses connections', async () => {
    expect.assertions(1);
    const port = await closedPort();
    const code = await new Promise<string | undefined>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        resolve(error.code);
      });
    });
    expect(code).toBe('ECONNREFUSED');
  });
});

describe('clients', () => {
  test('readUntil accumulates across reads that arrive apart', async () => {
    const dribble = await rawBackend((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Le');
        setTimeout(() => socket.write('ngth: 3\r\n\r\nab'), 20);
        setTimeout(() => socket.write('c'), 40);
      });
    });
    onTestFinished(() => dribble.close());
    const client = await RawClient.connect(dribble.port);
    onTestFinished(() => client.close());
    await client.write(GET('/'));
    const [response] = await client.readResponses(1);
    expect(response?.body.toString()).toBe('abc');
    expect(client.ended).toBe(false);
  });

  test('readUntil rejects with what arrived when the deadline passes', async () => {
    const silent = await neverAnswerBackend();
    onTestFinished(() => silent.close());
    const client = await RawClient.connect(silent.port);
    onTestFinished(() => client.close());
    await expect(client.readUntil((b) => b.length > 0, 100)).rejects.toThrow(
      /not within 100 ms; received 0 bytes/,
    );
  });

  test('readResponses walks through pipelined responses in order', async () => {
    const echo = await echoBackend('e');
    onTestFinished(() => echo.close());
    const client = await RawClient.connect(echo.port);
    onTestFinished(() => client.close());
    await client.write(GET('/1') + GET('/2') + GET('/3'));
    const first = await client.readResponses(1);
    const rest = await client.readResponses(2);
    expect(
      [...first, ...rest].map((r) => JSON.parse(r.body.toString()) as EchoReply).map((r) => r.url),
    ).toEqual(['/1', '/2', '/3']);
    await client.write('GET /4 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    await client.readResponses(1);
    expect(await client.waitForEnd(2_000)).toBe(true);
  });

  test('request with agent:false reports a fresh socket; a timeout rejects', async () => {
    const silent = await neverAnswerBackend();
    onTestFinished(() => silent.close());
    await expect(request(silent.port, { timeoutMs: 100 })).rejects.toThrow(/no full response in 100 ms/);
  });
});

describe('parseResponses', () => {
  test('frames Content-Length, chunked with trailers, close-delimited, 1xx, 204, 304 and HEAD', () => {
    const bytes = Buffer.from(
      'HTTP/1.1 100 Continue\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc' +
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nde\r\n0\r\nX-T: y\r\n\r\n' +
        'HTTP/1.1 204 No Content\r\n\r\n' +
        'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n' +
        'HTTP/1.0 200 OK\r\nX-A: 1\r\nx-a: 2\r\n\r\nuntil close',
    );
    const responses = parseResponses(bytes, {
      eof: true,
      requestMethods: ['GET', 'GET', 'GET', 'GET', 'HEAD'],
    });
    expect(responses.map((r) => [r.statusCode, r.framing, r.body.toString(), r.complete])).toEqual([
      [100, 'none', '', true],
      [200, 'content-length', 'abc', true],
      [200, 'chunked', 'de', true],
      [204, 'none', '', true],
      [304, 'none', '', true],
      [200, 'none', '', true],
      [200, 'close', 'until close', true],
    ]);
    expect(responses[2]?.trailers).toEqual([['X-T', 'y']]);
    expect(responses[6]?.headers['x-a']).toBe('1, 2');
    expect(Buffer.concat(responses.map((r) => r.raw)).equals(bytes)).toBe(true);
  });

  test('reports a cut-off last message as incomplete and ignores a partial head', () => {
    expect(parseResponses(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'))).toMatchObject([
      { complete: false, body: Buffer.from('ab') },
    ]);
    expect(
      parseResponses(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n')),
    ).toMatchObject([{ complete: false, framing: 'chunked' }]);
    expect(parseResponses(Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc'))).toMatchObject([
      { complete: false, framing: 'close' },
    ]);
    expect(parseResponses(Buffer.from('HTTP/1.1 200 OK\r\nContent-'))).toEqual([]);
    expect(parseRequests(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toHaveLength(1);
  });
});

describe('waitFor', () => {
  test('resolves with the first truthy value and times out with a named error', async () => {
    let n = 0;
    await expect(waitFor(() => ++n >= 3 && n, { intervalMs: 1 })).resolves.toBe(3);
    await expect(waitFor(() => false, { timeoutMs: 50, what: 'the impossible' })).rejects.toThrow(
      /the impossible not met within 50 ms/,
    );
    await expect(withTimeout(delay(1_000), 20, 'slow thing')).rejects.toThrow(/slow thing: not settled/);
  });
});
