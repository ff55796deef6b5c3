/**
 * One HTTP/2 stream lent to a transaction as an UpstreamChannel. The transaction writes HTTP/1.1 as it
 * does to any upstream; this channel reads that head back (codec/), opens the stream with the
 * translated header block, and sends the body as DATA (content-length or chunked in, flow-controlled
 * DATA out). The response comes back as HTTP/1.1 bytes: the head, the body chunked (or as the upstream
 * framed it) and the trailers in the last chunk, so the transaction's reader is the one HTTP/1.1 uses.
 *
 * A stream the upstream refused unseen (REFUSED_STREAM, or above a GOAWAY's last stream id) is sent
 * again on another session, once, while everything written so far is still kept (up to KEEP_BYTES):
 * the upstream never processed it, so this is safe for any method.
 */
import { constants, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { ChunkedDecoder, parseRequestHead, type ChunkSink, type HeadLimits } from '../codec/index.ts';
import type { ConnectError } from '../errors/index.ts';
import type { UpstreamChannel, UpstreamHandler } from '../router/types.ts';
import type { H2Session } from './h2-session.ts';
import {
  chunkSizeLine,
  h1ResponseHead,
  h2RequestHeaders,
  lastChunkWithTrailers,
  type H1Framing,
} from './h2-translate.ts';

/** What a refused stream's replay needs: another stream slot of the same upstream. */
export interface StreamLender {
  readonly lastTimeoutMs: number;
  connect(
    timeoutMs: number,
    handler: { onConnected(channel: UpstreamChannel): void; onConnectFailed(error: ConnectError): void },
  ): void;
}

/** Request bytes kept for a replay; past this, a refused stream fails like a reset. */
const KEEP_BYTES = 64 * 1024;

/** The transaction already enforced its own limits on this head: these only bound the re-read. */
const HEAD_LIMITS: HeadLimits = {
  maxHeadBytes: 1024 * 1024,
  maxHeaderCount: 10_000,
  maxRequestLineBytes: 64 * 1024,
};

const EMPTY = Buffer.alloc(0);

/** Where the request side is: reading the head, forwarding the body, done; or waiting for a new slot. */
type RequestState = 'head' | 'length' | 'chunked' | 'sent' | 'replaying';

export class H2StreamChannel implements UpstreamChannel, ChunkSink {
  readonly upstreamId: string;
  readonly reuseCount: number;
  #session: H2Session;
  readonly #lender: StreamLender;
  #handler: UpstreamHandler | null = null;
  #stream: ClientHttp2Stream | null = null;
  #request: RequestState = 'head';
  #pendingHead: Buffer = EMPTY;
  #bodyRemaining = 0;
  #decoder: ChunkedDecoder | null = null;
  #method = 'GET';
  /** Everything written, for a replay; null once too large or once a response came. */
  #kept: Buffer[] | null = [];
  #keptBytes = 0;
  #replayed = false;
  #responded = false;
  #framing: H1Framing = 'none';
  #responseRemaining = 0;
  #trailers: IncomingHttpHeaders | undefined = undefined;
  /** The whole response reached the handler. */
  #complete = false;
  #paused = false;
  #released = false;
  #error: Error | undefined = undefined;

  constructor(session: H2Session, lender: StreamLender) {
    this.#session = session;
    this.#lender = lender;
    this.upstreamId = session.conn.pool.upstreamId;
    this.reuseCount = session.lent - 1;
  }

  get localPort(): number {
    return this.#session.conn.localPort;
  }

  attach(handler: UpstreamHandler): void {
    this.#handler = handler;
  }

  write(data: Buffer | string, encoding?: BufferEncoding): boolean {
    if (this.#released) return true;
    const buf = typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : data;
    const kept = this.#kept;
    if (kept !== null) {
      this.#keptBytes += buf.length;
      if (this.#keptBytes > KEEP_BYTES) this.#kept = null;
      else kept.push(buf);
    }
    this.#feed(buf);
    return !this.needsDrain;
  }

  get needsDrain(): boolean {
    if (this.#request === 'replaying') return true;
    return this.#stream?.writableNeedDrain ?? false;
  }

  cork(): void {
    // Each write is a DATA frame at most; nghttp2 batches frames into one socket write already.
  }

  uncork(): void {
    // See cork().
  }

  pause(): void {
    this.#paused = true;
    this.#stream?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#stream?.resume();
  }

  end(): void {
    this.#stream?.end();
  }

  allowHalfOpen(): void {
    // Streams half-close on their own (END_STREAM each way).
  }

  destroy(): void {
    this.release();
  }

  /** The transaction is done with the stream: cancel it if still open, and give its slot back. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#handler = null;
    const stream = this.#stream;
    if (stream !== null && !stream.closed && !(this.#complete && stream.writableEnded)) {
      stream.close(constants.NGHTTP2_CANCEL);
    }
    this.#session.free();
  }

  // The request side: HTTP/1.1 bytes in, HEADERS and DATA out.

  #feed(buf: Buffer): void {
    switch (this.#request) {
      case 'head':
        this.#readHead(buf);
        return;
      case 'length': {
        const n = Math.min(this.#bodyRemaining, buf.length);
        this.#bodyRemaining -= n;
        const stream = this.#stream!;
        if (n > 0) stream.write(n === buf.length ? buf : buf.subarray(0, n));
        if (this.#bodyRemaining === 0) {
          this.#request = 'sent';
          stream.end();
        }
        return;
      }
      case 'chunked': {
        const step = this.#decoder!.feed(buf, 0, buf.length, this);
        if (step.kind === 'reject') this.#failRequest(step.error);
        return;
      }
      case 'sent':
      case 'replaying':
        return;
    }
  }

  #readHead(buf: Buffer): void {
    const pending = this.#pendingHead.length === 0 ? buf : Buffer.concat([this.#pendingHead, buf]);
    const step = parseRequestHead(pending, 0, pending.length, HEAD_LIMITS);
    if (step.kind === 'need-more') {
      this.#pendingHead = pending;
      return;
    }
    this.#pendingHead = EMPTY;
    if (step.kind === 'reject') {
      this.#failRequest(step.error);
      return;
    }
    const head = step.head;
    if (head.method === 'CONNECT' || head.upgrade) {
      this.#failRequest(new Error(`${head.method} with an upgrade or CONNECT cannot go on an HTTP/2 stream`));
      return;
    }
    this.#method = head.method;
    const session = this.#session;
    const headers = h2RequestHeaders(head, session.conn.isTls ? 'https' : 'http', this.upstreamId);
    const bodiless = head.bodyKind === 'none' || (head.bodyKind === 'length' && head.contentLength === 0);
    let stream: ClientHttp2Stream;
    try {
      stream = session.session.request(headers, { endStream: bodiless });
    } catch (error) {
      // The session closed or went away between lending the slot and now.
      this.#error = error instanceof Error ? error : new Error(String(error));
      this.#request = 'sent';
      queueMicrotask(this.#onClose);
      return;
    }
    this.#stream = stream;
    stream.on('response', this.#onResponse);
    stream.on('data', this.#onData);
    stream.on('trailers', this.#onTrailers);
    stream.on('end', this.#onEnd);
    stream.on('drain', this.#onDrain);
    stream.on('error', this.#onError);
    stream.on('close', this.#onClose);
    if (this.#paused) stream.pause();
    if (bodiless) {
      this.#request = 'sent';
    } else if (head.bodyKind === 'chunked') {
      this.#request = 'chunked';
      this.#decoder = new ChunkedDecoder('client');
    } else {
      this.#request = 'length';
      this.#bodyRemaining = head.contentLength;
    }
    if (step.consumed < pending.length) this.#feed(pending.subarray(step.consumed));
  }

  /** ChunkSink: a run of the request body. */
  onData(buf: Buffer, start: number, end: number): void {
    // The decoder's buffer is the caller's: the stream may hold it until sent, so it must not change.
    this.#stream!.write(Buffer.from(buf.subarray(start, end)));
  }

  /** ChunkSink: the request body's last chunk (its trailers are not forwarded). */
  onEnd(): void {
    this.#request = 'sent';
    this.#stream!.end();
  }

  #failRequest(error: Error): void {
    this.#request = 'sent';
    this.#kept = null;
    this.#error = error;
    const stream = this.#stream;
    if (stream !== null) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    else queueMicrotask(this.#onClose);
  }

  // The response side: HEADERS, DATA and trailers in, HTTP/1.1 bytes out.

  readonly #onResponse = (headers: IncomingHttpHeaders, flags: number): void => {
    const ended = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    const { text, framing } = h1ResponseHead(headers, this.#method, ended);
    this.#responded = true;
    this.#kept = null;
    this.#framing = framing;
    if (framing === 'length') this.#responseRemaining = Number(headers['content-length']);
    if (framing === 'none') this.#complete = true;
    this.#handler?.onUpstreamData(Buffer.from(text, 'latin1'));
  };

  readonly #onData = (chunk: Buffer): void => {
    const handler = this.#handler;
    if (handler === null || chunk.length === 0) return;
    switch (this.#framing) {
      case 'length':
        this.#responseRemaining -= chunk.length;
        if (this.#responseRemaining <= 0) this.#complete = true;
        handler.onUpstreamData(chunk);
        return;
      case 'chunked': {
        const line = chunkSizeLine(chunk.length);
        const out = Buffer.allocUnsafe(line.length + chunk.length + 2);
        out.write(line, 0, 'latin1');
        chunk.copy(out, line.length);
        out.write('\r\n', line.length + chunk.length, 'latin1');
        handler.onUpstreamData(out);
        return;
      }
      case 'none':
        return;
    }
  };

  readonly #onTrailers = (trailers: IncomingHttpHeaders): void => {
    this.#trailers = trailers;
  };

  readonly #onEnd = (): void => {
    if (!this.#responded || this.#framing !== 'chunked') return;
    this.#complete = true;
    this.#handler?.onUpstreamData(Buffer.from(lastChunkWithTrailers(this.#trailers), 'latin1'));
  };

  readonly #onDrain = (): void => {
    this.#handler?.onUpstreamDrain();
  };

  readonly #onError = (error: Error): void => {
    this.#error ??= error;
  };

  readonly #onClose = (): void => {
    if (this.#released || this.#complete) return;
    if (this.#mayReplay()) {
      this.#replay();
      return;
    }
    const handler = this.#handler;
    if (handler === null) return;
    const code = this.#stream?.rstCode;
    const error =
      this.#error ??
      new Error(
        code === undefined || code === constants.NGHTTP2_NO_ERROR
          ? 'the HTTP/2 stream closed before the response was complete'
          : `the upstream reset the HTTP/2 stream (error code ${code})`,
      );
    handler.onUpstreamClose(error);
  };

  /** Refused unseen: REFUSED_STREAM, above the GOAWAY's last stream id, or never opened at all. */
  #mayReplay(): boolean {
    if (this.#replayed || this.#responded || this.#kept === null) return false;
    const stream = this.#stream;
    if (stream === null) return true;
    const id = stream.id ?? 0;
    return stream.rstCode === constants.NGHTTP2_REFUSED_STREAM || id > this.#session.goawayLastStreamId;
  }

  /** Sends what was written again on a stream of another session, once one has room. */
  #replay(): void {
    this.#replayed = true;
    this.#request = 'replaying';
    this.#stream = null;
    const lender = this.#lender;
    lender.connect(lender.lastTimeoutMs, {
      onConnected: (channel) => {
        if (!(channel instanceof H2StreamChannel)) throw new Error('an HTTP/2 pool lends streams');
        const other = channel;
        if (this.#released) {
          other.release();
          return;
        }
        // Take over the other channel's slot; ours goes back.
        const previous = this.#session;
        this.#session = other.#session;
        previous.free();
        this.#request = 'head';
        this.#error = undefined;
        const kept = this.#kept ?? [];
        for (const buf of kept) this.#feed(buf);
        this.#handler?.onUpstreamDrain();
      },
      onConnectFailed: (error) => {
        this.#error = error;
        this.#kept = null;
        this.#request = 'sent';
        this.#onClose();
      },
    });
  }
}
