import { describe, expect, test } from 'vitest';
import { ResponseBytes, h2FieldsOf, type H2Fields, type ResponseSink } from './response-bytes.ts';

const LIMITS = { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 8192 };

class Recorder implements ResponseSink {
  readonly events: unknown[] = [];
  interim(status: number, fields: H2Fields): void {
    this.events.push(['interim', status, fields]);
  }
  head(status: number, fields: H2Fields, bodyless: boolean, chunked: boolean): void {
    this.events.push(['head', status, fields, bodyless, chunked]);
  }
  data(buf: Buffer): void {
    this.events.push(['data', buf.toString()]);
  }
  end(trailers: H2Fields | null): void {
    this.events.push(['end', trailers]);
  }
  invalid(message: string): void {
    this.events.push(['invalid', message]);
  }
}

function feed(method: string, ...writes: string[]): unknown[] {
  const sink = new Recorder();
  const bytes = new ResponseBytes(sink, method, LIMITS);
  for (const w of writes) bytes.write(Buffer.from(w, 'latin1'));
  return sink.events;
}

describe('ResponseBytes', () => {
  test('a length-framed response, split anywhere, without connection-specific fields', () => {
    const text =
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello';
    for (let cut = 1; cut < text.length; cut += 7) {
      const events = feed('GET', text.slice(0, cut), text.slice(cut));
      const head = events.find((e) => (e as unknown[])[0] === 'head');
      expect(head).toEqual([
        'head',
        200,
        { 'content-length': '5', 'set-cookie': ['a=1', 'b=2'] },
        false,
        false,
      ]);
      const data = events
        .filter((e) => (e as unknown[])[0] === 'data')
        .map((e) => (e as string[])[1])
        .join('');
      expect(data).toBe('hello');
      expect(events.at(-1)).toEqual(['end', null]);
    }
  });

  test('chunked framing is removed and its trailer section becomes trailers', () => {
    const events = feed(
      'POST',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/grpc\r\n\r\n',
      '5\r\nhel',
      'lo\r\n3\r\nabc\r\n0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n',
    );
    expect(events).toEqual([
      ['head', 200, { 'content-type': 'application/grpc' }, false, true],
      ['data', 'hel'],
      ['data', 'lo'],
      ['data', 'abc'],
      ['end', { 'grpc-status': '0', 'grpc-message': 'ok' }],
    ]);
  });

  test('a chunked body without trailers ends with none', () => {
    const events = feed('GET', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n');
    expect(events.at(-1)).toEqual(['end', null]);
  });

  test('interim heads, then a bodyless final one (HEAD, 204)', () => {
    expect(feed('GET', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n')).toEqual([
      ['interim', 100, {}],
      ['head', 204, {}, true, false],
    ]);
    expect(feed('HEAD', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')).toEqual([
      ['head', 200, { 'content-length': '10' }, true, false],
    ]);
  });

  test('what HTTP/2 cannot carry is invalid', () => {
    expect(feed('GET', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n')[0]).toEqual([
      'invalid',
      '101 Switching Protocols on an HTTP/2 stream',
    ]);
    expect(feed('GET', 'HTTP/1.1 200 OK\r\n\r\nbody')[0]).toEqual([
      'invalid',
      'a close-delimited response on an HTTP/2 stream',
    ]);
    expect(feed('GET', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')[1]).toEqual([
      'invalid',
      'bad chunk size',
    ]);
  });

  test('repeated single-value fields keep the first', () => {
    expect(h2FieldsOf(['Content-Type', 'a', 'content-type', 'b', 'Vary', 'x', 'vary', 'y'], [])).toEqual({
      'content-type': 'a',
      vary: ['x', 'y'],
    });
  });
});
