/**
 * One HTTP/2 stream as a transaction's client: the SessionPort an Http2Connection lends each
 * stream's transaction. Request body DATA goes to the transaction (re-framed as chunks when no
 * content-length was given), paused when the transaction asks; the HTTP/1.1 response it writes is
 * read back (response-bytes.ts) into respond() + DATA + trailers; a gRPC request that Junction
 * answers itself gets a trailers-only answer (grpc-status.ts). Deadlines are the stream's own,
 * fired by its connection from the server's sweep.
 */
import { constants, type ServerHttp2Stream } from 'node:http2';
import { LAST_CHUNK, chunkHeader } from '../codec/index.ts';
import type { HeadLimits } from '../codec/types.ts';
import type { Logger } from '../log/index.ts';
import type { FrameSink } from '../transaction/framed-writer.ts';
import type { SessionListener, SessionPort, SessionTls } from '../transaction/session-port.ts';
import type { Transaction } from '../transaction/transaction.ts';
import type { Tunnel } from '../tunnel/index.ts';
import { GRPC_DEADLINE_EXCEEDED, grpcMessage, grpcStatusOfHttp } from './grpc-status.ts';
import { ResponseBytes, type H2Fields, type ResponseSink } from './response-bytes.ts';

/** What a stream needs of the connection it is on. */
export interface StreamConnection {
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly scheme: 'http' | 'https';
  readonly tls: SessionTls | null;
  readonly log: Logger;
  readonly listener: SessionListener;
  readonly requests: number;
  readonly draining: boolean;
  now(): number;
  /** A stream armed a deadline at `at` (host clock). */
  deadlineArmed(at: number): void;
  /** The stream's transaction is over. */
  transactionDone(): void;
}

const CRLF = Buffer.from('\r\n', 'latin1');

export class Http2StreamPort implements SessionPort, ResponseSink, FrameSink {
  readonly #conn: StreamConnection;
  readonly stream: ServerHttp2Stream;
  readonly #response: ResponseBytes;
  txn: Transaction | null = null;
  /** DATA re-framed as chunks: the client gave no content-length. */
  readonly #chunked: boolean;
  /** The content-length the client announced (-1: none), and the DATA bytes received. */
  readonly #contentLength: number;
  #received = 0;
  readonly #grpc: boolean;
  /** When a grpc-timeout runs out (host clock); 0: none. */
  readonly #grpcDeadlineAt: number;
  #pauseReasons = 0;
  #ownAnswerNext = false;
  /** A gRPC own answer being collected: its HTTP status and fields, and its body's first bytes. */
  #grpcAnswer: { status: number; fields: H2Fields; body: string } | null = null;
  #trailers: H2Fields | null = null;
  /** Junction reset this stream (abortClient, a bad response): not the client's reset. */
  resetByUs = false;
  deadlineAt = 0;
  bytesRead = 0;
  bytesWritten = 0;
  readonly readMark = 0;

