import { describe, expect, test } from 'vitest';
import { parseRequestHead } from '../codec/index.ts';
import type { RequestHead } from '../codec/types.ts';
import { RequestBodyForwarder, type RequestBodyHost, type UpstreamSink } from './request-body.ts';

const LIMITS = { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 8192 };

function head(text: string): RequestHead {
  const step = parseRequestHead(Buffer.from(text, 'latin1'), 0, text.length, LIMITS);
  if (step.kind !== 'done') throw new Error(step.kind);
  return step.head;
}

class Upstream implements UpstreamSink {
  readonly parts: Buffer[] = [];
  needsDrain = false;
  write(data: Buffer | string, encoding?: BufferEncoding): boolean {
    this.parts.push(typeof data === 'string' ? Buffer.from(data, encoding) : data);
    return !this.needsDrain;
  }
  cork(): void {
    // Writes are recorded in order either way.
  }
  uncork(): void {
    // See cork().
  }
  get text(): string {
    return Buffer.concat(this.parts).toString('latin1');
  }
}

const host = {
  channel: undefined,
  route: undefined,
  fail: () => undefined,
  bodyFed: () => undefined,
  requestChainDrained: () => undefined,
  chainFailed: () => undefined,
} as unknown as RequestBodyHost;

describe('RequestBodyForwarder', () => {
  test('holds the body until the upstream is ready, then forwards it and stops at its end', () => {
    const request = new RequestBodyForwarder(
      head('PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n'),
      host,
      Buffer.from('ab'),
    );
    expect(request.state).toBe('awaiting-upstream');
    request.hold(Buffer.from('cde'));
    const held = request.upstreamReady(1000, 1000);
    expect(held!.toString()).toBe('abcde');
    // Small, idempotent and all here: kept for a retry.
    expect(request.replayBody!.toString()).toBe('abcde');
    const upstream = new Upstream();
    expect(request.feed(Buffer.from('abcdeNEXT'), 0, upstream)).toBe('flushed');
    expect(upstream.text).toBe('abcde');
    expect(request.end).toBe(5);
    expect(request.state).toBe('done');
    expect(request.isComplete).toBe(true);
  });

  test('a POST body is never kept for a replay', () => {
    const request = new RequestBodyForwarder(
      head('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n'),
      host,
      Buffer.from('ab'),
    );
    request.upstreamReady(1000, 1000);
    expect(request.replayBody).toBeNull();
  });

  test('a chunked body is re-encoded chunk by chunk, and a full upstream says so', () => {
    const request = new RequestBodyForwarder(
      head('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'),
      host,
      null,
    );
    request.upstreamReady(1000, 1000);
    const upstream = new Upstream();
    upstream.needsDrain = true;
    expect(request.feed(Buffer.from('2;x=y\r\nab\r\n'), 0, upstream)).toBe('full');
    upstream.needsDrain = false;
    expect(request.feed(Buffer.from('0\r\n\r\n'), 0, upstream)).toBe('flushed');
    expect(upstream.text).toBe('2\r\nab\r\n0\r\n\r\n');
    expect(request.state).toBe('done');
  });

  test('a chunked body over the limit, or badly framed, is refused', () => {
    const chunked = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';
    const big = new RequestBodyForwarder(head(chunked), host, null);
    big.upstreamReady(3, 1000);
    expect(big.feed(Buffer.from('4\r\nabcd\r\n'), 0, new Upstream())).toBe('too-large');
    const bad = new RequestBodyForwarder(head(chunked), host, null);
    bad.upstreamReady(1000, 1000);
    expect(bad.feed(Buffer.from('zz\r\n'), 0, new Upstream())).toBe('bad-framing');
    expect(bad.error!.code).toBe('JCT_ERR_HTTP_BAD_FRAMING');
  });

  test('a move the request side does not make is an invariant violation', () => {
    const request = new RequestBodyForwarder(
      head('PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n'),
      host,
      null,
    );
    request.upstreamReady(1000, 1000);
    expect(() => request.upstreamReady(1000, 1000)).toThrow(/request side: body → body/);
  });
});
