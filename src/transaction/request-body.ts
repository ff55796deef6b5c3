/**
 * The request side of a transaction with a body: it holds the body while no upstream is ready, then
 * forwards it (as it came for a Content-Length body, re-encoded chunk by chunk for a chunked one, or
 * through request transforms and chunked), counts a chunked body against the route's limit, and keeps
 * a small idempotent body so a retry can send it again. A request without a body has none of this:
 * the transaction's request side is then simply done.
 */
import { ChunkedDecoder } from '../codec/index.ts';
import type { RequestHead } from '../codec/types.ts';
import type { ErrorCode, HttpParseError } from '../errors/index.ts';
import type { UpstreamChannel } from '../router/index.ts';
import { TransformChain, type BodyTransform } from '../transforms/index.ts';
import { INVARIANTS_ENABLED, invariant } from '../util/invariant.ts';
import { BodyLimitSink, ChainFeedSink, ChainOutputSink, RequestChunkSink } from './body-sinks.ts';
import type { RequestBodyEvents } from './body-events.ts';
import { endFramed, writeChunk, type FrameSink } from './framed-writer.ts';
import { answerText } from './local-answers.ts';
import { PAUSE_UPSTREAM_FULL, type SessionPort } from './session-port.ts';

/**
 * `awaiting-upstream`: the body waits (in the socket, or held here) for an upstream to be ready;
 * `body`: it is being forwarded; `done`: all of it went (or went into the request transforms).
 */
export type RequestBodyState = 'awaiting-upstream' | 'body' | 'done';

/** The only moves a request side makes. */
const REQUEST_MOVES: Readonly<Record<RequestBodyState, readonly RequestBodyState[]>> = {
  'awaiting-upstream': ['body'],
  body: ['done'],
  done: [],
};

/**
 * What became of bytes fed: all taken (`flushed`), taken but the upstream's buffer is full (`full`),
 * or the body is refused: a chunked body over the limit (`too-large`), bad chunk framing (`bad-framing`).
 */
export type RequestFeed = 'flushed' | 'full' | 'too-large' | 'bad-framing';

/** The upstream as the request side writes to it. */
export interface UpstreamSink extends FrameSink {
  readonly needsDrain: boolean;
  cork(): void;
  uncork(): void;
}

/** What the request side needs from its transaction. */
export interface RequestBodyHost {
  /** The client side: its log, its pipelined bytes, its reading paused and resumed. */
  readonly port: SessionPort;
  /** The current attempt's upstream, undefined between attempts. */
  readonly channel: UpstreamChannel | undefined;
  readonly route: { readonly name: string } | undefined;
  /** The body is refused: the transaction fails with `code` (see Transaction.fail). */
  fail(code: ErrorCode, text?: string, status?: number): void;
  /** Bytes moved: `awaitingClient` says whose time the next wait is (the deadline to arm). */
  bodyFed(awaitingClient: boolean): void;
  /** The request transforms took what they had and want more: read the client again. */
  requestChainDrained(): void;
  chainFailed(error: Error): void;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * An idempotent request's Content-Length body up to this size, arrived whole before the upstream was
 * ready, is kept so a retry can send it again. Larger or streamed bodies are sent once: never retried.
 */
export const REPLAYABLE_BODY_BYTES = 16 * 1024;

/** Whether `method` may be sent again after a failure (RFC 9110 §9.2.2). */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/** Whether a request head announces a body. */
export function hasRequestBody(head: RequestHead): boolean {
  return head.bodyKind === 'chunked' || (head.bodyKind === 'length' && head.contentLength > 0);
}

export class RequestBodyForwarder implements RequestBodyEvents {
  state: RequestBodyState = 'awaiting-upstream';
  /** Where the body ended in the buffer last fed (what follows is the next pipelined request). */
  end = 0;
  /** Why a chunked body was refused (`bad-framing`). */
  error: HttpParseError | null = null;
  /** The body, kept for retries (see REPLAYABLE_BODY_BYTES); null when there is none to replay. */
  replayBody: Buffer | null = null;
  readonly #head: RequestHead;
  readonly #host: RequestBodyHost;
  #held: Buffer | null;
  #remaining = 0;
  #decoder: ChunkedDecoder | null = null;
  #sink: RequestChunkSink | ChainFeedSink | null = null;
  /** Counts a chunked body against the route's limit in front of #sink. */
  #limitSink: BodyLimitSink | null = null;
  #maxBodyBytes = 0;
  /** Request transforms: client body → chain → upstream, chunked. */
  #chain: TransformChain | null = null;
  #chainEnded = false;

  /** `held`: body bytes that came with the head. */
  constructor(head: RequestHead, host: RequestBodyHost, held: Buffer | null) {
    this.#head = head;
    this.#host = host;
    this.#held = held;
  }

  get isTransformed(): boolean {
    return this.#chain !== null;
  }

