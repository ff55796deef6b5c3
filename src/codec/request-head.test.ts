import { describe, expect, test } from 'vitest';
import { NEED_MORE, parseRequestHead, type HeadLimits, type RequestHead } from './index.ts';

const LIMITS: HeadLimits = { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 4096 };

function parse(raw: string, limits: HeadLimits = LIMITS) {
  const buf = Buffer.from(raw, 'latin1');
  return parseRequestHead(buf, 0, buf.length, limits);
}

function head(raw: string, limits: HeadLimits = LIMITS): RequestHead {
  const step = parse(raw, limits);
  if (step.kind !== 'done') {
    throw new Error(`expected done, got ${step.kind === 'reject' ? step.error.message : step.kind}`);
  }
  return step.head;
}

function rejection(raw: string, limits: HeadLimits = LIMITS): string {
  const step = parse(raw, limits);
  if (step.kind !== 'reject') throw new Error(`expected reject, got ${step.kind}`);
  expect(step.error.source).toBe('client');
  return step.error.code;
}

const H = 'Host: a.test\r\n';

describe('parseRequestHead: valid requests', () => {
  test.each<[string, string, Partial<RequestHead>]>([
    [
      'minimal GET',
      `GET / HTTP/1.1\r\n${H}\r\n`,
      {
        method: 'GET',
        target: '/',
        versionMinor: 1,
        host: 'a.test',
        port: '',
        path: '/',
        query: '',
        headers: ['Host', 'a.test'],
        bodyKind: 'none',
        contentLength: -1,
        keepAlive: true,
        connectionTokens: [],
        expectContinue: false,
        upgrade: false,
      },
    ],
    ['path and query', `GET /a/b?x=1&y=2 HTTP/1.1\r\n${H}\r\n`, { path: '/a/b', query: '?x=1&y=2' }],
    ['empty query keeps its ?', `GET /a? HTTP/1.1\r\n${H}\r\n`, { path: '/a', query: '?' }],
    ['second ? belongs to the query', `GET /a?b?c HTTP/1.1\r\n${H}\r\n`, { path: '/a', query: '?b?c' }],
    ['extension method', `PURGE /x HTTP/1.1\r\n${H}\r\n`, { method: 'PURGE' }],
    ['method is case-sensitive', `get / HTTP/1.1\r\n${H}\r\n`, { method: 'get' }],
    ['HTTP/1.0 without Host', 'GET / HTTP/1.0\r\n\r\n', { versionMinor: 0, host: '', keepAlive: false }],
    ['HTTP/1.0 keep-alive', 'GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n', { keepAlive: true }],
    ['HTTP/1.1 close', `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, { keepAlive: false }],
    [
      'connection tokens lower-cased over several fields',
      `GET / HTTP/1.1\r\n${H}Connection: X-Foo, ,Keep-Alive\r\nConnection: TE\r\n\r\n`,
      { connectionTokens: ['x-foo', 'keep-alive', 'te'], keepAlive: true },
    ],
    [
      'close wins over keep-alive',
      `GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n`,
      { keepAlive: false },
    ],
    [
      'host lower-cased, port split',
      `GET / HTTP/1.1\r\nHost: WWW.Example.COM:8080\r\n\r\n`,
      { host: 'www.example.com', port: '8080' },
    ],
    ['IPv6 host keeps brackets', `GET / HTTP/1.1\r\nHost: [::1]:443\r\n\r\n`, { host: '[::1]', port: '443' }],
    ['IPv4 host', `GET / HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n`, { host: '10.0.0.1', port: '' }],
    ['pct-encoded host', `GET / HTTP/1.1\r\nHost: a%2Db.test\r\n\r\n`, { host: 'a%2db.test' }],
    ['empty Host is allowed (no authority)', `GET / HTTP/1.1\r\nHost:\r\n\r\n`, { host: '', port: '' }],
    [
      'absolute-form: target wins over Host',
      `GET http://Target.test:81/p?q HTTP/1.1\r\nHost: other.test\r\n\r\n`,
      { host: 'target.test', port: '81', path: '/p', query: '?q', target: 'http://Target.test:81/p?q' },
    ],
    [
      'absolute-form https, empty path',
      `GET https://t.test HTTP/1.1\r\n${H}\r\n`,
      { host: 't.test', path: '/', query: '' },
    ],
    [
      'absolute-form, query without path',
      `GET HTTP://t.test?x HTTP/1.1\r\n${H}\r\n`,
      { path: '/', query: '?x' },
    ],
    ['asterisk-form', `OPTIONS * HTTP/1.1\r\n${H}\r\n`, { path: '*', query: '', target: '*' }],
    [
      'CONNECT authority-form',
      `CONNECT Up.test:443 HTTP/1.1\r\nHost: up.test:443\r\n\r\n`,
      { host: 'up.test', port: '443', path: '', query: '', bodyKind: 'none' },
    ],
    [
      'Content-Length',
      `POST / HTTP/1.1\r\n${H}Content-Length: 42\r\n\r\n`,
      { bodyKind: 'length', contentLength: 42 },
    ],
    [
      'Content-Length: 0 is a length of 0',
      `POST / HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`,
      { bodyKind: 'length', contentLength: 0 },
    ],
    [
      'Content-Length with leading zeros',
      `POST / HTTP/1.1\r\n${H}Content-Length: 007\r\n\r\n`,
      { contentLength: 7 },
    ],
    [
      'Content-Length 2^53-1',
      `POST / HTTP/1.1\r\n${H}Content-Length: 9007199254740991\r\n\r\n`,
      { contentLength: Number.MAX_SAFE_INTEGER },
    ],
    [
      'chunked',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`,
      { bodyKind: 'chunked', contentLength: -1 },
    ],
    [
      'chunked, any case, OWS',
      `POST / HTTP/1.1\r\n${H}transfer-encoding: \t ChUnKeD \t\r\n\r\n`,
      { bodyKind: 'chunked' },
    ],
    ['Expect: 100-continue', `POST / HTTP/1.1\r\n${H}Expect: 100-Continue\r\n\r\n`, { expectContinue: true }],
    [
      'other Expect is ignored',
      `POST / HTTP/1.1\r\n${H}Expect: something\r\n\r\n`,
      { expectContinue: false },
    ],
    [
      'upgrade needs Connection: upgrade and Upgrade',
      `GET / HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
      { upgrade: true, connectionTokens: ['upgrade'] },
    ],
    [
      'Upgrade alone is not an upgrade',
      `GET / HTTP/1.1\r\n${H}Upgrade: websocket\r\n\r\n`,
      { upgrade: false },
    ],
    [
      'Connection: upgrade alone is not an upgrade',
      `GET / HTTP/1.1\r\n${H}Connection: upgrade\r\n\r\n`,
      { upgrade: false },
    ],
    [
      'values trimmed, names as sent, empty value kept',
      `GET / HTTP/1.1\r\n${H}X-A:   v  w \t\r\nx-b:\r\nX-C:\t\r\n\r\n`,
      { headers: ['Host', 'a.test', 'X-A', 'v  w', 'x-b', '', 'X-C', ''] },
    ],
    [
      'obs-text and HTAB inside values',
      `GET / HTTP/1.1\r\n${H}X-A: caf\xe9\tok\r\n\r\n`,
      { headers: ['Host', 'a.test', 'X-A', 'caf\xe9\tok'] },
    ],
    [
      'token chars in names',
      `GET / HTTP/1.1\r\n${H}!#$%&'*+-.^_\`|~09aZ: v\r\n\r\n`,
      { headers: ['Host', 'a.test', "!#$%&'*+-.^_`|~09aZ", 'v'] },
    ],
    [
      'target with sub-delims and pct',
      `GET /a;b=c/%7Ed!$&'()*+,:@ HTTP/1.1\r\n${H}\r\n`,
      { path: "/a;b=c/%7Ed!$&'()*+,:@" },
    ],
  ])('%s', (_name, raw, expected) => {
    expect(head(raw)).toMatchObject(expected);
  });

  test('consumed covers the head only; the body follows', () => {
    const raw = `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\n\r\nbody`;
    const step = parse(raw);
    expect(step).toMatchObject({ kind: 'done', consumed: raw.length - 4 });
  });

  test.each([1, 2, 4])('skips %i leading empty line(s) and counts them in consumed', (n) => {
    const raw = '\r\n'.repeat(n) + `GET / HTTP/1.1\r\n${H}\r\n`;
    expect(parse(raw)).toMatchObject({ kind: 'done', consumed: raw.length, head: { method: 'GET' } });
  });

  test('parses inside a larger buffer from start to end only', () => {
    const raw = `GET /x HTTP/1.1\r\n${H}\r\n`;
    const buf = Buffer.from(`garbage\r\n\n${raw}GET /next HTTP/1.1\r\n`, 'latin1');
    const start = 10;
    const step = parseRequestHead(buf, start, start + raw.length, LIMITS);
    expect(step).toMatchObject({ kind: 'done', consumed: raw.length, head: { target: '/x' } });
  });

  test('a long head is parsed across the SWAR and byte paths alike', () => {
    const value = 'v'.repeat(1000) + '\t' + 'w'.repeat(7);
    expect(head(`GET / HTTP/1.1\r\n${H}X-Long: ${value}\r\n\r\n`).headers[3]).toBe(value);
  });
});

