/**
 * Background fill (Traffic Server's background_fill_completed_threshold): the client of a response
 * being stored went away, and enough of its body had arrived that the rest is worth reading into the
 * cache. This handler takes the upstream channel over from the transaction, copies the rest of the
 * body into the cache write's recorder, and reports once the body is whole (the write is finished by
 * the cache step), or gives up on a close, an idle backend (the transaction's backend_body timeout), or
 * the fill's own bound (cache.background_fill.timeout). It never writes to a client.
 */
import type { UpstreamChannel, UpstreamHandler } from '../router/index.ts';
import type { ResponseRecorder } from '../cache/index.ts';

/** How a background fill ended: the body is whole, the backend closed or failed, or time ran out. */
export type FillEnd = 'complete' | 'failed' | 'timeout';

/**
 * Whether a response whose client left should be read to its end (Traffic Server's is_bg_fill_necessary):
 * a threshold of 0 or less always; otherwise only a body of known length of which more than
 * `threshold` has arrived (1: never).
 */
export function fillWorthwhile(threshold: number, seen: number, length: number): boolean {
  if (threshold <= 0) return length >= 0;
  if (length <= 0) return false;
  const done = seen / length;
  return done <= 1 && done > threshold;
}

export class BackgroundFill implements UpstreamHandler {
  readonly #recorder: ResponseRecorder;
  /** Body bytes still owed by the backend. */
  #owed: number;
  readonly #idleMs: number;
  readonly #done: (end: FillEnd, reusable: boolean) => void;
  #idle: NodeJS.Timeout | undefined = undefined;
  readonly #bound: NodeJS.Timeout;
  #over = false;

  /** `owed`: the body bytes not arrived yet (of a length-delimited body). */
  constructor(
    channel: UpstreamChannel,
    recorder: ResponseRecorder,
    owed: number,
    timeouts: { readonly idleMs: number; readonly totalMs: number },
    done: (end: FillEnd, reusable: boolean) => void,
  ) {
    this.#recorder = recorder;
    this.#owed = owed;
    this.#idleMs = timeouts.idleMs;
    this.#done = done;
    this.#bound = setTimeout(() => {
      this.#end('timeout', false);
    }, timeouts.totalMs);
    this.#bound.unref();
    this.#armIdle();
    channel.attach(this);
    // A slow client had paused the upstream: the cache reads at the backend's pace now.
    channel.resume();
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.#over) return;
    if (!this.#recorder.record(chunk)) {
      this.#end('failed', false);
      return;
    }
    this.#owed -= chunk.length;
    if (this.#owed <= 0) this.#end('complete', this.#owed === 0);
    else this.#armIdle();
  }

  onUpstreamEnd(): void {
    this.#end('failed', false);
  }

  onUpstreamClose(): void {
    this.#end('failed', false);
  }

  onUpstreamDrain(): void {
    // Nothing is written upstream after the request.
  }

  #armIdle(): void {
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      this.#end('timeout', false);
    }, this.#idleMs);
    this.#idle.unref();
  }

  #end(end: FillEnd, reusable: boolean): void {
    if (this.#over) return;
    this.#over = true;
    clearTimeout(this.#bound);
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#done(end, reusable);
  }
}
