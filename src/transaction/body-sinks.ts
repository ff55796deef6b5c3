/**
 * The sinks the body forwarders stream bodies through: chunked bodies decoded and re-encoded, counted
 * against a limit, fed to transform chains, and what the chains deliver back. They report to the
 * small interfaces of body-events.ts, never to a Transaction.
 */
import { ChunkedDecoder } from '../codec/index.ts';
import type { ChunkSink } from '../codec/types.ts';
import type { BodyTransform, TransformChain, TransformSink } from '../transforms/index.ts';
import type { ChainEvents, ResponseBodyEvents } from './body-events.ts';
import { endFramed, writeChunkOf, type FrameSink } from './framed-writer.ts';

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
  readonly #upstream: FrameSink;
  constructor(upstream: FrameSink) {
    this.#upstream = upstream;
  }
  onData(buf: Buffer, start: number, end: number): void {
    writeChunkOf(this.#upstream, buf, start, end);
  }
  onEnd(): void {
    endFramed(this.#upstream, 'chunked');
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

/** Where a transform chain delivers: its forwarder frames the output for the next hop. */
export class ChainOutputSink implements TransformSink {
  readonly #events: ChainEvents;
  constructor(events: ChainEvents) {
    this.#events = events;
  }
  onData(buf: Buffer): boolean {
    return this.#events.chainOutput(buf);
  }
  onEnd(): void {
    this.#events.chainEnded();
  }
  onError(error: Error): void {
    this.#events.chainFailed(error);
  }
  onDrain(): void {
    this.#events.chainDrained();
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

/** Hands a decoded chunked response body to its forwarder, which frames it for the client. */
export class ResponseChunkSink implements ChunkSink {
  readonly #events: ResponseBodyEvents;
  constructor(events: ResponseBodyEvents) {
    this.#events = events;
  }
  onData(buf: Buffer, start: number, end: number): void {
    this.#events.responseBody(buf.subarray(start, end));
  }
  onEnd(): void {
    this.#events.responseBodyEnded();
  }
}
