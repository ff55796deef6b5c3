import { describe, expect, test } from 'vitest';
import { ChunkedDecoder, MAX_CHUNK_SIZE_LINE_BYTES, type ChunkSink, type DecodeStep } from './index.ts';

class Collect implements ChunkSink {
  data = '';
  ends = 0;
  onData(buf: Buffer, start: number, end: number): void {
    this.data += buf.toString('latin1', start, end);
  }
  onEnd(): void {
    this.ends++;
  }
}

/** Feeds `raw` in pieces of `step` bytes (0 = all at once); stops at done or reject. */
function decode(raw: string, step = 0, decoder = new ChunkedDecoder()) {
  const buf = Buffer.from(raw, 'latin1');
  const sink = new Collect();
  let consumed = 0;
  let last: DecodeStep = { kind: 'ok', consumed: 0, done: false };
  const size = step || buf.length || 1;
  for (let p = 0; p < buf.length;) {
    const end = Math.min(buf.length, p + size);
    last = decoder.feed(buf, p, end, sink);
    if (last.kind === 'reject') break;
    consumed += last.consumed;
    if (last.done) break;
    expect(last.consumed).toBe(end - p);
    p = end;
  }
  return { last, consumed, data: sink.data, ends: sink.ends };
}

describe('ChunkedDecoder: valid bodies', () => {
  test.each<[string, string, string]>([
    ['empty body', '0\r\n\r\n', ''],
    ['one chunk', '5\r\nhello\r\n0\r\n\r\n', 'hello'],
    ['two chunks', '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n', 'hello world'],
    ['hex sizes, both cases', 'a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n', '0123456789abcdefghij'],
    ['leading zeros', '0005\r\nhello\r\n000\r\n\r\n', 'hello'],
    ['16 hex digits', '0000000000000005\r\nhello\r\n0\r\n\r\n', 'hello'],
    ['extension without value', '5;ext\r\nhello\r\n0\r\n\r\n', 'hello'],
    ['extensions with values', '5;a=b;c="d e"\r\nhello\r\n0;last\r\n\r\n', 'hello'],
    ['data containing CRLF', '4\r\n\r\n\r\n\r\n0\r\n\r\n', '\r\n\r\n'],
    ['binary data', '3\r\n\0\xff\x7f\r\n0\r\n\r\n', '\0\xff\x7f'],
    ['one trailer', '5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n', 'hello'],
    ['several trailers, empty value', '0\r\nA: 1\r\nB:\r\nC: \t x \r\n\r\n', ''],
  ])('%s', (_name, raw, data) => {
    for (const step of [0, 1, 2, 3, 7]) {
      const r = decode(raw, step);
      expect(r.last).toMatchObject({ kind: 'ok', done: true });
      expect(r.consumed).toBe(raw.length);
      expect(r.data).toBe(data);
      expect(r.ends).toBe(1);
    }
  });

  test('consumed stops after the final CRLF; the next message is left alone', () => {
    const body = '3\r\nabc\r\n0\r\nT: v\r\n\r\n';
    const r = decode(body + 'GET / HTTP/1.1\r\n');
    expect(r.last).toEqual({ kind: 'ok', consumed: body.length, done: true });
    expect(r.data).toBe('abc');
  });

  test('onData gets views of the input buffer (zero-copy)', () => {
    const buf = Buffer.from('5\r\nhello\r\n0\r\n\r\n');
    const calls: [Buffer, number, number][] = [];
    new ChunkedDecoder().feed(buf, 0, buf.length, {
      onData: (b, s, e) => calls.push([b, s, e]),
      onEnd: () => calls.push([buf, -1, -1]),
    });
    expect(calls).toEqual([
      [buf, 3, 8],
      [buf, -1, -1],
    ]);
    expect(calls[0]![0]).toBe(buf);
  });

  test('honours start and end inside a larger buffer', () => {
    const buf = Buffer.from('xx3\r\nabc\r\n0\r\n\r\nyy');
    const sink = new Collect();
    expect(new ChunkedDecoder().feed(buf, 2, buf.length - 2, sink)).toEqual({
      kind: 'ok',
      consumed: 13,
      done: true,
    });
    expect(sink.data).toBe('abc');
  });

  test('after done, feeding consumes nothing and onEnd is not called again', () => {
    const decoder = new ChunkedDecoder();
    const sink = new Collect();
    const buf = Buffer.from('0\r\n\r\n0\r\n\r\n');
    expect(decoder.feed(buf, 0, buf.length, sink)).toEqual({ kind: 'ok', consumed: 5, done: true });
    expect(decoder.feed(buf, 5, buf.length, sink)).toEqual({ kind: 'ok', consumed: 0, done: true });
    expect(sink.ends).toBe(1);
  });

  test('reset() readies the decoder for the next body, also after an error', () => {
    const decoder = new ChunkedDecoder();
    expect(decode('zz\r\n', 0, decoder).last.kind).toBe('reject');
    decoder.reset();
    expect(decode('2\r\nok\r\n0\r\n\r\n', 0, decoder)).toMatchObject({ data: 'ok', ends: 1 });
    decoder.reset();
    expect(decode('1\r\n!\r\n0\r\n\r\n', 1, decoder)).toMatchObject({ data: '!', ends: 1 });
  });

  test('a large chunk split at every size', () => {
    const payload = 'x'.repeat(70000);
    const raw = `${payload.length.toString(16)}\r\n${payload}\r\n0\r\n\r\n`;
    expect(decode(raw, 1000).data).toBe(payload);
  });

  test('an empty feed is a no-op', () => {
    const decoder = new ChunkedDecoder();
    expect(decoder.feed(Buffer.alloc(0), 0, 0, new Collect())).toEqual({
      kind: 'ok',
      consumed: 0,
      done: false,
    });
  });
});

