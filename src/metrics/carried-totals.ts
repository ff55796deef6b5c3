/**
 * Keeps exported counters monotonic across reloads. The server's counters live on objects a reload may
 * replace (a rebound listener, a changed cluster's runtime, a changed backend's state), and a new object
 * counts from 0 again. Per series, this remembers which object it last read and what that object had
 * counted; when the object changes, the old one's last count is carried into the series' base, so the
 * total never goes down. Counts an old object made after the last scrape before its replacement are
 * not seen: a reload can cost at most one scrape interval of that series' increments, never a reset.
 *
 * A series that disappears (its backend removed) keeps its entry: if the name comes back, its total
 * continues. Entries are bounded by the config names ever served.
 */

interface Entry {
  /** Weak: a replaced listener or backend state must not be kept alive by its metrics. */
  source: WeakRef<object>;
  /** The source's last count read. */
  last: number;
  /** What replaced sources had counted. */
  base: number;
}

export class CarriedTotals {
  readonly #entries = new Map<string, Entry>();

  /** The monotonic total of series `key`, given that `source` has now counted `count`. */
  total(key: string, source: object, count: number): number {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { source: new WeakRef(source), last: count, base: 0 };
      this.#entries.set(key, entry);
    } else if (entry.source.deref() !== source) {
      entry.base += entry.last;
      entry.source = new WeakRef(source);
      entry.last = count;
    } else {
      // The same object never counts down; if it ever did, hold the total rather than lower it.
      entry.last = Math.max(entry.last, count);
    }
    return entry.base + entry.last;
  }

  /** How many series are remembered. */
  get size(): number {
    return this.#entries.size;
  }
}
