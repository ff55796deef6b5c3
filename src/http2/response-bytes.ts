/**
 * The HTTP/1.1 response a transaction writes, read back as HTTP/2's pieces: interim heads, the
 * final head (connection-specific fields dropped, names lower-cased), body bytes without their
 * chunk framing, and the chunked trailer section as trailers. The transaction keeps writing
 * HTTP/1.1 bytes, so its hot path and src/transaction/ stay as they are; the price (parsing a head
 * Junction itself serialised) is paid by HTTP/2 streams only. Sans-io: feeds a ResponseSink.
 */
import { CONNECTION_SPECIFIC_FIELDS, parseResponseHead } from '../codec/index.ts';
import type { HeadLimits, ResponseHead } from '../codec/types.ts';

/** HTTP/2 fields: lower-case names, a list where a name repeats. */
export type H2Fields = Record<string, string | string[]>;

export interface ResponseSink {
  /** A 1xx head (100 Continue, 103 Early Hints). */
  interim(status: number, fields: H2Fields): void;
  /** The final head; `bodyless`: nothing follows it; `chunked`: trailers may follow the body. */
  head(status: number, fields: H2Fields, bodyless: boolean, chunked: boolean): void;
  data(buf: Buffer): void;
  /** The body is complete; `trailers` is null when the chunked body had none (or was length-framed). */
  end(trailers: H2Fields | null): void;
  /** The bytes are not a response Junction could have written. */
  invalid(message: string): void;
}

/**
 * Fields never sent on an HTTP/2 stream's response (RFC 9113 §8.2.2): the connection-specific ones,
 * and TE, which has no meaning in a response.
 */
const CONNECTION_SPECIFIC = new Set([...CONNECTION_SPECIFIC_FIELDS, 'te']);

/** Names Node's HTTP/2 layer allows once: a repeat keeps the first value (what HTTP/1.1 readers use). */
const SINGLE_VALUE = new Set([
  'access-control-allow-credentials',
  'access-control-max-age',
  'access-control-request-method',
  'age',
  'authorization',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'dnt',
  'etag',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'tk',
  'upgrade-insecure-requests',
  'user-agent',
  'x-content-type-options',
]);

/** Turns a flat name/value list into HTTP/2 fields, without connection-specific ones. */
export function h2FieldsOf(flat: readonly string[], connectionTokens: readonly string[]): H2Fields {
  const out: H2Fields = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    if (CONNECTION_SPECIFIC.has(name) || connectionTokens.includes(name)) continue;
    const value = flat[i + 1]!;
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (SINGLE_VALUE.has(name)) continue;
    else if (typeof had === 'string') out[name] = [had, value];
    else had.push(value);
  }
  return out;
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'done';

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const MAX_CHUNK_LINE = 1024;

export class ResponseBytes {
  readonly #sink: ResponseSink;
  readonly #method: string;
  readonly #limits: HeadLimits;
  #state: State = 'head';
  /** Bytes of a head, a chunk-size line or a trailer section that spans writes. */
  #pending: Buffer | null = null;
  #remaining = 0;

