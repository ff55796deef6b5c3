/**
 * The cache's operations as plain data, so that one process runs them on its own cache and a group of
 * workers sends them to every worker and sums the answers: the counters (`stats`), purge by URL or
 * prefix, and clear. Each worker has its own memory tier (and its own disk directory), so a purge
 * must reach every one of them; the group's answer is the sum of theirs, with a per-worker section
 * (workers/cache-merge.ts).
 */
import type { HttpCache } from './http-cache.ts';

export type CacheCommand =
  | { readonly kind: 'stats' }
  | { readonly kind: 'purge'; readonly url: string; readonly prefix: boolean }
  | { readonly kind: 'clear' };

/** The disk tier's part of `stats`. */
export interface DiskReport {
  readonly path: string;
  readonly state: string;
  readonly limit: number;
  readonly bytes: number;
  readonly objects: number;
  readonly evictions: number;
  readonly stored: number;
  readonly hits: number;
  readonly dropped: number;
}

export interface CacheStatsReport {
  readonly memoryLimit: number;
  readonly maxObjectSize: number;
  readonly bytes: number;
  readonly objects: number;
  readonly evictions: number;
  readonly stored: number;
  readonly requests: Readonly<Record<string, number>>;
  readonly disk?: DiskReport;
}

/** What a command answers: the counters, or how many objects it removed. */
export type CacheReport =
  | ({ readonly kind: 'stats' } & CacheStatsReport)
  | { readonly kind: 'purge'; readonly url: string; readonly prefix: boolean; readonly purged: number }
  | { readonly kind: 'clear'; readonly cleared: number };

/** Runs `command` on this process's cache. */
export function runCacheCommand(cache: HttpCache, command: CacheCommand): CacheReport {
  switch (command.kind) {
    case 'purge':
      return { ...command, purged: cache.purge(command.url, command.prefix) };
    case 'clear':
      return { kind: 'clear', cleared: cache.clear() };
    case 'stats': {
      const disk = cache.disk;
      return {
        kind: 'stats',
        memoryLimit: cache.store.limit,
        maxObjectSize: cache.config.maxObjectBytes,
        ...cache.store.stats,
        requests: { ...cache.statuses },
        ...(disk === null
          ? {}
          : {
              disk: {
                path: disk.dir,
                state: disk.state,
                limit: disk.index.limit,
                ...disk.index.stats,
                hits: cache.diskHits,
                dropped: disk.dropped,
              },
            }),
      };
    }
  }
}
