import { describe, expect, test } from 'vitest';
import { ConnectError } from '../errors/index.ts';
import { PAUSE_WAIT_UPSTREAM } from './session-port.ts';
import { bodyOf, startTransaction, statusLine } from './txn-fakes.test-suite.ts';

const GET = 'GET /a?b=1 HTTP/1.1\r\nHost: app.test\r\n\r\n';

describe('a transaction driven through its phases by scripted sides', () => {
  test('a response head split across reads is read whole, and the connection goes back reusable', () => {
    const h = startTransaction(GET);
    expect(h.router.handler).not.toBeNull();
    const upstream = h.router.connect();
    expect(upstream.text).toMatch(/^GET \/a\?b=1 HTTP\/1\.1\r\n/);
    expect(upstream.text).toContain('X-Forwarded-For: 192.0.2.7\r\n');
    upstream.send('HTTP/1.1 200 OK\r\nContent-Le');
    expect(h.session.writes).toHaveLength(0);
    upstream.send('ngth: 5\r\n\r\nhel');
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 200 OK');
    expect(h.session.done).toBeUndefined();
    upstream.send('lo');
    expect(bodyOf(h.session.text)).toBe('hello');
    expect(h.session.done).toBe(true);
    expect(h.router.released).toEqual([
      { channel: upstream, reusable: true, status: 200, errorCode: undefined },
    ]);
    expect(h.txn.isFinished).toBe(true);
  });

  test('a chunked response, and a chunked request body, fed one byte at a time', () => {
    const h = startTransaction('POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n');
    const upstream = h.router.connect();
    for (const byte of '4\r\nbody\r\n0\r\n\r\n') h.clientSends(byte);
    // Each run the decoder finds is one chunk upstream.
    expect(bodyOf(upstream.text)).toBe('1\r\nb\r\n1\r\no\r\n1\r\nd\r\n1\r\ny\r\n0\r\n\r\n');
    const response = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    for (const byte of response) upstream.send(byte);
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 200 OK');
    expect(bodyOf(h.session.text)).toBe('1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n');
    expect(h.session.done).toBe(true);
    expect(h.router.released[0]).toMatchObject({ reusable: true, status: 200 });
  });

  test('a small response that arrives whole goes out in one write', () => {
    const h = startTransaction(GET);
    h.router.connect().send('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    expect(h.session.writes).toHaveLength(1);
    expect(bodyOf(h.session.text)).toBe('ok');
    expect(h.session.done).toBe(true);
  });

  test('a late upstream: nothing is written until it is ready; the request body waits in the socket', () => {
    const h = startTransaction('POST /up HTTP/1.1\r\nHost: app.test\r\nContent-Length: 6\r\n\r\nabc');
    expect(h.session.paused & PAUSE_WAIT_UPSTREAM).toBe(PAUSE_WAIT_UPSTREAM);
    expect(h.txn.wantsRequestBody).toBe(true);
    h.clientSends('de');
    expect(h.session.writes).toHaveLength(0);
    const upstream = h.router.connect();
    expect(h.session.paused & PAUSE_WAIT_UPSTREAM).toBe(0);
    expect(bodyOf(upstream.text)).toBe('abcde');
    h.clientSends('fGET / HTTP/1.1\r\n');
    expect(bodyOf(upstream.text)).toBe('abcdef');
    expect(h.txn.wantsRequestBody).toBe(false);
    // What came after the body is the next pipelined request.
    expect(Buffer.concat(h.session.pipelined).toString()).toBe('GET / HTTP/1.1\r\n');
    upstream.send('HTTP/1.1 204 No Content\r\n\r\n');
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 204 No Content');
    expect(h.session.done).toBe(true);
  });

  test('a chunked request body is re-encoded chunk by chunk, its extensions dropped', () => {
    const h = startTransaction('POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n');
    const upstream = h.router.connect();
    h.clientSends('3;ext=1\r\nabc\r\n');
    h.clientSends('0\r\n\r\n');
    expect(upstream.text).toContain('Transfer-Encoding: chunked\r\n');
    expect(bodyOf(upstream.text)).toBe('3\r\nabc\r\n0\r\n\r\n');
    expect(h.txn.wantsRequestBody).toBe(false);
  });

  test('a chunked request body over the route limit is cut with a 413', () => {
    const yaml = `
listeners: [{ port: 0 }]
routes: [{ cluster: app, max_body_size: 4B }]
clusters:
  app: { backends: ['10.0.0.1:80'] }
`;
    const h = startTransaction('POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n', {
      yaml,
    });
    h.router.connect();
    h.clientSends('5\r\nabcde\r\n');
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 413 Content Too Large');
    expect(h.session.text).toContain('Connection: close\r\n');
    expect(h.router.released[0]).toMatchObject({ reusable: false, errorCode: 'JCT_ERR_HTTP_BODY_TOO_LARGE' });
  });

  test('an upstream that closes before a byte gets the client a 502', () => {
    const h = startTransaction(GET);
    h.router.connect().close();
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 502 Bad Gateway');
    expect(bodyOf(h.session.text)).toMatch(/^the upstream closed the connection early\nrequest id: /);
    expect(h.router.released).toEqual([
      expect.objectContaining({ reusable: false, errorCode: 'JCT_ERR_UPSTREAM_RESET' }),
    ]);
    expect(h.session.done).toBe(true);
  });

  test('an upstream that closes mid-body cuts the client: a truncated response never looks complete', () => {
    const h = startTransaction(GET);
    const upstream = h.router.connect();
    upstream.send('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial');
    upstream.close();
    expect(h.session.aborted).toBe(true);
    expect(h.session.done).toBeUndefined();
    expect(h.router.released).toEqual([
      expect.objectContaining({ reusable: false, status: 200, errorCode: 'JCT_ERR_UPSTREAM_RESET' }),
    ]);
  });

  test('a pooled connection found closed is replayed once on another', () => {
    const h = startTransaction(GET);
    h.router.retries = 1;
    h.router.connect(3).close();
    expect(h.router.retried).toEqual(['stale']);
    expect(h.session.writes).toHaveLength(0);
    const fresh = h.router.connect();
    expect(fresh.text).toMatch(/^GET \/a\?b=1 /);
    fresh.send('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 200 OK');
  });

  test('a small idempotent body is kept and sent again on a retry', () => {
    const h = startTransaction('PUT /x HTTP/1.1\r\nHost: app.test\r\nContent-Length: 3\r\n\r\nabc');
    h.router.retries = 1;
    h.router.connect().close();
    expect(h.router.retried).toEqual(['reset']);
    const second = h.router.connect();
    expect(bodyOf(second.text)).toBe('abc');
  });

  test('a chunked response to an HTTP/1.0 client is sent close-delimited', () => {
    const h = startTransaction('GET / HTTP/1.0\r\nHost: app.test\r\n\r\n');
    const upstream = h.router.connect();
    upstream.send('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n');
    upstream.send('0\r\n\r\n');
    expect(h.session.text).not.toContain('Transfer-Encoding');
    expect(bodyOf(h.session.text)).toBe('ok');
    expect(h.session.done).toBe(false);
  });

  test('a close-delimited response is re-framed as chunked for an HTTP/1.1 client', () => {
    const h = startTransaction(GET);
    const upstream = h.router.connect();
    upstream.send('HTTP/1.1 200 OK\r\n\r\nab');
    upstream.send('cd');
    upstream.fin();
    expect(h.session.text).toContain('Transfer-Encoding: chunked\r\n');
    expect(bodyOf(h.session.text)).toBe('2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n');
    expect(h.session.done).toBe(true);
    expect(h.router.released[0]).toMatchObject({ reusable: false, status: 200 });
  });

  test('a client that stops reading pauses the upstream until it drains', () => {
    const h = startTransaction(GET);
    const upstream = h.router.connect();
    h.session.full = true;
    upstream.send('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(20_000));
    expect(upstream.paused).toBe(true);
    expect(h.session.deadlineMs).toBe(0);
    h.session.full = false;
    h.txn.onClientDrain();
    expect(upstream.paused).toBe(false);
    expect(h.session.deadlineMs).toBeGreaterThan(0);
  });

  test('an upstream that does not answer in time: 504; its body stopping: a cut', () => {
    const slow = startTransaction(GET);
    slow.router.connect();
    slow.txn.onDeadline();
    expect(statusLine(slow.session.text)).toBe('HTTP/1.1 504 Gateway Timeout');
    const stalled = startTransaction(GET);
    stalled.router.connect().send('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    stalled.txn.onDeadline();
    expect(stalled.session.aborted).toBe(true);
    expect(stalled.router.released[0]).toMatchObject({ errorCode: 'JCT_ERR_UPSTREAM_TIMEOUT' });
  });

  test('a request body that stops arriving: 408', () => {
    const h = startTransaction('POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\nabc');
    h.router.connect();
    h.txn.onDeadline();
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 408 Request Timeout');
  });

  test('no route: 404 without asking the Router', () => {
    const yaml = `
listeners: [{ port: 0 }]
routes: [{ match: { host: other.test }, cluster: app }]
clusters:
  app: { backends: ['10.0.0.1:80'] }
`;
    const h = startTransaction(GET, { yaml });
    expect(h.router.handler).toBeNull();
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 404 Not Found');
    expect(h.session.done).toBe(true);
  });

  test('no upstream reachable: the cause leads the answer', () => {
    const h = startTransaction(GET);
    h.router.fail(new ConnectError('JCT_ERR_CONNECT_REFUSED', '10.0.0.1:80', 'refused'));
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 503 Service Unavailable');
    expect(bodyOf(h.session.text)).toMatch(/^no upstream could be reached\n/);
  });

  test('a HEAD request is answered without a body, even a local one', () => {
    const h = startTransaction('HEAD / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    h.router.fail(new ConnectError('JCT_ERR_CONNECT_REFUSED', '10.0.0.1:80', 'refused'));
    expect(h.session.text).toMatch(/\r\n\r\n$/);
  });

  test('the client leaving gives the upstream connection back, never reusable', () => {
    const h = startTransaction(GET);
    const upstream = h.router.connect();
    upstream.send('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    h.txn.onClientGone();
    expect(h.router.released).toEqual([
      expect.objectContaining({ reusable: false, errorCode: 'JCT_ERR_CLIENT_ABORTED' }),
    ]);
    // Whatever the upstream still sends is dropped.
    upstream.send('defg');
    expect(bodyOf(h.session.text)).toBe('abc');
  });

  test('the client leaving while the Router connects abandons the attempt', () => {
    const h = startTransaction(GET);
    h.txn.onClientGone();
    expect(h.router.abandoned).toBe(true);
  });

  test('bytes past the end of a response make its connection not reusable', () => {
    const h = startTransaction(GET);
    h.router.connect().send('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA');
    expect(h.router.released[0]).toMatchObject({ reusable: false, status: 200 });
    expect(bodyOf(h.session.text)).toBe('ok');
  });

  test('an invalid chunked body that arrives with its head still gets a clean 502', () => {
    const h = startTransaction(GET);
    h.router.connect().send('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 502 Bad Gateway');
  });
});
