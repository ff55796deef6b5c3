/**
 * When to replace a worker that died (pure): at once the first time, then after a delay that doubles
 * with each death in a row that came soon after its start, up to a ceiling. A worker that lived long
 * enough resets the count. Deaths in a row past a threshold are a crash loop: reported (log, admin
 * status) and slowed to the ceiling rather than spun.
 */

export interface RestartPolicy {
  /** The delay before the second replacement in a row; each further one doubles it. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** A worker that served this long before dying was healthy: its death starts a new count. */
  readonly stableAfterMs: number;
  /** This many quick deaths in a row is a crash loop. */
  readonly crashLoopAfter: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 250,
  maxDelayMs: 30_000,
  stableAfterMs: 10_000,
  crashLoopAfter: 3,
};

/** What to do about one death. */
export interface RestartDecision {
  /** Wait this long, then fork the replacement. */
  readonly delayMs: number;
  /** Quick deaths in a row, this one included. */
  readonly failures: number;
  readonly crashLoop: boolean;
}

/** The count for one worker slot (the replacement of worker 2 inherits worker 2's count). */
export class RestartBackoff {
  readonly #policy: RestartPolicy;
  #failures = 0;

  constructor(policy: RestartPolicy = DEFAULT_RESTART_POLICY) {
    this.#policy = policy;
  }

  get failures(): number {
    return this.#failures;
  }

  get crashLoop(): boolean {
    return this.#failures >= this.#policy.crashLoopAfter;
  }

  /** A worker of this slot died after serving `uptimeMs` (0 if it never started serving). */
  died(uptimeMs: number): RestartDecision {
    if (uptimeMs >= this.#policy.stableAfterMs) this.#failures = 0;
    this.#failures++;
    const delayMs =
      this.#failures === 1
        ? 0
        : Math.min(this.#policy.maxDelayMs, this.#policy.initialDelayMs * 2 ** (this.#failures - 2));
    return { delayMs, failures: this.#failures, crashLoop: this.crashLoop };
  }

  /** The slot's worker has served `stableAfterMs`: the count starts over. */
  settled(): void {
    this.#failures = 0;
  }
}
