import { describe, expect, test } from 'vitest';
import { bodyOf, startTransaction, statusLine } from './txn-fakes.test-suite.ts';

const UPGRADE =
  'GET /ws HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

describe('interim responses and protocol switches', () => {
  test('Expect: 100-continue is answered by Junction; the upstream’s own 100 and 103 stop at the proxy', () => {
    const h = startTransaction(
      'PUT /up HTTP/1.1\r\nHost: app.test\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n',
    );
    const upstream = h.router.connect();
    expect(h.session.text).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    expect(upstream.text).not.toMatch(/expect/i);
    h.clientSends('ok');
    upstream.send('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n');
    upstream.send('HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n');
    expect(h.session.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 Created\r\n/);
    expect(h.session.text).not.toContain('Early Hints');
  });

  test('interim responses split across reads, then the final one in the same read', () => {
    const h = startTransaction('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const upstream = h.router.connect();
    upstream.send('HTTP/1.1 103 Ea');
    upstream.send('rly Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!');
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 200 OK');
    expect(bodyOf(h.session.text)).toBe('!');
  });

  test('a 101 the client did not ask for is a bad response', () => {
    const h = startTransaction('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    h.router.connect().send('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 502 Bad Gateway');
    expect(h.router.released[0]).toMatchObject({ errorCode: 'JCT_ERR_HTTP_BAD_RESPONSE' });
  });

  test('a 101 to an upgrade request hands both sides to a tunnel, with bytes that came after its head', () => {
    const h = startTransaction(UPGRADE);
    const upstream = h.router.connect();
    expect(upstream.text).toContain('Connection: Upgrade\r\n');
    expect(upstream.text).toContain('Upgrade: websocket\r\n');
    upstream.send(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nframe',
    );
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 101 Switching Protocols');
    expect(h.session.text).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n');
    expect(h.router.tunnelled).toBe(true);
    expect(upstream.halfOpen).toBe(true);
    const tunnel = h.session.tunnel!;
    expect(tunnel).not.toBeNull();
    expect(upstream.handler).toBe(tunnel);
    // The tunnel ends the transaction: the lease is released with the 101 as its outcome.
    tunnel.attachClient({
      write: (data) => h.session.writeClient(data),
      end: () => undefined,
      pause: () => undefined,
      resume: () => undefined,
      destroy: () => undefined,
    });
    expect(h.session.text.endsWith('frame')).toBe(true);
    tunnel.onClientClose(false);
    expect(h.router.released).toEqual([
      expect.objectContaining({ reusable: false, status: 101, errorCode: 'JCT_ERR_CLIENT_ABORTED' }),
    ]);
    expect(h.session.done).toBe(false);
    expect(h.txn.isFinished).toBe(true);
  });

  test('an upgrade answered with a plain response is an ordinary response', () => {
    const h = startTransaction(UPGRADE);
    h.router.connect().send('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno');
    expect(bodyOf(h.session.text)).toBe('no');
    expect(h.session.tunnel).toBeNull();
  });

  test('an upgrade the route refuses is answered 403', () => {
    const yaml = `
listeners: [{ port: 0 }]
routes: [{ cluster: app, upgrade: false }]
clusters:
  app: { backends: ['10.0.0.1:80'] }
`;
    const h = startTransaction(UPGRADE, { yaml });
    expect(statusLine(h.session.text)).toBe('HTTP/1.1 403 Forbidden');
    expect(h.router.handler).toBeNull();
  });

  test('a response to HEAD, and a 304, end at their head whatever their length says', () => {
    const head = startTransaction('HEAD / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    head.router.connect().send('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n');
    expect(head.session.done).toBe(true);
    expect(head.session.text).toContain('Content-Length: 50\r\n');
    const notModified = startTransaction('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    notModified.router.connect().send('HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n');
    expect(notModified.session.done).toBe(true);
  });

  test('an invalid response head is a 502; one over the limit says so', () => {
    const bad = startTransaction('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    bad.router.connect().send('NOT HTTP\r\n\r\n');
    expect(statusLine(bad.session.text)).toBe('HTTP/1.1 502 Bad Gateway');
    const yaml = `
listeners: [{ port: 0 }]
limits: { max_response_head_size: 1KiB }
routes: [{ cluster: app }]
clusters:
  app: { backends: ['10.0.0.1:80'] }
`;
    const big = startTransaction('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n', { yaml });
    big.router.connect().send(`HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(2000)}\r\n\r\n`);
    expect(statusLine(big.session.text)).toBe('HTTP/1.1 502 Bad Gateway');
    expect(bodyOf(big.session.text)).toMatch(/^the upstream's response head is too large\n/);
  });
});
