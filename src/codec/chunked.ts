/**
 * The chunked transfer coding (RFC 9112 §7.1), decoded incrementally: bytes may arrive split at any
 * point, so all state lives in numeric fields and the decoder resumes wherever the last feed stopped.
 *
 * Strictness (each rule closes a known desync between proxies and origins):
 * - chunk-size is 1 to 16 hex digits and at most 2^53-1; no whitespace anywhere in the size line
 *   except inside extensions after ';' (no BWS before ';', no trailing spaces);
 * - the size line, extensions included, is at most MAX_CHUNK_SIZE_LINE_BYTES;
 * - chunk data is followed by exactly CRLF, and every line ends in CRLF (a bare LF is refused);
 * - trailer fields are validated like header fields and bounded by `maxTrailerBytes`.
 * Extensions are discarded. Trailers are too, unless the decoder is asked to keep them (a response's,
 * for gRPC's status): a request's trailers could smuggle fields past header checks, so they never are.
 */
import { HttpParseError, type HttpParseCode } from '../errors/index.ts';
import type { ChunkSink, DecodeStep } from './types.ts';
import { COLON, CR, FIELD_VALUE, HEX_VALUE, HTAB, LF, SP, TOKEN } from './tables.ts';

export const MAX_CHUNK_SIZE_LINE_BYTES = 4096;
export const DEFAULT_MAX_TRAILER_BYTES = 32 * 1024;

const SIZE = 0;
const EXTENSION = 1;
const SIZE_LF = 2;
const DATA = 3;
const DATA_CR = 4;
const DATA_LF = 5;
const TRAILER_LINE = 6;
const TRAILER_NAME = 7;
const TRAILER_VALUE = 8;
const TRAILER_LF = 9;
const END_LF = 10;
const DONE = 11;
const FAILED = 12;

const SEMICOLON = 0x3b;
/** Up to this, size * 16 + 15 stays within 2^53-1 (which is 0x1fffffffffffff); beyond it, any further digit passes it. */
const MAX_SIZE_BEFORE_DIGIT = Math.floor(Number.MAX_SAFE_INTEGER / 16);

/** Decodes one chunked body; reset() makes it ready for the next one on the same connection. */
export class ChunkedDecoder {
  readonly #code: HttpParseCode;
  readonly #source: 'client' | 'upstream';
  readonly #maxTrailerBytes: number;
  #state = SIZE;
  #size = 0;
  #digits = 0;
  #lineBytes = 0;
  #remaining = 0;
  #trailerBytes = 0;
  #error: HttpParseError | null = null;
  /** The trailer section's bytes (without the final CRLF), when kept; null when not asked for. */
  #kept: Buffer[] | null = null;

  /**
   * `source` is who sent the body: 'client' errors are JCT_ERR_HTTP_BAD_FRAMING (400), 'upstream'
   * errors JCT_ERR_HTTP_BAD_RESPONSE (502). `maxTrailerBytes` bounds the trailer section including
   * its final CRLF (default 32 KiB).
   */
  constructor(source: 'client' | 'upstream' = 'client', maxTrailerBytes: number = DEFAULT_MAX_TRAILER_BYTES) {
    this.#source = source;
    this.#code = source === 'client' ? 'JCT_ERR_HTTP_BAD_FRAMING' : 'JCT_ERR_HTTP_BAD_RESPONSE';
    this.#maxTrailerBytes = maxTrailerBytes;
  }

  /** Keeps the trailer section (validated and bounded as always) for trailerFields(). */
  keepTrailers(): void {
    this.#kept = [];
  }

