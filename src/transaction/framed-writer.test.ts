import { describe, expect, test } from 'vitest';
import { endFramed, writeChunk, writeChunkOf, writeFramed, type FrameSink } from './framed-writer.ts';

/** Records what is written; `room` writes fit before it reports a full buffer. */
function sink(room = Infinity): FrameSink & { text: () => string } {
  const parts: Buffer[] = [];
  return {
    write(data: Buffer | string, encoding?: BufferEncoding): boolean {
      parts.push(typeof data === 'string' ? Buffer.from(data, encoding) : data);
      return parts.length <= room;
    },
    text: () => Buffer.concat(parts).toString('latin1'),
  };
}

describe('framed writer', () => {
  test('a chunk is its size in hex, the bytes, and CRLF', () => {
    const out = sink();
    writeChunk(out, Buffer.alloc(26, 'a'));
    expect(out.text()).toBe(`1a\r\n${'a'.repeat(26)}\r\n`);
  });

  test('a run of a buffer is framed without copying the rest', () => {
    const out = sink();
    writeChunkOf(out, Buffer.from('xxhelloxx'), 2, 7);
    expect(out.text()).toBe('5\r\nhello\r\n');
  });

  test('length and close framing pass bytes as they are; only chunked ends with the last chunk', () => {
    for (const framing of ['length', 'close', 'none'] as const) {
      const out = sink();
      writeFramed(out, framing, Buffer.from('abc'));
      endFramed(out, framing);
      expect(out.text(), framing).toBe('abc');
    }
    const chunked = sink();
    writeFramed(chunked, 'chunked', Buffer.from('abc'));
    endFramed(chunked, 'chunked');
    expect(chunked.text()).toBe('3\r\nabc\r\n0\r\n\r\n');
  });

  test("a full sink's answer comes back from the chunk's last write", () => {
    expect(writeChunk(sink(2), Buffer.from('abc'))).toBe(false);
    expect(writeChunk(sink(3), Buffer.from('abc'))).toBe(true);
  });
});
