/**
 * The last failed transactions (a 5xx answer, or none at all with a `JCT_ERR_*` code), kept for the
 * dashboard's "recent errors": a fixed ring of preallocated slots, overwritten oldest first. Fed by
 * RequestMetrics from the same TxnEnd the access log reads, so a successful transaction costs one
 * comparison and a failed one a few field stores (strings are the transaction's own, not copied).
 */

/** One failed transaction, as the dashboard lists it. */
export interface FailedTransaction {
  /** When it ended (ms since the epoch). */
  readonly time: number;
  readonly requestId: string;
  readonly listener: string;
  /** Empty when no route or cluster was chosen, or no upstream was tried. */
  readonly route: string;
  readonly cluster: string;
  readonly upstream: string;
  /** The status sent to the client (0: none was). */
  readonly status: number;
  /** The `JCT_ERR_*` code, empty for an upstream's own 5xx. */
  readonly code: string;
  /** The worker process that served it, when a group of workers' lists were merged. */
  readonly pid?: number;
}

type Slot = { -readonly [K in Exclude<keyof FailedTransaction, 'pid'>]: FailedTransaction[K] };

/** How many failed transactions are kept by default. */
export const RECENT_FAILURES = 50;

export class RecentFailures {
  readonly #slots: Slot[];
  /** Failures recorded in all; the next one goes to slot `#count % capacity`. */
  #count = 0;

  constructor(capacity = RECENT_FAILURES) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#slots = Array.from({ length: capacity }, () => ({
      time: 0,
      requestId: '',
      listener: '',
      route: '',
      cluster: '',
      upstream: '',
      status: 0,
      code: '',
    }));
  }

  /**
   * Whether a transaction that ended with `status` and `errorCode` counts as failed: a 5xx, or no answer
   * with an error (a timeout, a reset). A 4xx is the client's (no route, a malformed request).
   */
  static failed(status: number, errorCode: string | undefined): boolean {
    return status >= 500 || (status === 0 && errorCode !== undefined);
  }

  record(
    time: number,
    requestId: string,
    listener: string,
    route: string,
    cluster: string,
    upstream: string,
    status: number,
    code: string,
  ): void {
    const slot = this.#slots[this.#count % this.#slots.length]!;
    this.#count++;
    slot.time = time;
    slot.requestId = requestId;
    slot.listener = listener;
    slot.route = route;
    slot.cluster = cluster;
    slot.upstream = upstream;
    slot.status = status;
    slot.code = code;
  }

  /** Failures recorded since start, kept or not. */
  get total(): number {
    return this.#count;
  }

  /** The kept failures, newest first, as copies. */
  list(): FailedTransaction[] {
    const kept = Math.min(this.#count, this.#slots.length);
    const out: FailedTransaction[] = [];
    for (let i = 1; i <= kept; i++) {
      out.push({ ...this.#slots[(this.#count - i) % this.#slots.length]! });
    }
    return out;
  }
}

/**
 * Several processes' lists (each newest first) as one: every entry tagged with its process's pid,
 * newest first across them all, the `capacity` newest kept (the same bound as one process's ring).
 */
export function mergeRecentFailures(
  lists: readonly { readonly pid: number; readonly value: readonly FailedTransaction[] }[],
  capacity = RECENT_FAILURES,
): FailedTransaction[] {
  const all = lists.flatMap(({ pid, value }) => value.map((f) => ({ ...f, pid })));
  return all.sort((a, b) => b.time - a.time).slice(0, capacity);
}
