import { describe, expect, test } from 'vitest';
import { parseResponseHead } from '../codec/index.ts';
import type { ResponseHead } from '../codec/types.ts';
import { FakeSession } from './txn-fakes.test-suite.ts';
import {
  ResponseBodyForwarder,
  headAndBody,
  isBodyless,
  isWholeSmallBody,
  lastChunkWith,
  responseFraming,
  type ResponseBodyHost,
} from './response-body.ts';

const LIMITS = { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 8192 };

function response(text: string, method = 'GET'): ResponseHead {
  const step = parseResponseHead(Buffer.from(text, 'latin1'), 0, text.length, LIMITS, method);
  if (step.kind !== 'done') throw new Error(step.kind);
  return step.head;
}

const host: ResponseBodyHost = {
  isFinished: false,
  responseChainDrained: () => undefined,
  responseDelivered: () => undefined,
  chainFailed: () => undefined,
};

const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';

describe('response body framing and forwarding', () => {
  test('framing for the client: kept, re-chunked, or close-delimited for HTTP/1.0', () => {
    expect(responseFraming(response('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n'), 1, false)).toBe(
      'length',
    );
    expect(responseFraming(response(CHUNKED), 0, false)).toBe('close');
    expect(responseFraming(response('HTTP/1.1 200 OK\r\n\r\n'), 1, false)).toBe('chunked');
    expect(responseFraming(response('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n'), 1, true)).toBe(
      'chunked',
    );
    expect(responseFraming(response('HTTP/1.1 204 No Content\r\n\r\n'), 1, false)).toBe('none');
  });

  test('the small-body path: the whole body here, at most 16 KiB', () => {
    const small = response('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n');
    expect(isWholeSmallBody(small, Buffer.from('headok'), 4)).toBe(true);
    expect(isWholeSmallBody(small, Buffer.from('heado'), 4)).toBe(false);
    const large = response('HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n');
    expect(isWholeSmallBody(large, Buffer.alloc(20010), 0)).toBe(false);
    expect(headAndBody('HEAD:', Buffer.from('xxok'), 2, 2).toString()).toBe('HEAD:ok');
    expect(isBodyless(response('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))).toBe(true);
  });

  test('a chunked body is decoded and re-chunked; the last chunk completes it', () => {
    const session = new FakeSession();
    const body = new ResponseBodyForwarder(host, session, response(CHUNKED), 'chunked', null, 1000);
    expect(body.feed(Buffer.from('3\r\nabc\r\n'), 0)).toBe('flushed');
    expect(body.feed(Buffer.from('0\r\n\r\n'), 0)).toBe('complete');
    expect(session.text).toBe('3\r\nabc\r\n0\r\n\r\n');
    expect(body.overran).toBe(false);
  });

  test('a chunked body to an HTTP/1.0 client goes close-delimited', () => {
    const session = new FakeSession();
    const body = new ResponseBodyForwarder(host, session, response(CHUNKED), 'close', null, 1000);
    body.feed(Buffer.from('3\r\nabc\r\n0\r\n\r\n'), 0);
    expect(session.text).toBe('abc');
  });

  test('bytes past a length-framed body mark the connection out of step', () => {
    const session = new FakeSession();
    const head = response('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n');
    const body = new ResponseBodyForwarder(host, session, head, 'length', null, 1000);
    expect(body.feed(Buffer.from('ab'), 0)).toBe('flushed');
    expect(body.feed(Buffer.from('cdef'), 0)).toBe('complete');
    expect(session.text).toBe('abc');
    expect(body.overran).toBe(true);
  });

  test('a close-delimited body ends with the upstream FIN, with a last chunk when re-chunked', () => {
    const session = new FakeSession();
    const body = new ResponseBodyForwarder(
      host,
      session,
      response('HTTP/1.1 200 OK\r\n\r\n'),
      'chunked',
      null,
      1000,
    );
    session.full = true;
    expect(body.feed(Buffer.from('ab'), 0)).toBe('full');
    expect(body.upstreamEnded()).toBe(true);
    expect(session.text).toBe('2\r\nab\r\n0\r\n\r\n');
  });

  test('invalid chunk framing is refused with its code', () => {
    const body = new ResponseBodyForwarder(host, new FakeSession(), response(CHUNKED), 'chunked', null, 1000);
    expect(body.feed(Buffer.from('zz\r\n'), 0)).toBe('invalid');
    expect(body.error!.code).toBe('JCT_ERR_HTTP_BAD_RESPONSE');
  });
});

describe('lastChunkWith', () => {
  test('keeps end-to-end trailer fields as they came, drops what RFC 9110 §6.5.1 rules out', () => {
    const text = lastChunkWith([
      'Grpc-Status',
      '0',
      'Authorization',
      'Bearer x',
      'Cache-Control',
      'no-store',
      'Location',
      '/elsewhere',
      'Content-Length',
      '5',
      'Transfer-Encoding',
      'chunked',
      'WWW-Authenticate',
      'Basic',
      'Server-Timing',
      'db;dur=5',
    ]);
    expect(text).toBe('0\r\nGrpc-Status: 0\r\nServer-Timing: db;dur=5\r\n\r\n');
  });

  test('no trailers: the bare last chunk', () => {
    expect(lastChunkWith([])).toBe('0\r\n\r\n');
  });
});
