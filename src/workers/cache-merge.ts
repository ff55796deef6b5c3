/**
 * A group's answer to a cache command (cache/cache-admin.ts): every worker has its own cache, so the
 * group's counts are the sums of its workers' (limits too: the group holds that much), with each
 * worker's answer beside them under `workers`. Pure.
 */
import type { CacheCommand, CacheReport } from '../server/index.ts';

/** One worker's answer, named. */
export interface WorkerCacheReport {
  readonly worker: number;
  readonly pid: number;
  readonly value: CacheReport;
}

/**
 * The group's answer: every count summed (limits too: the group holds that much), the per-worker
 * answers beside it under `workers`.
 */
export function mergeCacheReports(
  command: CacheCommand,
  reports: readonly WorkerCacheReport[],
): CacheReport & { readonly workers: readonly WorkerCacheReport[] } {
  const workers = reports.map((r) => ({ worker: r.worker, pid: r.pid, value: r.value }));
  const values = reports.map((r) => r.value);
  switch (command.kind) {
    case 'purge':
      return { ...command, purged: sum(values, (v) => (v.kind === 'purge' ? v.purged : 0)), workers };
    case 'clear':
      return { kind: 'clear', cleared: sum(values, (v) => (v.kind === 'clear' ? v.cleared : 0)), workers };
    case 'stats': {
      const stats = values.filter((v): v is Extract<CacheReport, { kind: 'stats' }> => v.kind === 'stats');
      const requests: Record<string, number> = {};
      for (const s of stats)
        for (const [k, n] of Object.entries(s.requests)) requests[k] = (requests[k] ?? 0) + n;
      const disks = stats.flatMap((s) => (s.disk === undefined ? [] : [s.disk]));
      const first = disks[0];
      return {
        kind: 'stats',
        memoryLimit: sum(stats, (s) => s.memoryLimit),
        maxObjectSize: stats[0]?.maxObjectSize ?? 0,
        bytes: sum(stats, (s) => s.bytes),
        objects: sum(stats, (s) => s.objects),
        evictions: sum(stats, (s) => s.evictions),
        stored: sum(stats, (s) => s.stored),
        requests,
        ...(first === undefined
          ? {}
          : {
              disk: {
                path: first.path,
                state: disks.every((d) => d.state === first.state) ? first.state : 'mixed',
                limit: sum(disks, (d) => d.limit),
                bytes: sum(disks, (d) => d.bytes),
                objects: sum(disks, (d) => d.objects),
                evictions: sum(disks, (d) => d.evictions),
                stored: sum(disks, (d) => d.stored),
                hits: sum(disks, (d) => d.hits),
                dropped: sum(disks, (d) => d.dropped),
              },
            }),
        workers,
      };
    }
  }
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  let n = 0;
  for (const item of items) n += of(item);
  return n;
}
