import type { Transform } from 'node:stream';
import type { BodyTransform } from './types.ts';

/** Where a TransformPipe delivers the transformed body. Its methods must not throw. */
export interface TransformSink {
  /** Transformed bytes, in order. Return false when full: no more onData until resumeOutput(). */
  onData(buf: Buffer): boolean;
  /** The whole transformed body has been delivered. May follow an onData that returned false. */
  onEnd(): void;
  /** The stream failed (a zlib error, a transform's own error). Called at most once; nothing follows. */
  onError(err: Error): void;
  /** The pipe can take input again after write() returned false. */
  onDrain(): void;
}

/**
 * Runs one body transform between a producer (the caller, through write/end) and a consumer (the
 * sink), with backpressure both ways and no sockets, so a transaction can drive it from its own reads
 * and writes.
 * - Consumer full (onData returned false): the pipe stops reading the stream. Its readable buffer
 *   fills, the transform stops consuming, and write() starts returning false.
 * - Producer too fast: write() returns false once the stream's input buffer is over its high-water
 *   mark; onDrain says when to write again.
 * So at most a few high-water marks of the body are ever held, whatever its size.
 *
 * onData, and onEnd after it, may be called from inside write() and resumeOutput() (a synchronous
 * transform delivers at once); onError always comes from a later tick. After destroy(), or once onEnd
 * or onError has been called, the pipe calls nothing and write()/end()/resumeOutput() do nothing.
 */
export class TransformPipe {
  readonly name: string;
  readonly #stream: Transform;
  readonly #sink: TransformSink;
  readonly #flush: (() => void) | undefined;
  /** onEnd, onError or destroy() happened: no more sink calls. */
  #done = false;
  #inputEnded = false;
  #outputPaused = false;
  /** The stream's readable side ended; onEnd waits for the held chunks to go first. */
  #streamEnded = false;
  /** Chunks the stream emitted while the consumer was full (Node should not, but the contract holds). */
  #held: Buffer[] = [];
  #heldBytes = 0;
  /** A write() returned false and onDrain is owed. */
  #drainOwed = false;
  #flushScheduled: NodeJS.Immediate | undefined;
  #bytesIn = 0;
  #bytesOut = 0;

  constructor(transform: BodyTransform, sink: TransformSink) {
    this.name = transform.name;
    const stream = transform.stream();
    this.#stream = stream;
    this.#sink = sink;
    this.#flush =
      transform.flush === undefined
        ? undefined
        : () => {
            transform.flush?.(stream);
          };
    stream.on('data', (chunk: Buffer) => {
      this.#onStreamData(chunk);
    });
    stream.on('end', () => {
      this.#onStreamEnd();
    });
    stream.on('drain', () => {
      this.#onStreamDrain();
    });
    // Stays attached after destroy(): an error emitted while tearing down must not go unhandled.
    stream.on('error', (err: Error) => {
      this.#fail(err);
    });
    stream.on('close', () => {
      if (!this.#streamEnded) this.#fail(new Error(`transform ${this.name} closed before its output ended`));
    });
  }

  /** Body bytes given to the stream so far. */
  get bytesIn(): number {
    return this.#bytesIn;
  }

  /** Transformed bytes delivered to the sink so far. */
  get bytesOut(): number {
    return this.#bytesOut;
  }

  /** Bytes a live pipe holds between producer and consumer: the stream's two buffers, held chunks. */
  get bufferedBytes(): number {
    if (this.#done) return 0;
    return this.#stream.writableLength + this.#stream.readableLength + this.#heldBytes;
  }

  /** Whether onEnd, onError or destroy() has happened. */
  get isDone(): boolean {
    return this.#done;
  }

  /**
   * Gives body bytes to the transform. The pipe keeps `buf` until the stream has used it: do not
   * reuse it. Returns false when the producer should wait for onDrain.
   */
  write(buf: Buffer): boolean {
    if (this.#done || this.#inputEnded) return true;
    this.#bytesIn += buf.length;
    const accepted = this.#stream.write(buf);
    if (!accepted) this.#drainOwed = true;
    if (this.#flush !== undefined && this.#flushScheduled === undefined) {
      // Once per event-loop turn: the reads of one turn are compressed together, then pushed out.
      this.#flushScheduled = setImmediate(this.#flushNow);
    }
    return accepted;
  }

  /** No more input: the transform finishes its output, then onEnd. */
  end(): void {
    if (this.#done || this.#inputEnded) return;
    this.#inputEnded = true;
    this.#cancelFlush();
    this.#stream.end();
  }

  /** The consumer drained: deliver again. */
  resumeOutput(): void {
    if (this.#done || !this.#outputPaused) return;
    this.#outputPaused = false;
    while (this.#held.length > 0) {
      const chunk = this.#held.shift()!;
      this.#heldBytes -= chunk.length;
      if (!this.#deliver(chunk)) return;
    }
    if (this.#streamEnded) this.#finish();
    else this.#stream.resume();
  }

  /** Frees the stream and its buffers; no sink call follows. */
  destroy(): void {
    if (this.#done) return;
    this.#done = true;
    this.#release();
  }

  readonly #flushNow = (): void => {
    this.#flushScheduled = undefined;
    if (!this.#done && !this.#inputEnded) this.#flush!();
  };

  #onStreamData(chunk: Buffer): void {
    if (this.#done) return;
    if (this.#outputPaused) {
      this.#held.push(chunk);
      this.#heldBytes += chunk.length;
      return;
    }
    this.#deliver(chunk);
  }

  /** Hands one chunk to the sink; false when delivery must stop (consumer full, or pipe done). */
  #deliver(chunk: Buffer): boolean {
    this.#bytesOut += chunk.length;
    const more = this.#sink.onData(chunk);
    // The sink may have destroyed the pipe from inside onData.
    if (this.#done) return false;
    if (more) return true;
    this.#outputPaused = true;
    this.#stream.pause();
    return false;
  }

  #onStreamEnd(): void {
    this.#streamEnded = true;
    if (this.#done || this.#held.length > 0) return;
    this.#finish();
  }

  #finish(): void {
    this.#done = true;
    this.#release();
    this.#sink.onEnd();
  }

  #onStreamDrain(): void {
    if (this.#done || !this.#drainOwed) return;
    this.#drainOwed = false;
    this.#sink.onDrain();
  }

  #fail(err: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#release();
    this.#sink.onError(err);
  }

  #release(): void {
    this.#cancelFlush();
    this.#held = [];
    this.#heldBytes = 0;
    if (!this.#stream.destroyed) this.#stream.destroy();
  }

  #cancelFlush(): void {
    if (this.#flushScheduled === undefined) return;
    clearImmediate(this.#flushScheduled);
    this.#flushScheduled = undefined;
  }
}