describe('ChunkedDecoder: invalid bodies', () => {
  test.each<[string, string]>([
    ['missing size', '\r\nhello\r\n0\r\n\r\n'],
    ['non-hex size', 'g\r\nhello\r\n0\r\n\r\n'],
    ['0x prefix', '0x5\r\nhello\r\n0\r\n\r\n'],
    ['signed size', '+5\r\nhello\r\n0\r\n\r\n'],
    ['17 hex digits', '00000000000000005\r\nhello\r\n0\r\n\r\n'],
    ['size overflows 2^53-1', '20000000000000\r\n'],
    ['size 2^64 wraps to 0 elsewhere', '10000000000000000\r\n\r\n'],
    ['space before CRLF', '5 \r\nhello\r\n0\r\n\r\n'],
    ['tab before CRLF', '5\t\r\nhello\r\n0\r\n\r\n'],
    ['space before ;', '5 ;x\r\nhello\r\n0\r\n\r\n'],
    ['leading space', ' 5\r\nhello\r\n0\r\n\r\n'],
    ['bare LF after size', '5\nhello\r\n0\r\n\r\n'],
    ['CR without LF after size', '5\rhello\r\n0\r\n\r\n'],
    ['control char in extension', '5;a\x01\r\nhello\r\n0\r\n\r\n'],
    ['bare LF in extension', '5;a\nhello\r\n0\r\n\r\n'],
    ['data too long', '5\r\nhello!\r\n0\r\n\r\n'],
    ['data followed by LF only', '5\r\nhello\n0\r\n\r\n'],
    ['data followed by CR only', '5\r\nhello\r0\r\n\r\n'],
    ['data followed by nothing but the next size', '5\r\nhello0\r\n\r\n'],
    ['bare LF after last chunk', '0\n\r\n'],
    ['bare LF ending the body', '0\r\n\n'],
    ['CR without LF ending the body', '0\r\n\rX'],
    ['trailer obs-fold', '0\r\nA: 1\r\n 2\r\n\r\n'],
    ['trailer space before colon', '0\r\nA : 1\r\n\r\n'],
    ['trailer without colon', '0\r\nA\r\n\r\n'],
    ['trailer empty name', '0\r\n: v\r\n\r\n'],
    ['trailer NUL', '0\r\nA: \0\r\n\r\n'],
    ['trailer bare LF', '0\r\nA: 1\n\r\n'],
    ['trailer CR without LF', '0\r\nA: 1\rB: 2\r\n\r\n'],
  ])('%s', (_name, raw) => {
    for (const step of [0, 1]) {
      const r = decode(raw, step);
      expect(r.last).toMatchObject({
        kind: 'reject',
        error: { code: 'JCT_ERR_HTTP_BAD_FRAMING', source: 'client' },
      });
      expect(r.ends).toBe(0);
    }
  });

  test('a size of exactly 2^53-1 is accepted', () => {
    const decoder = new ChunkedDecoder();
    const buf = Buffer.from('1fffffffffffff\r\nab');
    const sink = new Collect();
    expect(decoder.feed(buf, 0, buf.length, sink)).toEqual({ kind: 'ok', consumed: buf.length, done: false });
    expect(sink.data).toBe('ab');
  });

  test('the size line may be MAX_CHUNK_SIZE_LINE_BYTES long, not one byte more', () => {
    const line = (n: number) => '5;' + 'e'.repeat(n - 2);
    expect(decode(`${line(MAX_CHUNK_SIZE_LINE_BYTES)}\r\nhello\r\n0\r\n\r\n`, 100).data).toBe('hello');
    expect(decode(`${line(MAX_CHUNK_SIZE_LINE_BYTES + 1)}\r\nhello\r\n0\r\n\r\n`, 100).last.kind).toBe(
      'reject',
    );
    expect(decode(line(MAX_CHUNK_SIZE_LINE_BYTES + 1), 7).last.kind).toBe('reject');
  });

  test('the trailer section is bounded, final CRLF included', () => {
    const trailers = 'A: 12345\r\n\r\n'; // 12 bytes
    expect(decode(`0\r\n${trailers}`, 0, new ChunkedDecoder('client', 12)).ends).toBe(1);
    expect(decode(`0\r\n${trailers}`, 0, new ChunkedDecoder('client', 11)).last.kind).toBe('reject');
    expect(decode(`0\r\n${trailers}`, 1, new ChunkedDecoder('client', 11)).last.kind).toBe('reject');
    expect(decode(`0\r\nA: ${'v'.repeat(100)}`, 1, new ChunkedDecoder('client', 50)).last.kind).toBe(
      'reject',
    );
  });

  test('upstream bodies fail with BAD_RESPONSE from source upstream', () => {
    const r = decode('5\r\nhello!', 0, new ChunkedDecoder('upstream'));
    expect(r.last).toMatchObject({
      kind: 'reject',
      error: { code: 'JCT_ERR_HTTP_BAD_RESPONSE', source: 'upstream', status: 502 },
    });
  });

  test('after a reject, every feed returns the same error', () => {
    const decoder = new ChunkedDecoder();
    const sink = new Collect();
    const first = decoder.feed(Buffer.from('x'), 0, 1, sink);
    const again = decoder.feed(Buffer.from('0\r\n\r\n'), 0, 5, sink);
    expect(first.kind).toBe('reject');
    expect(again).toEqual(first);
    expect(sink.ends).toBe(0);
  });
});

describe('kept trailers', () => {
  test('a response decoder asked to keep its trailers gives their fields, across split feeds', () => {
    const body = Buffer.from('3\r\nabc\r\n0\r\ngrpc-status: 0\r\ngrpc-message: all good\r\n\r\n');
    for (let split = 1; split < body.length; split++) {
      const decoder = new ChunkedDecoder('upstream');
      decoder.keepTrailers();
      const sink = { onData: () => undefined, onEnd: () => undefined };
      decoder.feed(body.subarray(0, split), 0, split, sink);
      const rest = body.subarray(split);
      const step = decoder.feed(rest, 0, rest.length, sink);
      expect(step.kind === 'ok' && step.done).toBe(true);
      expect(decoder.trailerFields()).toEqual(['grpc-status', '0', 'grpc-message', 'all good']);
    }
  });

  test('not asked, nothing is kept', () => {
    const decoder = new ChunkedDecoder('upstream');
    const body = Buffer.from('0\r\nx: 1\r\n\r\n');
    decoder.feed(body, 0, body.length, { onData: () => undefined, onEnd: () => undefined });
    expect(decoder.trailerFields()).toEqual([]);
  });
});
