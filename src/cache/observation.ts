/** What the metrics read of the cache at a scrape (through the server's observation). */
import type { CacheStatus, HttpCache } from './http-cache.ts';
import type { StoreStats } from './memory-store.ts';

export interface CacheObservation {
  /** Transactions by cache status (the object is the counters' source across reloads). */
  readonly statuses: Readonly<Record<CacheStatus, number>>;
  /** The memory tier's bytes, objects, evictions and stores. */
  readonly store: Readonly<StoreStats>;
  readonly memoryLimitBytes: number;
}

export function observeCache(cache: HttpCache | null | undefined): CacheObservation | undefined {
  if (cache == null) return undefined;
  return { statuses: cache.statuses, store: cache.store.stats, memoryLimitBytes: cache.store.limit };
}