  constructor(sink: ResponseSink, requestMethod: string, limits: HeadLimits) {
    this.#sink = sink;
    this.#method = requestMethod;
    this.#limits = limits;
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  /** Whether the final head went to the sink. */
  get started(): boolean {
    return this.#state !== 'head';
  }

  write(data: Buffer | string, encoding?: BufferEncoding): void {
    let buf = typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : data;
    if (this.#pending !== null) {
      buf = Buffer.concat([this.#pending, buf]);
      this.#pending = null;
    }
    let at = 0;
    while (at < buf.length && this.#state !== 'done') {
      const next = this.#step(buf, at);
      if (next < 0) return;
      at = next;
    }
  }

  /** One step from `at`; the new offset, or -1 when the rest waits in #pending (or was refused). */
  #step(buf: Buffer, at: number): number {
    switch (this.#state) {
      case 'head':
        return this.#head(buf, at);
      case 'length': {
        const n = Math.min(this.#remaining, buf.length - at);
        this.#sink.data(at === 0 && n === buf.length ? buf : buf.subarray(at, at + n));
        this.#remaining -= n;
        if (this.#remaining === 0) this.#finish(null);
        return at + n;
      }
      case 'chunk-size': {
        const lf = buf.indexOf(0x0a, at);
        if (lf < 0) return this.#wait(buf, at, MAX_CHUNK_LINE, 'chunk size line too long');
        const line = buf.toString('latin1', at, lf).replace(/[;\r].*$/s, '');
        const size = /^[0-9a-fA-F]{1,12}$/.test(line) ? parseInt(line, 16) : -1;
        if (size < 0) return this.#invalid('bad chunk size');
        if (size === 0) this.#state = 'trailers';
        else {
          this.#remaining = size;
          this.#state = 'chunk-data';
        }
        return lf + 1;
      }
      case 'chunk-data': {
        const n = Math.min(this.#remaining, buf.length - at);
        this.#sink.data(buf.subarray(at, at + n));
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = 'chunk-crlf';
        return at + n;
      }
      case 'chunk-crlf': {
        if (buf.length - at < 2) return this.#wait(buf, at, 2, '');
        if (buf[at] !== 0x0d || buf[at + 1] !== 0x0a) return this.#invalid('bad chunk end');
        this.#state = 'chunk-size';
        return at + 2;
      }
      case 'trailers':
        return this.#trailers(buf, at);
      case 'done':
        return buf.length;
    }
  }

  #head(buf: Buffer, at: number): number {
    const end = buf.indexOf(CRLFCRLF, at);
    if (end < 0) return this.#wait(buf, at, this.#limits.maxHeadBytes, 'response head too large');
    const step = parseResponseHead(buf, at, end + 4, this.#limits, this.#method);
    if (step.kind !== 'done') return this.#invalid(step.kind === 'reject' ? step.error.message : 'bad head');
    const head: ResponseHead = step.head;
    const fields = h2FieldsOf(head.headers, head.connectionTokens);
    const next = at + step.consumed;
    if (head.status < 200) {
      if (head.status === 101) return this.#invalid('101 Switching Protocols on an HTTP/2 stream');
      this.#sink.interim(head.status, fields);
      return next;
    }
    const bodyless = head.bodyKind === 'none' || (head.bodyKind === 'length' && head.contentLength === 0);
    if (head.bodyKind === 'close') return this.#invalid('a close-delimited response on an HTTP/2 stream');
    const chunked = head.bodyKind === 'chunked';
    this.#state = bodyless ? 'done' : chunked ? 'chunk-size' : 'length';
    this.#remaining = head.bodyKind === 'length' ? head.contentLength : 0;
    this.#sink.head(head.status, fields, bodyless, chunked);
    return next;
  }

  #trailers(buf: Buffer, at: number): number {
    // The section ends at an empty line: at once (no trailers) or after the last field line.
    if (buf.length - at >= 2 && buf[at] === 0x0d && buf[at + 1] === 0x0a) {
      this.#finish(null);
      return at + 2;
    }
    const end = buf.indexOf(CRLFCRLF, at);
    if (end < 0) return this.#wait(buf, at, this.#limits.maxHeadBytes, 'trailer section too large');
    const flat: string[] = [];
    for (const line of buf.toString('latin1', at, end).split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) return this.#invalid('bad trailer field');
      flat.push(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    this.#finish(h2FieldsOf(flat, []));
    return end + 4;
  }

  #finish(trailers: H2Fields | null): void {
    this.#state = 'done';
    this.#sink.end(trailers);
  }

  /** Keeps `buf[at..]` for the next write, up to `max` bytes. */
  #wait(buf: Buffer, at: number, max: number, tooLong: string): number {
    if (buf.length - at > max) return this.#invalid(tooLong);
    this.#pending = Buffer.from(buf.subarray(at));
    return -1;
  }

  #invalid(message: string): number {
    this.#state = 'done';
    this.#pending = null;
    this.#sink.invalid(message);
    return -1;
  }
}