  constructor(
    conn: StreamConnection,
    stream: ServerHttp2Stream,
    method: string,
    limits: HeadLimits,
    body: { chunked: boolean; contentLength: number },
    grpc: { grpc: boolean; deadlineMs: number },
  ) {
    this.#conn = conn;
    this.stream = stream;
    this.#response = new ResponseBytes(this, method, limits);
    this.#chunked = body.chunked;
    this.#contentLength = body.contentLength;
    this.#grpc = grpc.grpc;
    this.#grpcDeadlineAt = grpc.deadlineMs > 0 ? conn.now() + grpc.deadlineMs : 0;
    if (this.#grpcDeadlineAt !== 0) this.setDeadline(0);
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    stream.on('drain', this.#onDrain);
    stream.on('error', ignoreError);
  }

  // SessionPort: the connection's facts

  get clientAddress(): string {
    return this.#conn.clientAddress;
  }
  get clientPort(): number {
    return this.#conn.clientPort;
  }
  get localAddress(): string {
    return this.#conn.localAddress;
  }
  get localPort(): number {
    return this.#conn.localPort;
  }
  get scheme(): 'http' | 'https' {
    return this.#conn.scheme;
  }
  get tls(): SessionTls | null {
    return this.#conn.tls;
  }
  get log(): Logger {
    return this.#conn.log;
  }
  get listener(): SessionListener {
    return this.#conn.listener;
  }
  get requests(): number {
    return this.#conn.requests;
  }
  get draining(): boolean {
    return this.#conn.draining;
  }
  readonly protocol = 'HTTP/2.0';

  // SessionPort: the response, written as HTTP/1.1 bytes and read back

  writeClient(data: string | Buffer, encoding?: BufferEncoding): boolean {
    this.#response.write(data, encoding);
    return !this.stream.writableNeedDrain;
  }

  write(data: Buffer | string, encoding?: BufferEncoding): boolean {
    return this.writeClient(data, encoding);
  }

  get clientStream(): FrameSink {
    return this;
  }

  get clientNeedsDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  corkClient(): void {
    if (!this.stream.destroyed) this.stream.cork();
  }

  uncorkClient(): void {
    if (!this.stream.destroyed) this.stream.uncork();
  }

  /** Junction answers this stream itself: a gRPC request gets it in trailers-only form. */
  ownAnswer(): void {
    this.#ownAnswerNext = true;
  }

  pauseClient(reason: number): void {
    if (this.#pauseReasons === 0) this.stream.pause();
    this.#pauseReasons |= reason;
  }

  resumeClient(reason: number): void {
    if ((this.#pauseReasons & reason) === 0) return;
    this.#pauseReasons &= ~reason;
    if (this.#pauseReasons === 0 && !this.stream.destroyed) this.stream.resume();
  }

  /** HTTP/2 has no pipelining: nothing ever follows a stream's request, so nothing is kept. */
  stashPipelined(): void {
    return;
  }

  setDeadline(ms: number): void {
    let at = ms === 0 ? 0 : this.#conn.now() + ms;
    const grpcAt = this.#grpcDeadlineAt;
    if (grpcAt !== 0 && (at === 0 || grpcAt < at)) at = grpcAt;
    this.deadlineAt = at;
    if (at !== 0) this.#conn.deadlineArmed(at);
  }

  onTransactionDone(): void {
    this.txn = null;
    if (!this.#response.done) this.reset(constants.NGHTTP2_INTERNAL_ERROR);
    this.#conn.transactionDone();
  }

  abortClient(): void {
    this.txn = null;
    this.reset(constants.NGHTTP2_INTERNAL_ERROR);
  }

  /** Protocol upgrades do not exist on HTTP/2 streams (the request fields refuse them). */
  startTunnel(tunnel: Tunnel): void {
    tunnel.onClientClose(false);
    this.abortClient();
  }

  /** The connection's sweep found this stream's deadline passed. */
  onDeadline(now: number): void {
    this.deadlineAt = 0;
    const txn = this.txn;
    if (txn === null) return;
    if (this.#grpcDeadlineAt !== 0 && now >= this.#grpcDeadlineAt) {
      // The client's own deadline: nothing is worth retrying; its answer is DEADLINE_EXCEEDED.
      txn.fail('JCT_ERR_GRPC_DEADLINE', 'the gRPC deadline passed\n');
      return;
    }
    txn.onDeadline();
  }

  /** Ends the stream with RST_STREAM `code` (once). */
  reset(code: number): void {
    if (this.stream.closed || this.stream.destroyed) return;
    this.resetByUs = true;
    this.stream.close(code);
  }

  // ResponseSink: what the response bytes turn into

  interim(status: number, fields: H2Fields): void {
    if (this.stream.headersSent || this.stream.destroyed) return;
    this.stream.additionalHeaders({ ...fields, ':status': status });
  }

  head(status: number, fields: H2Fields, bodyless: boolean, chunked: boolean): void {
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    if (this.#ownAnswerNext && this.#grpc) {
      this.#grpcAnswer = { status, fields, body: '' };
      if (bodyless) this.#answerGrpc();
      return;
    }
    this.bytesWritten += 64;
    try {
      if (chunked && !bodyless) {
        stream.respond({ ...fields, ':status': status }, { waitForTrailers: true });
        stream.once('wantTrailers', this.#onWantTrailers);
      } else {
        stream.respond({ ...fields, ':status': status }, { endStream: bodyless });
      }
    } catch (error) {
      this.log.warn({ err: error, code: 'JCT_ERR_HTTP_BAD_RESPONSE' }, 'a response head HTTP/2 cannot carry');
      this.reset(constants.NGHTTP2_INTERNAL_ERROR);
    }
  }

  data(buf: Buffer): void {
    const answer = this.#grpcAnswer;
    if (answer !== null) {
      if (answer.body.length < 512) answer.body += buf.toString('utf8', 0, Math.min(buf.length, 512));
      return;
    }
    if (this.stream.destroyed || this.stream.closed) return;
    this.bytesWritten += buf.length;
    this.stream.write(buf);
  }

  end(trailers: H2Fields | null): void {
    if (this.#grpcAnswer !== null) {
      this.#answerGrpc();
      return;
    }
    if (this.stream.destroyed || this.stream.closed) return;
    this.#trailers = trailers;
    this.stream.end();
  }

  invalid(message: string): void {
    this.log.warn({ code: 'JCT_ERR_HTTP_BAD_RESPONSE' }, `an HTTP/2 stream's response: ${message}`);
    this.reset(constants.NGHTTP2_INTERNAL_ERROR);
  }

  /** A trailers-only gRPC answer: HTTP 200, the reason as grpc-status and grpc-message. */
  #answerGrpc(): void {
    const answer = this.#grpcAnswer!;
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    const deadlinePassed = this.#grpcDeadlineAt !== 0 && this.#conn.now() >= this.#grpcDeadlineAt;
    const status = deadlinePassed ? GRPC_DEADLINE_EXCEEDED : grpcStatusOfHttp(answer.status);
    const fields: H2Fields = {};
    for (const [name, value] of Object.entries(answer.fields)) {
      if (name === 'content-type' || name === 'content-length' || name === 'date') continue;
      fields[name] = value;
    }
    stream.respond(
      {
        ...fields,
        ':status': 200,
        'content-type': 'application/grpc',
        'grpc-status': String(status),
        'grpc-message': grpcMessage(answer.body === '' ? `HTTP status ${answer.status}` : answer.body),
      },
      { endStream: true },
    );
  }

  readonly #onWantTrailers = (): void => {
    const trailers = this.#trailers;
    this.#trailers = null;
    try {
      this.stream.sendTrailers(trailers ?? {});
    } catch {
      this.reset(constants.NGHTTP2_INTERNAL_ERROR);
    }
  };

  // The request body

  readonly #onData = (chunk: Buffer): void => {
    this.bytesRead += chunk.length;
    this.#received += chunk.length;
    if (this.#contentLength >= 0 && this.#received > this.#contentLength) {
      // RFC 9113 §8.1.1: more DATA than the content-length said: malformed.
      this.#refuseBody();
      return;
    }
    const txn = this.txn;
    if (!txn?.wantsRequestBody) return;
    txn.onClientBody(
      this.#chunked ? Buffer.concat([Buffer.from(chunkHeader(chunk.length), 'latin1'), chunk, CRLF]) : chunk,
    );
  };

  readonly #onEnd = (): void => {
    const txn = this.txn;
    if (this.#contentLength >= 0 && this.#received !== this.#contentLength) {
      this.#refuseBody();
      return;
    }
    if (txn !== null && this.#chunked && txn.wantsRequestBody)
      txn.onClientBody(Buffer.from(LAST_CHUNK, 'latin1'));
  };

  /** The body disagrees with its content-length: a stream error, and the transaction loses its client. */
  #refuseBody(): void {
    const txn = this.txn;
    this.txn = null;
    this.reset(constants.NGHTTP2_PROTOCOL_ERROR);
    txn?.onClientGone();
  }

  readonly #onDrain = (): void => {
    this.txn?.onClientDrain();
  };

  /** The stream closed (answered, reset by either side, or its connection went). */
  closed(): void {
    const txn = this.txn;
    this.txn = null;
    this.deadlineAt = 0;
    txn?.onClientGone();
  }
}

/** A stream's errors end in its 'close', which the connection handles. */
function ignoreError(): void {
  return;
}
