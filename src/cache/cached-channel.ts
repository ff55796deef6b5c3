/**
 * A stored response played back as if an upstream sent it: an UpstreamChannel the transaction's
 * response side reads like any other, so a hit goes through the same path as a backend's response
 * (response hooks, transforms, framing, the access line and metrics). It honours pause/resume, so a
 * slow client holds the playback, not memory.
 */
import type { UpstreamChannel, UpstreamHandler } from '../router/index.ts';

/** Bytes handed to the response side per turn of the event loop. */
const PLAYBACK_CHUNK_BYTES = 64 * 1024;

export class CachedChannel implements UpstreamChannel {
  readonly upstreamId = 'cache';
  readonly reuseCount = 0;
  readonly needsDrain = false;
  readonly localPort = 0;
  #handler: UpstreamHandler | null = null;
  #paused = false;
  #scheduled = false;
  #done = false;
  readonly #head: Buffer;
  readonly #body: Buffer;
  #offset = -1;

  /** `head`: the serialized response head; `body`: what follows it (empty for a HEAD request). */
  constructor(head: Buffer, body: Buffer) {
    this.#head = head;
    this.#body = body;
  }

  attach(handler: UpstreamHandler): void {
    this.#handler = handler;
  }

  /** Starts the playback (on the next turn: the transaction finishes its current step first). */
  start(): void {
    this.#schedule();
  }

  write(): boolean {
    return true;
  }
  cork(): void {
    // Nothing is written to a stored response.
  }
  uncork(): void {
    // As cork().
  }
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#schedule();
  }
  end(): void {
    this.destroy();
  }
  destroy(): void {
    this.#done = true;
    this.#handler = null;
  }
  allowHalfOpen(): void {
    // No tunnel runs over a stored response.
  }

  #schedule(): void {
    if (this.#scheduled || this.#done) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#play();
    });
  }

  #play(): void {
    const handler = this.#handler;
    if (this.#paused || this.#done || handler === null) return;
    let chunk: Buffer;
    if (this.#offset < 0) {
      // The head and the start of the body together, as a backend's first read would bring them.
      const first = this.#body.subarray(0, PLAYBACK_CHUNK_BYTES);
      chunk = first.length === 0 ? this.#head : Buffer.concat([this.#head, first]);
      this.#offset = first.length;
    } else {
      chunk = this.#body.subarray(this.#offset, this.#offset + PLAYBACK_CHUNK_BYTES);
      this.#offset += chunk.length;
    }
    if (this.#offset >= this.#body.length) this.#done = true;
    handler.onUpstreamData(chunk);
    // One chunk per turn: other connections get their turn between chunks of a large body. A pause
    // meanwhile stops the next turn; resume() schedules it again.
    this.#schedule();
  }
}