  /**
   * The trailer fields of the body decoded, flat (name, value, …), once done; empty when there were
   * none or they were not kept.
   */
  trailerFields(): string[] {
    const kept = this.#kept;
    if (kept === null || kept.length === 0) return [];
    const fields: string[] = [];
    for (const line of Buffer.concat(kept).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      fields.push(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    return fields;
  }

  reset(): void {
    if (this.#kept !== null) this.#kept = [];
    this.#state = SIZE;
    this.#size = 0;
    this.#digits = 0;
    this.#lineBytes = 0;
    this.#remaining = 0;
    this.#trailerBytes = 0;
    this.#error = null;
  }

  /**
   * Decodes buf[start, end). Chunk data goes to sink.onData as views of `buf` (no copy); sink.onEnd
   * runs once, after the final CRLF. `consumed` stops right after that CRLF, so the rest of the input
   * is the next message; before the end, all of the input is consumed. After done, feeding consumes
   * nothing; after a reject, it returns the same error. A sink that throws leaves the decoder in an
   * unspecified state (reset() it); the decoder itself never throws on network bytes.
   */
  feed(buf: Buffer, start: number, end: number, sink: ChunkSink): DecodeStep {
    let state = this.#state;
    if (state === DONE) return { kind: 'ok', consumed: 0, done: true };
    if (state === FAILED) return { kind: 'reject', error: this.#error! };
    let p = start;
    /** Where this feed's part of a kept trailer section starts; -1 outside one. */
    let section = this.#kept !== null && state >= TRAILER_LINE && state <= TRAILER_LF ? start : -1;
    while (p < end) {
      switch (state) {
        case DATA: {
          const available = end - p;
          const n = this.#remaining < available ? this.#remaining : available;
          sink.onData(buf, p, p + n);
          p += n;
          this.#remaining -= n;
          if (this.#remaining === 0) state = DATA_CR;
          break;
        }
        case SIZE: {
          let size = this.#size;
          let digits = this.#digits;
          while (p < end) {
            const v = HEX_VALUE[buf[p]!]!;
            if (v === 0) break;
            if (++digits > 16) return this.#fail('chunk size has more than 16 hex digits');
            if (size > MAX_SIZE_BEFORE_DIGIT) return this.#fail('chunk size too large');
            size = size * 16 + (v - 1);
            p++;
          }
          this.#size = size;
          this.#lineBytes += digits - this.#digits;
          this.#digits = digits;
          if (p >= end) break;
          const c = buf[p]!;
          if (digits === 0) return this.#fail(c === LF ? 'bare LF line ending' : 'missing chunk size');
          if (c === CR) state = SIZE_LF;
          else if (c === SEMICOLON) state = EXTENSION;
          else return this.#fail(c === LF ? 'bare LF line ending' : 'invalid character in chunk size line');
          p++;
          this.#lineBytes++;
          break;
        }
        case EXTENSION: {
          const s = p;
          while (p < end && FIELD_VALUE[buf[p]!] === 1) p++;
          this.#lineBytes += p - s;
          if (this.#lineBytes > MAX_CHUNK_SIZE_LINE_BYTES) return this.#fail('chunk size line too long');
          if (p >= end) break;
          if (buf[p] !== CR) {
            return this.#fail(buf[p] === LF ? 'bare LF line ending' : 'control character in chunk extension');
          }
          state = SIZE_LF;
          p++;
          break;
        }
        case SIZE_LF:
          if (buf[p] !== LF) return this.#fail('CR not followed by LF');
          p++;
          if (this.#size === 0) {
            state = TRAILER_LINE;
            if (this.#kept !== null) section = p;
          } else {
            this.#remaining = this.#size;
            state = DATA;
          }
          this.#size = 0;
          this.#digits = 0;
          this.#lineBytes = 0;
          break;
        case DATA_CR:
          if (buf[p] !== CR) return this.#fail('chunk data not followed by CRLF');
          p++;
          state = DATA_LF;
          break;
        case DATA_LF:
          if (buf[p] !== LF) return this.#fail('chunk data not followed by CRLF');
          p++;
          state = SIZE;
          break;
        case TRAILER_LINE: {
          const c = buf[p]!;
          if (c === CR) {
            state = END_LF;
            if (section !== -1 && p > section) this.#kept!.push(Buffer.from(buf.subarray(section, p)));
            section = -1;
          } else if (c === SP || c === HTAB) return this.#fail('obsolete line folding in trailer');
          else if (TOKEN[c] === 1) state = TRAILER_NAME;
          else return this.#fail(c === LF ? 'bare LF line ending' : 'invalid trailer field name');
          p++;
          if (++this.#trailerBytes > this.#maxTrailerBytes) return this.#fail('trailer section too large');
          break;
        }
        case TRAILER_NAME:
        case TRAILER_VALUE: {
          const s = p;
          const accept = state === TRAILER_NAME ? TOKEN : FIELD_VALUE;
          while (p < end && accept[buf[p]!] === 1) p++;
          this.#trailerBytes += p - s;
          if (this.#trailerBytes > this.#maxTrailerBytes) return this.#fail('trailer section too large');
          if (p >= end) break;
          const c = buf[p]!;
          if (state === TRAILER_NAME && c === COLON) {
            state = TRAILER_VALUE;
          } else if (state === TRAILER_VALUE && c === CR) {
            state = TRAILER_LF;
          } else {
            if (c === LF) return this.#fail('bare LF line ending');
            return this.#fail(
              state === TRAILER_NAME ? 'invalid trailer field name' : 'control character in trailer',
            );
          }
          p++;
          if (++this.#trailerBytes > this.#maxTrailerBytes) return this.#fail('trailer section too large');
          break;
        }
        case TRAILER_LF:
          if (buf[p] !== LF) return this.#fail('CR not followed by LF');
          p++;
          state = TRAILER_LINE;
          if (++this.#trailerBytes > this.#maxTrailerBytes) return this.#fail('trailer section too large');
          break;
        case END_LF:
          if (buf[p] !== LF) return this.#fail('CR not followed by LF');
          p++;
          if (++this.#trailerBytes > this.#maxTrailerBytes) return this.#fail('trailer section too large');
          this.#state = DONE;
          sink.onEnd();
          return { kind: 'ok', consumed: p - start, done: true };
        default:
          // DONE and FAILED return before the loop.
          throw new Error(`ChunkedDecoder in impossible state ${state}`);
      }
    }
    this.#state = state;
    if (section !== -1 && p > section) this.#kept!.push(Buffer.from(buf.subarray(section, p)));
    return { kind: 'ok', consumed: p - start, done: false };
  }

  #fail(reason: string): DecodeStep {
    const error = new HttpParseError(
      this.#code,
      this.#source === 'client' ? `chunked body: ${reason}` : `upstream chunked body: ${reason}`,
      this.#source,
    );
    this.#state = FAILED;
    this.#error = error;
    return { kind: 'reject', error };
  }
}
