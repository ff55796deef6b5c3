import { describe, expect, test } from 'vitest';
import { NEED_MORE, parseResponseHead, type HeadLimits, type ResponseHead } from './index.ts';

const LIMITS: HeadLimits = { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 4096 };

function parse(raw: string, method = 'GET', limits: HeadLimits = LIMITS) {
  const buf = Buffer.from(raw, 'latin1');
  return parseResponseHead(buf, 0, buf.length, limits, method);
}

function head(raw: string, method = 'GET'): ResponseHead {
  const step = parse(raw, method);
  if (step.kind !== 'done') {
    throw new Error(`expected done, got ${step.kind === 'reject' ? step.error.message : step.kind}`);
  }
  return step.head;
}

describe('parseResponseHead: status line and fields', () => {
  test.each<[string, string, Partial<ResponseHead>]>([
    [
      'plain 200',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n',
      {
        status: 200,
        reason: 'OK',
        versionMinor: 1,
        headers: ['Content-Length', '2'],
        bodyKind: 'length',
        contentLength: 2,
        keepAlive: true,
        connectionTokens: [],
      },
    ],
    [
      'custom reason',
      'HTTP/1.1 404 Nope, not\there\r\nContent-Length: 0\r\n\r\n',
      { status: 404, reason: 'Nope, not\there' },
    ],
    ['empty reason with SP', 'HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n', { reason: '' }],
    ['empty reason without SP', 'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n', { status: 200, reason: '' }],
    ['obs-text reason', 'HTTP/1.1 200 \xc7a va\r\nContent-Length: 0\r\n\r\n', { reason: '\xc7a va' }],
    [
      'unregistered status',
      'HTTP/1.1 599 Whatever\r\nContent-Length: 0\r\n\r\n',
      { status: 599, reason: 'Whatever' },
    ],
    ['HTTP/1.0', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', { versionMinor: 0, keepAlive: false }],
    [
      'HTTP/1.0 keep-alive',
      'HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n',
      { keepAlive: true, connectionTokens: ['keep-alive'] },
    ],
    [
      'HTTP/1.1 close',
      'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
      { keepAlive: false },
    ],
    [
      'values trimmed',
      'HTTP/1.1 200 OK\r\nX-A: \t v \t\r\nContent-Length: 0\r\n\r\n',
      { headers: ['X-A', 'v', 'Content-Length', '0'] },
    ],
  ])('%s', (_name, raw, expected) => {
    expect(head(raw)).toMatchObject(expected);
  });

  test('consumed stops at the blank line', () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n';
    expect(parse(raw + 'abc')).toMatchObject({ kind: 'done', consumed: raw.length });
  });

  test('parses inside a larger buffer', () => {
    const raw = 'HTTP/1.1 204 No Content\r\n\r\n';
    const buf = Buffer.from('xxxx' + raw + 'HTTP/1.1 200 OK\r\n', 'latin1');
    expect(parseResponseHead(buf, 4, 4 + raw.length, LIMITS, 'GET')).toMatchObject({
      kind: 'done',
      consumed: raw.length,
      head: { status: 204 },
    });
  });

  const full = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n';
  test.each([...Array(full.length).keys()])('need-more for a prefix of %i bytes', (n) => {
    expect(parse(full.slice(0, n))).toBe(NEED_MORE);
  });
});

