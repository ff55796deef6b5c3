/**
 * Request collapsing (Traffic Server's "lock URL in cache", nginx's proxy_cache_lock): while one
 * transaction fills a key from the backend, the others that miss on it wait, each for at most the
 * collapse timeout, and then look again (`stored`) or go to the backend themselves (anything else).
 */

/** Why a wait ended: the filler stored the response, it turned out uncacheable or failed, or time ran out. */
export type CollapseOutcome = 'stored' | 'not-stored' | 'timeout';

type Waiter = (outcome: CollapseOutcome) => void;

interface Fill {
  readonly waiters: Set<Waiter>;
}

export class CollapseTable {
  readonly #fills = new Map<string, Fill>();
  readonly #timeoutMs: () => number;

  /** `timeoutMs` is read at each wait: a reload may change it. */
  constructor(timeoutMs: () => number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Takes the key for a fill; false when another transaction is filling it. */
  tryLock(key: string): boolean {
    if (this.#fills.has(key)) return false;
    this.#fills.set(key, { waiters: new Set() });
    return true;
  }

  /** Waits for the fill of `key` to end; `wake` runs once. False when nobody fills it (go on at once). */
  wait(key: string, wake: Waiter): boolean {
    const fill = this.#fills.get(key);
    if (fill === undefined) return false;
    const timer = setTimeout(() => {
      if (fill.waiters.delete(waiter)) wake('timeout');
    }, this.#timeoutMs());
    const waiter: Waiter = (outcome) => {
      clearTimeout(timer);
      wake(outcome);
    };
    fill.waiters.add(waiter);
    return true;
  }

  /** The fill of `key` ended: every waiter wakes with `outcome`. */
  unlock(key: string, outcome: 'stored' | 'not-stored'): void {
    const fill = this.#fills.get(key);
    if (fill === undefined) return;
    this.#fills.delete(key);
    for (const waiter of fill.waiters) waiter(outcome);
  }

  /** Keys being filled now (for tests and status). */
  get filling(): number {
    return this.#fills.size;
  }
}
