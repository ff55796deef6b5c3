/**
 * The cache write's tee: a copy of the upstream's response bytes as they stream to the client (never
 * held back from it), bounded by the largest object the cache stores, and turned into a stored body
 * once the response is complete. Copying the wire bytes and decoding them at the end keeps the data
 * path untouched: the client's bytes go out as before, whatever the framing.
 */
import { ChunkedDecoder, parseResponseHead, type HeadLimits, type ResponseHead } from '../codec/index.ts';

export class ResponseRecorder {
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  readonly #limit: number;
  /** Past the limit: the copy was dropped and nothing will be stored. */
  overflowed = false;

  /** `limit`: the largest body stored plus room for the head. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Copies `chunk` (the caller may reuse its buffer). False once past the limit. */
  record(chunk: Buffer, start = 0): boolean {
    if (this.overflowed) return false;
    const n = chunk.length - start;
    if (this.#bytes + n > this.#limit) {
      this.overflowed = true;
      this.#chunks.length = 0;
      return false;
    }
    this.#chunks.push(Buffer.from(chunk.subarray(start)));
    this.#bytes += n;
    return true;
  }

  /** The bytes copied so far as one buffer (kept as one from then on). */
  peek(): Buffer {
    const chunks = this.#chunks;
    if (chunks.length > 1) {
      const whole = Buffer.concat(chunks);
      chunks.length = 0;
      chunks.push(whole);
    }
    return chunks[0] ?? Buffer.alloc(0);
  }

  /** The complete response's final head and decoded body; undefined when it cannot be read back whole. */
  decode(limits: HeadLimits): { head: ResponseHead; body: Buffer } | undefined {
    if (this.overflowed) return undefined;
    const buf = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    let offset = 0;
    let head: ResponseHead;
    for (;;) {
      const step = parseResponseHead(buf, offset, buf.length, limits, 'GET');
      if (step.kind !== 'done') return undefined;
      offset += step.consumed;
      if (step.head.status >= 200) {
        head = step.head;
        break;
      }
    }
    switch (head.bodyKind) {
      case 'none':
        return { head, body: Buffer.alloc(0) };
      case 'length':
        if (buf.length - offset < head.contentLength) return undefined;
        return { head, body: Buffer.from(buf.subarray(offset, offset + head.contentLength)) };
      case 'close':
        return { head, body: Buffer.from(buf.subarray(offset)) };
      case 'chunked': {
        const parts: Buffer[] = [];
        const step = new ChunkedDecoder('upstream', limits.maxHeadBytes).feed(buf, offset, buf.length, {
          onData: (data, start, end) => {
            parts.push(Buffer.from(data.subarray(start, end)));
          },
          onEnd: () => {
            parts.push(END);
          },
        });
        if (step.kind !== 'ok' || parts.at(-1) !== END) return undefined;
        parts.pop();
        return { head, body: Buffer.concat(parts) };
      }
    }
  }
}

/** Marks the chunked body's end among its parts. */
const END = Buffer.alloc(0);
