/**
 * The one owner of body framing on the way out, in both directions (undici's AsyncWriter): a body
 * goes as it is (length- or close-delimited) or as chunks, and a chunked body ends with the last
 * chunk. Chunk framing and LAST_CHUNK are written here and nowhere else in transaction/.
 * Stateless functions over a byte sink (a client stream or an upstream channel), so a transaction
 * allocates nothing to use them.
 */
import { LAST_CHUNK, chunkHeader } from '../codec/index.ts';

/** Where framed bytes go: the client's stream or the upstream's channel. False: its buffer is full. */
export interface FrameSink {
  write(data: Buffer | string, encoding?: BufferEncoding): boolean;
}

/**
 * How a body is framed on one hop: `length` (Content-Length, bytes as they are), `chunked`, `close`
 * (bytes as they are, the end is the connection's), or `none` (no body at all).
 */
export type BodyFraming = 'none' | 'length' | 'chunked' | 'close';

/** Writes `data` (not empty) as one chunk. */
export function writeChunk(sink: FrameSink, data: Buffer): boolean {
  sink.write(chunkHeader(data.length), 'latin1');
  sink.write(data);
  return sink.write('\r\n', 'latin1');
}

/** Writes the run `buf[start, end)` as one chunk. */
export function writeChunkOf(sink: FrameSink, buf: Buffer, start: number, end: number): boolean {
  return writeChunk(sink, buf.subarray(start, end));
}

/** Writes body bytes in `framing`: one chunk when chunked, the bytes as they are otherwise. */
export function writeFramed(sink: FrameSink, framing: BodyFraming, data: Buffer): boolean {
  return framing === 'chunked' ? writeChunk(sink, data) : sink.write(data);
}

/** Ends a body framed in `framing`: the last chunk when chunked, nothing otherwise. */
export function endFramed(sink: FrameSink, framing: BodyFraming): void {
  if (framing === 'chunked') sink.write(LAST_CHUNK, 'latin1');
}