describe('parseResponseHead: body framing (RFC 9112 §6.3)', () => {
  const CL = 'Content-Length: 5\r\n';
  const TE = 'Transfer-Encoding: chunked\r\n';
  test.each<[string, string, string, string, number, boolean]>([
    // name, method, status line + fields, bodyKind, contentLength, keepAlive
    ['CL', 'GET', `HTTP/1.1 200 OK\r\n${CL}`, 'length', 5, true],
    ['chunked', 'GET', `HTTP/1.1 200 OK\r\n${TE}`, 'chunked', -1, true],
    ['chunked any case', 'GET', 'HTTP/1.1 200 OK\r\nTransfer-Encoding:  CHUNKED \r\n', 'chunked', -1, true],
    ['neither: until close', 'GET', 'HTTP/1.1 200 OK\r\n', 'close', -1, false],
    [
      'neither on 1.0 keep-alive: still close',
      'GET',
      'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n',
      'close',
      -1,
      false,
    ],
    ['HEAD with CL', 'HEAD', `HTTP/1.1 200 OK\r\n${CL}`, 'none', -1, true],
    ['HEAD with chunked', 'HEAD', `HTTP/1.1 200 OK\r\n${TE}`, 'none', -1, true],
    ['HEAD without framing', 'HEAD', 'HTTP/1.1 200 OK\r\n', 'none', -1, true],
    ['100 Continue', 'POST', 'HTTP/1.1 100 Continue\r\n', 'none', -1, true],
    [
      '101 Switching Protocols',
      'GET',
      'HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n',
      'none',
      -1,
      true,
    ],
    ['103 Early Hints', 'GET', 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n', 'none', -1, true],
    ['204 with CL', 'GET', `HTTP/1.1 204 No Content\r\n${CL}`, 'none', -1, true],
    ['304 with CL', 'GET', `HTTP/1.1 304 Not Modified\r\n${CL}`, 'none', -1, true],
    ['304 without framing', 'GET', 'HTTP/1.1 304 Not Modified\r\n', 'none', -1, true],
    ['CONNECT 200', 'CONNECT', 'HTTP/1.1 200 Connection Established\r\n', 'none', -1, true],
    ['CONNECT 200 with CL', 'CONNECT', `HTTP/1.1 200 OK\r\n${CL}`, 'none', -1, true],
    ['CONNECT 407 with CL', 'CONNECT', `HTTP/1.1 407 Auth\r\n${CL}`, 'length', 5, true],
    ['CL 0', 'GET', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n', 'length', 0, true],
    ['CL and close', 'GET', `HTTP/1.1 200 OK\r\n${CL}Connection: close\r\n`, 'length', 5, false],
  ])('%s', (_name, method, raw, bodyKind, contentLength, keepAlive) => {
    expect(head(raw + '\r\n', method)).toMatchObject({ bodyKind, contentLength, keepAlive });
  });
});

describe('parseResponseHead: invalid responses', () => {
  test.each<[string, string]>([
    ['HTTP/2.0', 'HTTP/2.0 200 OK\r\n\r\n'],
    ['HTTP/1.2', 'HTTP/1.2 200 OK\r\n\r\n'],
    ['lower-case version', 'http/1.1 200 OK\r\n\r\n'],
    ['two-digit status', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['four-digit status', 'HTTP/1.1 2000 OK\r\n\r\n'],
    ['status 099', 'HTTP/1.1 099 OK\r\n\r\n'],
    ['non-digit status', 'HTTP/1.1 2x0 OK\r\n\r\n'],
    ['two spaces before status', 'HTTP/1.1  200 OK\r\n\r\n'],
    ['tab before status', 'HTTP/1.1\t200 OK\r\n\r\n'],
    ['CTL in reason', 'HTTP/1.1 200 O\x01K\r\n\r\n'],
    ['bare LF status line', 'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n'],
    ['bare LF field', 'HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n'],
    ['bare LF end', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n'],
    ['CR without LF', 'HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n'],
    ['leading empty line', '\r\nHTTP/1.1 200 OK\r\n\r\n'],
    ['space before colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n'],
    ['NUL in value', 'HTTP/1.1 200 OK\r\nX-A: a\0\r\nContent-Length: 0\r\n\r\n'],
    ['CL and TE', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['CL and TE on HEAD', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['two CLs', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n'],
    ['CL list', 'HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n'],
    ['CL not a number', 'HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n'],
    ['CL too large', 'HTTP/1.1 200 OK\r\nContent-Length: 9007199254740992\r\n\r\n'],
    ['TE gzip, chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'],
    ['TE gzip', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'],
    ['TE chunked, chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n'],
    ['TE identity', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n'],
    ['TE chunked;x', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;x\r\n\r\n'],
    ['TE on HTTP/1.0', 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ])('%s', (name, raw) => {
    const step = parse(raw, name.endsWith('HEAD') ? 'HEAD' : 'GET');
    expect(step.kind).toBe('reject');
    if (step.kind === 'reject') {
      expect(step.error.code).toBe('JCT_ERR_HTTP_BAD_RESPONSE');
      expect(step.error.source).toBe('upstream');
      expect(step.error.status).toBe(502);
    }
  });

  test('limits: head size and field count have their own code, still a 502', () => {
    const limits: HeadLimits = { maxHeadBytes: 40, maxHeaderCount: 2, maxRequestLineBytes: 10 };
    const code = 'JCT_ERR_HTTP_RESPONSE_HEAD_TOO_LARGE';
    const tooBig = parse('HTTP/1.1 200 OK\r\nX-A: ' + 'v'.repeat(40) + '\r\n\r\n', 'GET', limits);
    expect(tooBig).toMatchObject({ kind: 'reject', error: { code, status: 502 } });
    if (tooBig.kind === 'reject')
      expect(tooBig.error.message).toMatch(/larger than 40 bytes.*max_response_head_size/);
    const incomplete = parse('HTTP/1.1 200 OK\r\nX-A: ' + 'v'.repeat(40), 'GET', limits);
    expect(incomplete).toMatchObject({ kind: 'reject', error: { code } });
    const longStatus = parse('HTTP/1.1 200 ' + 'r'.repeat(40), 'GET', limits);
    expect(longStatus).toMatchObject({ kind: 'reject', error: { code } });
    const tooMany = parse('HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n', 'GET', {
      ...limits,
      maxHeadBytes: 1000,
    });
    expect(tooMany).toMatchObject({ kind: 'reject', error: { code } });
    if (tooMany.kind === 'reject')
      expect(tooMany.error.message).toMatch(/more than 2 header fields.*max_response_header_count/);
    // A malformed head within the limits is still BAD_RESPONSE.
    expect(parse('HTTP/1.1 200 OK\r\nA : 1\r\n\r\n', 'GET', limits)).toMatchObject({
      error: { code: 'JCT_ERR_HTTP_BAD_RESPONSE' },
    });
    // maxRequestLineBytes is for requests only.
    expect(parse('HTTP/1.1 200 A long reason\r\n\r\n', 'GET', { ...limits, maxHeadBytes: 1000 }).kind).toBe(
      'done',
    );
  });
});
