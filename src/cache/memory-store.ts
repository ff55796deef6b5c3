/**
 * The memory tier: stored objects by key, several alternates per key (one per Vary'd variant), bounded
 * in bytes with least-recently-used eviction. Pure bookkeeping: no I/O, no clock, no HTTP rules.
 */
import type { CachedObject } from './cached-object.ts';

/** Counters the metrics read; they only grow (but `bytes` and `objects`). */
export interface StoreStats {
  bytes: number;
  objects: number;
  evictions: number;
  stored: number;
}

export class MemoryStore {
  #limit: number;
  /** Key → its alternates. */
  readonly #byKey = new Map<string, CachedObject[]>();
  /** Every object once, least recently used first (a Map keeps insertion order; a use re-inserts). */
  readonly #lru = new Map<CachedObject, true>();
  readonly stats: StoreStats = { bytes: 0, objects: 0, evictions: 0, stored: 0 };

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  get limit(): number {
    return this.#limit;
  }

  /** A reload changed `memory_size`: shrink at once if needed. */
  resize(limitBytes: number): void {
    this.#limit = limitBytes;
    this.#evictDownTo(limitBytes);
  }

  /** The alternates stored under `key` (the caller picks one and calls touch()). */
  alternates(key: string): readonly CachedObject[] {
    return this.#byKey.get(key) ?? NONE;
  }

  /** Marks `object` as just used. */
  touch(object: CachedObject): void {
    if (!this.#lru.delete(object)) return;
    this.#lru.set(object, true);
  }

  /**
   * Stores `object`, replacing the alternate of its key with the same variant, and evicts the least
   * recently used objects past the bound. False (nothing stored) when it alone exceeds the bound.
   */
  put(object: CachedObject): boolean {
    if (object.size > this.#limit) return false;
    const list = this.#byKey.get(object.key);
    const same = list?.find((other) => other.variant === object.variant && other.vary === object.vary);
    if (same !== undefined) this.delete(same);
    this.#evictDownTo(this.#limit - object.size);
    const alternates = this.#byKey.get(object.key);
    if (alternates === undefined) this.#byKey.set(object.key, [object]);
    else alternates.push(object);
    this.#lru.set(object, true);
    this.stats.bytes += object.size;
    this.stats.objects++;
    this.stats.stored++;
    return true;
  }

  delete(object: CachedObject): boolean {
    if (!this.#lru.delete(object)) return false;
    const list = this.#byKey.get(object.key)!;
    const index = list.indexOf(object);
    list.splice(index, 1);
    if (list.length === 0) this.#byKey.delete(object.key);
    this.stats.bytes -= object.size;
    this.stats.objects--;
    return true;
  }

  /** Removes every alternate of `key`; returns how many. */
  deleteKey(key: string): number {
    const list = this.#byKey.get(key);
    if (list === undefined) return 0;
    const n = list.length;
    for (const object of [...list]) this.delete(object);
    return n;
  }

  /** Removes every object whose key starts with `prefix`; returns how many. */
  deletePrefix(prefix: string): number {
    let n = 0;
    for (const key of [...this.#byKey.keys()]) if (key.startsWith(prefix)) n += this.deleteKey(key);
    return n;
  }

  /** Removes everything; returns how many objects. */
  clear(): number {
    const n = this.stats.objects;
    this.#byKey.clear();
    this.#lru.clear();
    this.stats.bytes = 0;
    this.stats.objects = 0;
    return n;
  }

  #evictDownTo(bytes: number): void {
    for (const object of this.#lru.keys()) {
      if (this.stats.bytes <= bytes) return;
      this.delete(object);
      this.stats.evictions++;
    }
  }
}

const NONE: readonly CachedObject[] = [];