describe('parseRequestHead: need-more', () => {
  const full = `POST /p?q HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\n`;
  test.each([...Array(full.length).keys()])('prefix of %i bytes', (n) => {
    expect(parse(full.slice(0, n))).toBe(NEED_MORE);
  });
  test('need-more is one shared frozen value', () => {
    expect(Object.isFrozen(NEED_MORE)).toBe(true);
    expect(parse('GE')).toBe(parse('\r\n'));
  });
});

describe('parseRequestHead: invalid requests', () => {
  const BAD = 'JCT_ERR_HTTP_BAD_REQUEST';
  const FRAMING = 'JCT_ERR_HTTP_BAD_FRAMING';
  test.each<[string, string, string]>([
    ['HTTP/2.0', `GET / HTTP/2.0\r\n${H}\r\n`, 'JCT_ERR_HTTP_BAD_VERSION'],
    ['HTTP/1.2', `GET / HTTP/1.2\r\n${H}\r\n`, 'JCT_ERR_HTTP_BAD_VERSION'],
    ['HTTP/0.9 version', `GET / HTTP/0.9\r\n${H}\r\n`, 'JCT_ERR_HTTP_BAD_VERSION'],
    ['lower-case version', `GET / http/1.1\r\n${H}\r\n`, BAD],
    ['version with extra digit', `GET / HTTP/1.10\r\n${H}\r\n`, BAD],
    ['version HTTP/11', `GET / HTTP/11\r\n${H}\r\n`, BAD],
    ['missing version', `GET /\r\n${H}\r\n`, BAD],
    ['two spaces after method', `GET  / HTTP/1.1\r\n${H}\r\n`, BAD],
    ['two spaces before version', `GET /  HTTP/1.1\r\n${H}\r\n`, BAD],
    ['trailing space after version', `GET / HTTP/1.1 \r\n${H}\r\n`, BAD],
    ['tab as separator', `GET\t/ HTTP/1.1\r\n${H}\r\n`, BAD],
    ['leading space', ` GET / HTTP/1.1\r\n${H}\r\n`, BAD],
    ['empty method', `/ HTTP/1.1\r\n${H}\r\n`, BAD],
    ['method with non-token', `GE(T / HTTP/1.1\r\n${H}\r\n`, BAD],
    ['NUL in target', `GET /a\0b HTTP/1.1\r\n${H}\r\n`, BAD],
    ['DEL in target', `GET /a\x7fb HTTP/1.1\r\n${H}\r\n`, BAD],
    ['non-ASCII in target', `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`, BAD],
    ['fragment in target', `GET /a#b HTTP/1.1\r\n${H}\r\n`, BAD],
    ['relative target', `GET a/b HTTP/1.1\r\n${H}\r\n`, BAD],
    ['unknown scheme', `GET ftp://a.test/ HTTP/1.1\r\n${H}\r\n`, BAD],
    ['absolute-form without host', `GET http:///x HTTP/1.1\r\n${H}\r\n`, BAD],
    ['absolute-form with userinfo', `GET http://u:p@a.test/ HTTP/1.1\r\n${H}\r\n`, BAD],
    ['asterisk on GET', `GET * HTTP/1.1\r\n${H}\r\n`, BAD],
    ['CONNECT without port', `CONNECT a.test HTTP/1.1\r\n${H}\r\n`, BAD],
    ['CONNECT origin-form', `CONNECT / HTTP/1.1\r\n${H}\r\n`, BAD],
    ['CONNECT port too large', `CONNECT a.test:65536 HTTP/1.1\r\n${H}\r\n`, BAD],
    ['missing Host on 1.1', 'GET / HTTP/1.1\r\nX: y\r\n\r\n', BAD],
    ['two Host fields', `GET / HTTP/1.1\r\n${H}${H}\r\n`, BAD],
    ['Host with space', 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', BAD],
    ['Host with slash', 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', BAD],
    ['Host with userinfo', 'GET / HTTP/1.1\r\nHost: u@a.test\r\n\r\n', BAD],
    ['Host with empty port', 'GET / HTTP/1.1\r\nHost: a.test:\r\n\r\n', BAD],
    ['Host with non-numeric port', 'GET / HTTP/1.1\r\nHost: a.test:8o\r\n\r\n', BAD],
    ['Host with 6-digit port', 'GET / HTTP/1.1\r\nHost: a.test:000080\r\n\r\n', BAD],
    ['Host only a port', 'GET / HTTP/1.1\r\nHost: :80\r\n\r\n', BAD],
    ['Host with bad IPv6', 'GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n', BAD],
    ['Host with unclosed IPv6', 'GET / HTTP/1.1\r\nHost: [::1\r\n\r\n', BAD],
    ['Host with bad percent', 'GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n', BAD],
    ['space before colon', `GET / HTTP/1.1\r\n${H}X-A : v\r\n\r\n`, BAD],
    ['tab before colon', `GET / HTTP/1.1\r\n${H}X-A\t: v\r\n\r\n`, BAD],
    ['obs-fold', `GET / HTTP/1.1\r\n${H}X-A: v\r\n w\r\n\r\n`, BAD],
    ['whitespace before first field', `GET / HTTP/1.1\r\n ${H}\r\n`, BAD],
    ['empty field name', `GET / HTTP/1.1\r\n${H}: v\r\n\r\n`, BAD],
    ['no colon', `GET / HTTP/1.1\r\n${H}X-A\r\n\r\n`, BAD],
    ['non-token in name', `GET / HTTP/1.1\r\n${H}X(A): v\r\n\r\n`, BAD],
    ['non-ASCII in name', `GET / HTTP/1.1\r\n${H}X-\xe9: v\r\n\r\n`, BAD],
    ['NUL in value', `GET / HTTP/1.1\r\n${H}X-A: a\0b\r\n\r\n`, BAD],
    ['DEL in value', `GET / HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`, BAD],
    ['VT in value', `GET / HTTP/1.1\r\n${H}X-A: a\x0bb\r\n\r\n`, BAD],
    ['ESC in value', `GET / HTTP/1.1\r\n${H}X-A: a\x1bb\r\n\r\n`, BAD],
    ['bare LF in request line', `GET / HTTP/1.1\n${H}\r\n`, BAD],
    ['bare LF after field', `GET / HTTP/1.1\r\n${H}X-A: v\n\r\n`, BAD],
    ['bare LF as final line', `GET / HTTP/1.1\r\n${H}\n`, BAD],
    ['bare LF head', 'GET / HTTP/1.1\nHost: a\n\n', BAD],
    ['bare CR in value', `GET / HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`, BAD],
    ['CR without LF ending a line', `GET / HTTP/1.1\r${H}\r\n`, BAD],
    ['CR without LF as final line', `GET / HTTP/1.1\r\n${H}\rX`, BAD],
    ['leading bare LF', `\nGET / HTTP/1.1\r\n${H}\r\n`, BAD],
    ['leading CR without LF', `\rGET / HTTP/1.1\r\n${H}\r\n`, BAD],
    ['too many leading empty lines', `${'\r\n'.repeat(5)}GET / HTTP/1.1\r\n${H}\r\n`, BAD],
    ['invalid Connection option', `GET / HTTP/1.1\r\n${H}Connection: a b\r\n\r\n`, BAD],
    ['CL and TE', `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n`, FRAMING],
    ['TE and CL', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n`, FRAMING],
    ['two equal CLs', `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\n`, FRAMING],
    ['two different CLs', `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\n`, FRAMING],
    ['CL list', `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\n`, FRAMING],
    ['CL empty', `POST / HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`, FRAMING],
    ['CL signed', `POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\n`, FRAMING],
    ['CL negative', `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, FRAMING],
    ['CL hex', `POST / HTTP/1.1\r\n${H}Content-Length: 0x10\r\n\r\n`, FRAMING],
    ['CL decimal point', `POST / HTTP/1.1\r\n${H}Content-Length: 1.0\r\n\r\n`, FRAMING],
    ['CL inner space', `POST / HTTP/1.1\r\n${H}Content-Length: 1 0\r\n\r\n`, FRAMING],
    ['CL 2^53', `POST / HTTP/1.1\r\n${H}Content-Length: 9007199254740992\r\n\r\n`, FRAMING],
    ['CL huge', `POST / HTTP/1.1\r\n${H}Content-Length: ${'9'.repeat(40)}\r\n\r\n`, FRAMING],
    ['TE on HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', FRAMING],
    ['TE chunked twice', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n`, FRAMING],
    [
      'TE chunked in two fields',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`,
      FRAMING,
    ],
    ['TE chunked, identity', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n`, FRAMING],
    ['TE identity', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n`, FRAMING],
    ['TE gzip only', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, FRAMING],
    ['TE chunked, gzip', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n`, FRAMING],
    ['TE xchunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n`, FRAMING],
    ['TE chunkedx', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunkedx\r\n\r\n`, FRAMING],
    ['TE chunked;x', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked;x\r\n\r\n`, FRAMING],
    ['TE chunked with parameter', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked; q=1\r\n\r\n`, FRAMING],
    ['TE empty', `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n\r\n`, FRAMING],
    ['TE empty element', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: ,chunked\r\n\r\n`, FRAMING],
    ['TE quoted', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: "chunked"\r\n\r\n`, FRAMING],
    ['TE chunked VT', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\x0b\r\n\r\n`, BAD],
    ['TE chunked FF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \x0cchunked\r\n\r\n`, BAD],
    [
      'TE gzip, chunked',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n`,
      'JCT_ERR_HTTP_UNSUPPORTED_TRANSFER_CODING',
    ],
    [
      'TE gzip then chunked in two fields',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n`,
      'JCT_ERR_HTTP_UNSUPPORTED_TRANSFER_CODING',
    ],
  ])('%s', (_name, raw, code) => {
    expect(rejection(raw)).toBe(code);
  });

  test('rejects early: bad bytes are refused before the head is complete', () => {
    expect(rejection('GET / HTTP/1.1\nHo')).toBe('JCT_ERR_HTTP_BAD_REQUEST');
    expect(rejection('GET / HTTP/1.1\r\nX-A : ')).toBe('JCT_ERR_HTTP_BAD_REQUEST');
    expect(rejection('GET / HTTP/1.1\r\nX-A: \0')).toBe('JCT_ERR_HTTP_BAD_REQUEST');
    expect(rejection('GET / HTTQ')).toBe('JCT_ERR_HTTP_BAD_REQUEST');
    expect(parse('GET / HTTP/2.')).toBe(NEED_MORE);
  });
});

describe('parseRequestHead: limits', () => {
  const small: HeadLimits = { maxHeadBytes: 64, maxHeaderCount: 3, maxRequestLineBytes: 20 };

  test('a head of exactly maxHeadBytes is accepted, one more byte is 431', () => {
    const make = (n: number) => {
      const base = 'GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n';
      return base.replace('X: ', 'X: ' + 'v'.repeat(n - base.length));
    };
    expect(make(64)).toHaveLength(64);
    expect(parse(make(64), small).kind).toBe('done');
    expect(rejection(make(65), small)).toBe('JCT_ERR_HTTP_HEAD_TOO_LARGE');
  });

  test('an incomplete head over maxHeadBytes is 431 without waiting', () => {
    expect(rejection('GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'v'.repeat(60), small)).toBe(
      'JCT_ERR_HTTP_HEAD_TOO_LARGE',
    );
    expect(parse('GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'v'.repeat(30), small)).toBe(NEED_MORE);
  });

  test('leading empty lines do not count against maxHeadBytes', () => {
    const raw = 'GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'v'.repeat(64 - 32) + '\r\n\r\n';
    expect(raw).toHaveLength(64);
    expect(parse('\r\n\r\n' + raw, small).kind).toBe('done');
  });

  test('maxHeaderCount fields are accepted, one more is 431', () => {
    expect(parse('GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 2\r\n\r\n', small).kind).toBe('done');
    expect(rejection('GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 2\r\nD: 3\r\n\r\n', small)).toBe(
      'JCT_ERR_HTTP_HEAD_TOO_LARGE',
    );
  });

  test('a request line of exactly maxRequestLineBytes is accepted, one more byte is 414', () => {
    // 'GET /' + path + ' HTTP/1.1' = 20 bytes
    expect(parse('GET /abcdef HTTP/1.1\r\nHost: a\r\n\r\n', small).kind).toBe('done');
    expect(rejection('GET /abcdefg HTTP/1.1\r\nHost: a\r\n\r\n', small)).toBe('JCT_ERR_HTTP_URI_TOO_LONG');
  });

  test.each([
    ['GET /abcdefghijklmnopq', 'in the target'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'in the method'],
    ['GET /abcdefghijk HTTP/', 'in the version'],
  ])('an incomplete request line already too long is 414 (%s, %s)', (raw) => {
    expect(rejection(raw, small)).toBe('JCT_ERR_HTTP_URI_TOO_LONG');
  });

  test('maxRequestLineBytes above maxHeadBytes: the head limit still applies', () => {
    const limits: HeadLimits = { maxHeadBytes: 32, maxHeaderCount: 10, maxRequestLineBytes: 100 };
    expect(rejection('GET /' + 'a'.repeat(40), limits)).toBe('JCT_ERR_HTTP_HEAD_TOO_LARGE');
    expect(rejection('GET /' + 'a'.repeat(30) + ' HTTP/1.1\r\nHost: a\r\n\r\n', limits)).toBe(
      'JCT_ERR_HTTP_HEAD_TOO_LARGE',
    );
  });
});
