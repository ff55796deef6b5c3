/**
 * A bounded ring of readings taken over time, oldest first: the dashboard's short memory of the
 * metrics, from which rates and percentiles over the last minutes are differences of two readings.
 * Readings are taken when the page asks (at most one per `minIntervalMs`), so an unwatched dashboard
 * costs nothing.
 */
export class HistoryRing<T> {
  readonly #items: { at: number; value: T }[] = [];
  readonly #capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2)
      throw new RangeError('capacity must be an integer of 2 or more');
    this.#capacity = capacity;
  }

  /** Adds a reading taken at `at` (ms); the oldest goes once the ring is full. */
  push(at: number, value: T): void {
    this.#items.push({ at, value });
    if (this.#items.length > this.#capacity) this.#items.shift();
  }

  get size(): number {
    return this.#items.length;
  }

  /** The newest reading, if any. */
  latest(): { at: number; value: T } | undefined {
    return this.#items[this.#items.length - 1];
  }

  /** The oldest reading taken at or after `since` (ms), else the newest; undefined when empty. */
  since(since: number): { at: number; value: T } | undefined {
    return this.#items.find((item) => item.at >= since) ?? this.latest();
  }

  /** Every reading, oldest first. */
  all(): readonly { at: number; value: T }[] {
    return this.#items;
  }
}
