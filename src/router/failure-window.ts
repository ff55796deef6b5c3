/**
 * The failure-rate rule's memory of one upstream: outcomes over a sliding window. Its own file so
 * that UpstreamState (which holds one) and passive health (which judges by it) both import it, and
 * neither imports the other for it.
 */
/** How many slices the failure-rate window is cut into: the window slides one slice at a time. */
const WINDOW_BUCKETS = 10;

/**
 * Outcome counts over a sliding window, kept in a ring of fixed time slices so recording one costs two
 * increments and no allocation. Old slices are zeroed lazily, when time has moved past them. The window
 * covers the current, partly filled slice and the nine before it: between 90 % and 100 % of `windowMs`.
 */
export class FailureWindow {
  readonly windowMs: number;
  readonly #sliceMs: number;
  readonly #requests = new Uint32Array(WINDOW_BUCKETS);
  readonly #failures = new Uint32Array(WINDOW_BUCKETS);
  /** The number of the newest slice (time / sliceMs), or -1 while empty. */
  #newest = -1;
  /** Totals over the slices in the ring. */
  requests = 0;
  failures = 0;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
    this.#sliceMs = windowMs / WINDOW_BUCKETS;
  }

  record(now: number, failed: boolean): void {
    this.advance(now);
    const i = this.#newest % WINDOW_BUCKETS;
    this.#requests[i]!++;
    this.requests++;
    if (failed) {
      this.#failures[i]!++;
      this.failures++;
    }
  }

  /** Drops the slices that have slid out of the window by `now`. */
  advance(now: number): void {
    const slice = Math.floor(now / this.#sliceMs);
    const steps = slice - this.#newest;
    if (steps === 0) return;
    // A clock that went backwards cannot happen with a monotonic clock; starting over is the safe answer.
    if (this.#newest < 0 || steps >= WINDOW_BUCKETS || steps < 0) {
      this.clear();
    } else {
      for (let k = 1; k <= steps; k++) {
        const i = (this.#newest + k) % WINDOW_BUCKETS;
        this.requests -= this.#requests[i]!;
        this.failures -= this.#failures[i]!;
        this.#requests[i] = 0;
        this.#failures[i] = 0;
      }
    }
    this.#newest = slice;
  }

  clear(): void {
    this.#requests.fill(0);
    this.#failures.fill(0);
    this.requests = 0;
    this.failures = 0;
  }
}
