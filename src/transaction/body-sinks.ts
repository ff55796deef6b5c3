/**
 * The sinks a transaction streams bodies through: chunked bodies decoded and re-encoded, counted against
 * a limit, fed to transform chains, and what the chains deliver back to the transaction.
 */
import { ChunkedDecoder, LAST_CHUNK, chunkHeader } from '../codec/index.ts';
import type { ChunkSink } from '../codec/types.ts';
import type { UpstreamChannel } from '../router/index.ts';
import type { BodyTransform, TransformChain, TransformSink } from '../transforms/index.ts';

/** What the response sinks hand the transaction: body bytes to frame for the client. */
export interface ResponseBodyTarget {
  writeResponseBody(data: Buffer): void;
  endResponseBody(): void;
  chainResponseData(data: Buffer): boolean;
  chainResponseEnded(): void;
  chainResponseDrained(): void;
  chainFailed(error: Error): void;
}

/** What the request transform chain hands the transaction: chunks for the upstream. */
export interface RequestBodyTarget {
  chainRequestData(data: Buffer): boolean;
  chainRequestEnded(): void;
  chainRequestDrained(): void;
  chainFailed(error: Error): void;
}

/** Passes a decoded chunked body on until it exceeds `limit` bytes; from then on drops it and sets `over`. */
export class BodyLimitSink implements ChunkSink {
  readonly #inner: ChunkSink;
  readonly #limit: number;
  #total = 0;
  over = false;
  constructor(inner: ChunkSink, limit: number) {
    this.#inner = inner;
    this.#limit = limit;
  }
  onData(buf: Buffer, start: number, end: number): void {
    if (this.over) return;
    this.#total += end - start;
    if (this.#total > this.#limit) {
      this.over = true;
      return;
    }
    this.#inner.onData(buf, start, end);
  }
  onEnd(): void {
    if (!this.over) this.#inner.onEnd();
  }
}

/** Re-encodes a chunked request body towards the upstream, one chunk per decoded run. */
export class RequestChunkSink implements ChunkSink {
  readonly #channel: UpstreamChannel;
  constructor(channel: UpstreamChannel) {
    this.#channel = channel;
  }
  onData(buf: Buffer, start: number, end: number): void {
    const channel = this.#channel;
    channel.write(chunkHeader(end - start), 'latin1');
    channel.write(buf.subarray(start, end));
    channel.write('\r\n', 'latin1');
  }
  onEnd(): void {
    this.#channel.write(LAST_CHUNK, 'latin1');
  }
}

/**
 * Asks each factory in the order hooks added them and applies each transform's head edits before the
 * next factory looks, so a later one sees what an earlier one did (a compressed body is not text any
 * more). Returns the transforms that apply, or null for none.
 */
export function applyInOrder<F>(
  factories: readonly F[],
  ask: (factory: F) => BodyTransform | undefined,
  headers: string[],
): BodyTransform[] | null {
  let found: BodyTransform[] | null = null;
  for (const factory of factories) {
    const transform = ask(factory);
    if (transform === undefined) continue;
    transform.editHead?.(headers);
    (found ??= []).push(transform);
  }
  return found;
}

/** Feeds a decoded chunked request body into the request's transform chain. */
export class ChainFeedSink implements ChunkSink {
  readonly #chain: TransformChain;
  #flushed = true;
  /** Whether the chain took every write since the last call. */
  takeFlushed(): boolean {
    const flushed = this.#flushed;
    this.#flushed = true;
    return flushed;
  }
  constructor(chain: TransformChain) {
    this.#chain = chain;
  }
  onData(buf: Buffer, start: number, end: number): void {
    // The decoder's input is a socket read, never reused: a view is safe to keep.
    if (!this.#chain.write(buf.subarray(start, end))) this.#flushed = false;
  }
  onEnd(): void {
    this.#chain.end();
  }
}

/** Where the response transform chain delivers: the transaction frames it for the client. */
export class ResponseTransformSink implements TransformSink {
  readonly #txn: ResponseBodyTarget;
  constructor(txn: ResponseBodyTarget) {
    this.#txn = txn;
  }
  onData(buf: Buffer): boolean {
    return this.#txn.chainResponseData(buf);
  }
  onEnd(): void {
    this.#txn.chainResponseEnded();
  }
  onError(error: Error): void {
    this.#txn.chainFailed(error);
  }
  onDrain(): void {
    this.#txn.chainResponseDrained();
  }
}

/** Where the request transform chain delivers: chunks to the upstream. */
export class RequestTransformSink implements TransformSink {
  readonly #txn: RequestBodyTarget;
  constructor(txn: RequestBodyTarget) {
    this.#txn = txn;
  }
  onData(buf: Buffer): boolean {
    return this.#txn.chainRequestData(buf);
  }
  onEnd(): void {
    this.#txn.chainRequestEnded();
  }
  onError(error: Error): void {
    this.#txn.chainFailed(error);
  }
  onDrain(): void {
    this.#txn.chainRequestDrained();
  }
}

/** A sink for a dry run of the chunked decoder: only its verdict on the framing matters. */
const DISCARD_CHUNKS: ChunkSink = {
  onData: ignore,
  onEnd: ignore,
};

function ignore(): void {
  // Nothing to keep.
}

/** Whether the chunked body bytes in `buf` from `start` are well framed as far as they go. */
export function chunkedPrefixIsValid(buf: Buffer, start: number, maxTrailerBytes: number): boolean {
  return (
    new ChunkedDecoder('upstream', maxTrailerBytes).feed(buf, start, buf.length, DISCARD_CHUNKS).kind !==
    'reject'
  );
}

/** Hands a decoded chunked response body to the transaction, which frames it for the client. */
export class ResponseChunkSink implements ChunkSink {
  readonly #txn: ResponseBodyTarget;
  constructor(txn: ResponseBodyTarget) {
    this.#txn = txn;
  }
  onData(buf: Buffer, start: number, end: number): void {
    this.#txn.writeResponseBody(buf.subarray(start, end));
  }
  onEnd(): void {
    this.#txn.endResponseBody();
  }
}
