import { describe, expect, test } from 'vitest';
import {
  CRLF,
  LAST_CHUNK,
  chunkHeader,
  isHopByHop,
  isValidFieldName,
  isValidFieldValue,
  parseRequestHead,
  parseResponseHead,
  serializeRequestHead,
  serializeResponseHead,
  statusText,
} from './index.ts';

const LIMITS = { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 4096 };

describe('chunk framing', () => {
  test.each([
    [1, '1\r\n'],
    [15, 'f\r\n'],
    [16, '10\r\n'],
    [4096, '1000\r\n'],
    [Number.MAX_SAFE_INTEGER, '1fffffffffffff\r\n'],
  ])('chunkHeader(%i) = %j', (size, expected) => {
    expect(chunkHeader(size)).toBe(expected);
  });

  test('constants', () => {
    expect(CRLF).toBe('\r\n');
    expect(LAST_CHUNK).toBe('0\r\n\r\n');
  });
});

describe('isHopByHop', () => {
  test.each([
    'connection',
    'proxy-connection',
    'keep-alive',
    'te',
    'transfer-encoding',
    'upgrade',
    'trailer',
  ])('%s is hop-by-hop', (name) => {
    expect(isHopByHop(name)).toBe(true);
  });
  test.each([
    'proxy-authenticate',
    'proxy-authorization',
    'content-length',
    'host',
    'trailers',
    'Connection',
  ])('%s is end-to-end (names must be lower-cased first)', (name) => {
    expect(isHopByHop(name)).toBe(false);
  });
});

describe('statusText', () => {
  test.each([
    [200, 'OK'],
    [101, 'Switching Protocols'],
    [204, 'No Content'],
    [404, 'Not Found'],
    [413, 'Content Too Large'],
    [421, 'Misdirected Request'],
    [502, 'Bad Gateway'],
    [504, 'Gateway Timeout'],
    [299, ''],
    [999, ''],
    [-1, ''],
    [1.5, ''],
  ])('%s → %j', (status, text) => {
    expect(statusText(status)).toBe(text);
  });
});

describe('serializing heads', () => {
  test('request head, then parsed back', () => {
    const text = serializeRequestHead('POST', '/a?b', ['Host', 'x.test', 'Content-Length', '2']);
    expect(text).toBe('POST /a?b HTTP/1.1\r\nHost: x.test\r\nContent-Length: 2\r\n\r\n');
    const buf = Buffer.from(text, 'latin1');
    expect(parseRequestHead(buf, 0, buf.length, LIMITS)).toMatchObject({
      kind: 'done',
      consumed: buf.length,
      head: { method: 'POST', target: '/a?b', headers: ['Host', 'x.test', 'Content-Length', '2'] },
    });
  });

  test('HTTP/1.0 request head', () => {
    expect(serializeRequestHead('GET', '/', [], 0)).toBe('GET / HTTP/1.0\r\n\r\n');
  });

  test.each([
    [200, 'OK', 'HTTP/1.1 200 OK\r\n'],
    [200, '', 'HTTP/1.1 200 \r\n'],
    [599, 'Custom Thing', 'HTTP/1.1 599 Custom Thing\r\n'],
  ])('response head %i %j, then parsed back', (status, reason, line) => {
    const text = serializeResponseHead(status, reason, ['Content-Length', '0']);
    expect(text).toBe(`${line}Content-Length: 0\r\n\r\n`);
    const buf = Buffer.from(text, 'latin1');
    expect(parseResponseHead(buf, 0, buf.length, LIMITS, 'GET')).toMatchObject({
      kind: 'done',
      head: { status, reason, headers: ['Content-Length', '0'] },
    });
  });

  test('HTTP/1.0 response head', () => {
    expect(serializeResponseHead(404, 'Not Found', [], 0)).toBe('HTTP/1.0 404 Not Found\r\n\r\n');
  });
});

describe('field validation for values Junction writes', () => {
  test.each([
    ['X-Ok', true],
    ["!#$%&'*+-.^_`|~09", true],
    ['', false],
    ['X A', false],
    ['X:A', false],
    ['X\r\nA', false],
    ['Ä', false],
    ['\u0100', false],
  ])('name %j → %s', (name, ok) => {
    expect(isValidFieldName(name)).toBe(ok);
  });
  test.each([
    ['', true],
    ['a b\tc', true],
    ['caf\xe9', true],
    ['a\r\nX-Injected: 1', false],
    ['a\nb', false],
    ['a\0b', false],
    ['a\x7fb', false],
    [' leading', false],
    ['trailing\t', false],
    ['\u0100', false],
  ])('value %j → %s', (value, ok) => {
    expect(isValidFieldValue(value)).toBe(ok);
  });
});
