/**
 * A cluster's retry budget (Finagle's RetryBudget, Envoy's retry_budget): retries may be at most
 * `ratio` of the requests seen over the last window, plus `minPerSecond` for every second of it, so a
 * quiet cluster can still retry while a failing one cannot multiply its load by the attempt count.
 *
 * Counts live in fixed one-second buckets that are reused in a ring: recording a request is an index
 * computation and an increment, with no allocation and no timer; a bucket older than the window is
 * cleared the next time its slot comes round. The window is therefore between 9 and 10 seconds long.
 */
export class RetryBudget {
  static readonly BUCKET_MS = 1_000;
  static readonly BUCKETS = 10;

  readonly ratio: number;
  readonly minPerSecond: number;
  /** Since the budget was built: requests counted, retries granted, retries refused. */
  requests = 0;
  retries = 0;
  retriesRefused = 0;

  readonly #requests = new Uint32Array(RetryBudget.BUCKETS);
  readonly #retries = new Uint32Array(RetryBudget.BUCKETS);
  /** The bucket number (time / BUCKET_MS) each slot currently counts; -Infinity when never used. */
  readonly #epochs = new Float64Array(RetryBudget.BUCKETS).fill(-Infinity);

  constructor(ratio: number, minPerSecond: number) {
    this.ratio = ratio;
    this.minPerSecond = minPerSecond;
  }

  /** One request entered the cluster (its first attempt; retries are not requests). */
  recordRequest(now: number): void {
    this.#requests[this.#slot(now)]!++;
    this.requests++;
  }

  /**
   * Asks for one retry at `now`. Grants it (and counts it) while the window's retries stay within
   * the budget; otherwise counts a refusal and returns false.
   */
  tryRetry(now: number): boolean {
    const slot = this.#slot(now);
    const epoch = this.#epochs[slot]!;
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < RetryBudget.BUCKETS; i++) {
      // Slots not touched for a whole window still hold old counts: they are cleared lazily.
      if (this.#epochs[i]! > epoch - RetryBudget.BUCKETS) {
        requests += this.#requests[i]!;
        retries += this.#retries[i]!;
      }
    }
    const windowSeconds = (RetryBudget.BUCKETS * RetryBudget.BUCKET_MS) / 1_000;
    const allowed = this.ratio * requests + this.minPerSecond * windowSeconds;
    // The epsilon keeps a product such as 0.29 × 100 = 28.999… from costing a whole retry.
    if (retries + 1 > allowed + 1e-9) {
      this.retriesRefused++;
      return false;
    }
    this.#retries[slot]!++;
    this.retries++;
    return true;
  }

  /** The slot for `now`, cleared first if it still counts an older second. */
  #slot(now: number): number {
    const epoch = Math.floor(now / RetryBudget.BUCKET_MS);
    const slot = ((epoch % RetryBudget.BUCKETS) + RetryBudget.BUCKETS) % RetryBudget.BUCKETS;
    if (this.#epochs[slot] !== epoch) {
      this.#epochs[slot] = epoch;
      this.#requests[slot] = 0;
      this.#retries[slot] = 0;
    }
    return slot;
  }
}
