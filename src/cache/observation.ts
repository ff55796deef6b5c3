/** What the metrics read of the cache at a scrape (through the server's observation). */
import type { BackgroundCounts } from './background.ts';
import type { CacheStatus, HttpCache } from './http-cache.ts';
import type { DiskStats } from './disk-index.ts';
import type { StoreStats } from './memory-store.ts';

/** The disk tier at a scrape. */
export interface DiskObservation {
  readonly stats: Readonly<DiskStats>;
  readonly limitBytes: number;
  /** Hits answered from an object read back from disk. */
  readonly hits: number;
  /** Files dropped as truncated, corrupted or not ours. */
  readonly dropped: number;
}

export interface CacheObservation {
  /** Transactions by cache status (the object is the counters' source across reloads). */
  readonly statuses: Readonly<Record<CacheStatus, number>>;
  /** Background fills and revalidations by result. */
  readonly background: BackgroundCounts;
  /** The memory tier's bytes, objects, evictions and stores. */
  readonly store: Readonly<StoreStats>;
  readonly memoryLimitBytes: number;
  /** Absent without a disk tier. */
  readonly disk?: DiskObservation | undefined;
}

export function observeCache(cache: HttpCache | null | undefined): CacheObservation | undefined {
  if (cache == null) return undefined;
  const disk = cache.disk;
  return {
    statuses: cache.statuses,
    background: cache.background,
    store: cache.store.stats,
    memoryLimitBytes: cache.store.limit,
    ...(disk === null
      ? {}
      : {
          disk: {
            stats: disk.index.stats,
            limitBytes: disk.index.limit,
            hits: cache.diskHits,
            dropped: disk.dropped,
          },
        }),
  };
}