  /** Everything went upstream, through the transforms if any: the upstream connection may be reused. */
  get isComplete(): boolean {
    return this.state === 'done' && (this.#chain === null || this.#chainEnded);
  }

  /** Body bytes that arrived before the upstream was ready. */
  hold(buf: Buffer): void {
    this.#held = this.#held === null ? buf : Buffer.concat([this.#held, buf]);
  }

  /** Runs the body through `transforms` (applied to the head already); it goes upstream chunked. */
  transformWith(transforms: BodyTransform[]): void {
    this.#chain = new TransformChain(transforms, new ChainOutputSink(this));
  }

  /**
   * The upstream is ready (its head is written): forwarding starts. Returns the bytes held so far, for
   * the transaction to feed; a small idempotent body that is all here is kept for a replay.
   */
  upstreamReady(maxBodyBytes: number, maxTrailerBytes: number): Buffer | null {
    this.#move('body');
    this.#maxBodyBytes = maxBodyBytes;
    const head = this.#head;
    if (head.bodyKind === 'chunked') this.#decoder = new ChunkedDecoder('client', maxTrailerBytes);
    else this.#remaining = head.contentLength;
    const held = this.#held;
    this.#held = null;
    if (held !== null && this.#chain === null) this.#keepForReplay(held);
    return held;
  }

  /**
   * Forwards body bytes from `buf[start]` on to the current upstream. What follows the body is the
   * next pipelined request; a full upstream pauses the client; a refused body fails the transaction.
   */
  forward(buf: Buffer, start: number): void {
    const host = this.#host;
    const session = host.port;
    const fed = this.feed(buf, start, host.channel!);
    if (fed === 'too-large') {
      session.log.info(
        { code: 'JCT_ERR_HTTP_BODY_TOO_LARGE', route: host.route?.name },
        'chunked request body grew larger than the route allows',
      );
      host.fail('JCT_ERR_HTTP_BODY_TOO_LARGE');
      return;
    }
    if (fed === 'bad-framing') {
      const error = this.error!;
      session.log.info({ code: error.code }, error.message);
      host.fail(error.code, answerText('JCT_ERR_HTTP_BAD_FRAMING'), 400);
      return;
    }
    if (this.end < buf.length) session.stashPipelined(buf, this.end);
    const flushed = fed === 'flushed';
    if (!flushed) session.pauseClient(PAUSE_UPSTREAM_FULL);
    host.bodyFed(flushed && this.state === 'body');
  }

  /** Forwards body bytes from `buf[start]` on to `upstream`; `end` says where the body stopped. */
  feed(buf: Buffer, start: number, upstream: UpstreamSink): RequestFeed {
    const chain = this.#chain;
    if (this.#decoder === null) {
      const n = Math.min(this.#remaining, buf.length - start);
      const end = start + n;
      const data = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
      const flushed = chain === null ? upstream.write(data) : chain.write(data);
      this.#remaining -= n;
      this.end = end;
      if (this.#remaining === 0) {
        this.#move('done');
        chain?.end();
      }
      return flushed ? 'flushed' : 'full';
    }
    upstream.cork();
    const step = this.#decoder.feed(
      buf,
      start,
      buf.length,
      (this.#limitSink ??= new BodyLimitSink(
        (this.#sink ??= chain === null ? new RequestChunkSink(upstream) : new ChainFeedSink(chain)),
        this.#maxBodyBytes,
      )),
    );
    upstream.uncork();
    // The head and part of the body went upstream: that connection is closed, never reused.
    if (this.#limitSink.over) return 'too-large';
    if (step.kind === 'reject') {
      this.error = step.error;
      return 'bad-framing';
    }
    this.end = start + step.consumed;
    if (step.done) this.#move('done');
    const flushed = chain === null ? !upstream.needsDrain : (this.#sink as ChainFeedSink).takeFlushed();
    return flushed ? 'flushed' : 'full';
  }

  /** The upstream drained: true when the transforms take that (they write again), false for the client. */
  upstreamDrained(): boolean {
    if (this.#chain === null || this.#chainEnded) return false;
    this.#chain.resumeOutput();
    return true;
  }

  destroy(): void {
    this.#chain?.destroy();
  }

  /** Keeps a small idempotent body that is all here, so a retry can send it again. */
  #keepForReplay(held: Buffer): void {
    const head = this.#head;
    const length = head.contentLength;
    if (
      head.bodyKind !== 'length' ||
      length > REPLAYABLE_BODY_BYTES ||
      held.length < length ||
      !IDEMPOTENT.has(head.method)
    ) {
      return;
    }
    // Read buffers are never reused, so a view is enough: no copy.
    this.replayBody = held.length === length ? held : held.subarray(0, length);
  }

  #move(next: RequestBodyState): void {
    if (INVARIANTS_ENABLED) {
      invariant(REQUEST_MOVES[this.state].includes(next), `request side: ${this.state} → ${next}`);
    }
    this.state = next;
  }

  // RequestBodyEvents: the transforms' output, chunked towards the upstream.

  chainOutput(data: Buffer): boolean {
    const upstream = this.#host.channel;
    if (upstream === undefined) return true;
    return writeChunk(upstream, data);
  }

  chainEnded(): void {
    this.#chainEnded = true;
    const upstream = this.#host.channel;
    if (upstream !== undefined) endFramed(upstream, 'chunked');
  }

  chainDrained(): void {
    this.#host.requestChainDrained();
  }

  chainFailed(error: Error): void {
    this.#host.chainFailed(error);
  }
}
