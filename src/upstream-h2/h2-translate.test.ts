import { describe, expect, test } from 'vitest';
import { parseRequestHead, type RequestHead } from '../codec/index.ts';
import { h1ResponseHead, h2RequestHeaders, lastChunkWithTrailers } from './h2-translate.ts';

const LIMITS = { maxHeadBytes: 65536, maxHeaderCount: 100, maxRequestLineBytes: 8192 };

function head(text: string): RequestHead {
  const step = parseRequestHead(Buffer.from(text, 'latin1'), 0, text.length, LIMITS);
  if (step.kind !== 'done') throw new Error(`not a head: ${step.kind}`);
  return step.head;
}

describe('h2RequestHeaders (RFC 9113 §8.2.2, §8.3.1)', () => {
  test('pseudo-headers from the request line and Host; connection-specific fields dropped', () => {
    const headers = h2RequestHeaders(
      head(
        'POST /a?b=1 HTTP/1.1\r\nHost: svc.test:8080\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\n' +
          'Keep-Alive: 5\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\nUpgrade: h2c\r\nExpect: 100-continue\r\n' +
          'X-Kept: a\r\nX-Kept: b\r\nCookie: a=1\r\n\r\n',
      ),
      'http',
      '10.0.0.1:80',
    );
    expect(headers).toEqual({
      ':method': 'POST',
      ':scheme': 'http',
      ':authority': 'svc.test:8080',
      ':path': '/a?b=1',
      'x-kept': ['a', 'b'],
      cookie: 'a=1',
    });
  });

  test('no Host: the upstream address is the authority; gRPC gets te: trailers', () => {
    const headers = h2RequestHeaders(
      head('POST /svc/M HTTP/1.0\r\nContent-Type: application/grpc\r\nContent-Length: 5\r\n\r\n'),
      'https',
      '10.0.0.1:443',
    );
    expect(headers[':authority']).toBe('10.0.0.1:443');
    expect(headers[':scheme']).toBe('https');
    expect(headers.te).toBe('trailers');
    expect(headers['content-length']).toBe('5');
  });
});

describe('h1ResponseHead and trailers (RFC 9113 §8.3.2, §8.1)', () => {
  test('a body without content-length goes chunked', () => {
    const { text, framing } = h1ResponseHead(
      { ':status': '200', 'content-type': 'application/grpc' },
      'POST',
      false,
    );
    expect(framing).toBe('chunked');
    expect(text).toBe(
      'HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ntransfer-encoding: chunked\r\n\r\n',
    );
  });

  test('content-length is kept; set-cookie values stay separate', () => {
    const { text, framing } = h1ResponseHead(
      { ':status': '404', 'content-length': '3', 'set-cookie': ['a=1', 'b=2'] },
      'GET',
      false,
    );
    expect(framing).toBe('length');
    expect(text).toBe(
      'HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n\r\n',
    );
  });

  test('a header block that ends the stream (a gRPC trailers-only answer) is a complete empty response', () => {
    const { text, framing } = h1ResponseHead(
      { ':status': '200', 'grpc-status': '5', 'grpc-message': 'x' },
      'POST',
      true,
    );
    expect(framing).toBe('none');
    expect(text).toContain('grpc-status: 5\r\n');
    expect(text).toContain('content-length: 0\r\n');
  });

  test('HEAD, 204 and 304 have no body whatever the fields', () => {
    expect(h1ResponseHead({ ':status': '200' }, 'HEAD', false).framing).toBe('none');
    expect(h1ResponseHead({ ':status': '204' }, 'GET', false).framing).toBe('none');
    expect(h1ResponseHead({ ':status': '304' }, 'GET', false).text).not.toContain('content-length');
  });

  test('connection-specific response fields are not passed on, nor values with line breaks', () => {
    const { text } = h1ResponseHead(
      { ':status': '200', connection: 'close', 'x-a': 'ok', 'x-b': 'a\r\nx: y' },
      'GET',
      true,
    );
    expect(text).not.toContain('connection');
    expect(text).not.toContain('x-b');
    expect(text).toContain('x-a: ok');
  });

  test('trailers go in the last chunk, minus pseudo and framing fields', () => {
    expect(lastChunkWithTrailers(undefined)).toBe('0\r\n\r\n');
    expect(
      lastChunkWithTrailers({
        'grpc-status': '0',
        'grpc-message': 'ok',
        'content-length': '1',
        'max-forwards': '3',
        'www-authenticate': 'Basic',
        ':status': '200',
      }),
    ).toBe('0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n');
  });
});
