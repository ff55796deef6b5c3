/**
 * `junction run` with more than one worker: this process becomes the primary of a WorkerGroup
 * (workers/). It serves no traffic itself; it starts and supervises the workers, and the admin API,
 * reloads and signals drive the group as they would drive one server. SIGUSR2 restarts every worker,
 * one at a time, from the code on disk.
 */
import { availableParallelism } from 'node:os';
import { dirname, resolve as resolvePath } from 'node:path';
import { MAX_WORKERS, type JunctionConfig, type WorkersSetting } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import type { AdminMetrics, AdminTarget } from '../admin/index.ts';
import type { SchedulingPolicy, WorkerGroup } from '../workers/index.ts';
import type { CliContext, RunningServer, StartJunction } from './cli-context.ts';

/** The environment variable that picks cluster's scheduling policy: `none` (the default) or `rr`. */
export const SCHEDULING_ENV = 'JUNCTION_WORKER_SCHEDULING';

/** `--workers` text → a setting, or undefined when it is neither `auto` nor a count in range. */
export function parseWorkers(text: string): WorkersSetting | undefined {
  if (text === 'auto') return 'auto';
  if (!/^\d+$/.test(text)) return undefined;
  const count = Number(text);
  return count >= 1 && count <= MAX_WORKERS ? count : undefined;
}

/** How many workers a setting means on this machine. */
export function workerCount(setting: WorkersSetting | undefined): number {
  if (setting === undefined) return 1;
  return setting === 'auto' ? availableParallelism() : setting;
}

/** JUNCTION_WORKER_SCHEDULING → the policy; throws RangeError for a value that names none. */
export function schedulingPolicy(context: CliContext): SchedulingPolicy {
  const text = context.env[SCHEDULING_ENV] ?? '';
  if (text === '' || text === 'none') return 'none';
  if (text === 'rr') return 'rr';
  throw new RangeError(`${SCHEDULING_ENV} must be none or rr, got '${text}'`);
}

/** A WorkerGroup as the CLI runs it: a RunningServer that reloads, restarts, and can be killed. */
export type RunningGroup = WorkerGroup & RunningServer;

/**
 * A StartJunction that starts a group of `count` workers. `file` places the config's relative module
 * names (the workers import them again).
 */
export function groupStarter(
  count: number,
  file: string | undefined,
  context: CliContext,
  started: (group: WorkerGroup) => void,
): StartJunction {
  return async (config: JunctionConfig, options: { logger: Logger }): Promise<RunningServer> => {
    const { WorkerGroup } = await import('../workers/index.ts');
    const group = await WorkerGroup.start(config, {
      workers: count,
      logger: options.logger,
      baseDir: file === undefined ? process.cwd() : dirname(resolvePath(file)),
      scheduling: schedulingPolicy(context),
    });
    started(group);
    return group;
  };
}

/** The group as the ConfigStore and the admin API drive it: its views are answered asynchronously. */
export function asAdminTarget(group: WorkerGroup): AdminTarget {
  return group;
}

/**
 * The admin API's `/metrics` for a group: every worker's scrape (asked over the IPC at each scrape),
 * merged into one, with the primary's own process metrics and the group's config metrics; the
 * dashboard's recent errors are every worker's, merged newest first.
 */
export async function groupAdminMetrics(group: WorkerGroup): Promise<AdminMetrics> {
  const { GroupMetrics, mergeRecentFailures } = await import('../metrics/index.ts');
  const metrics = new GroupMetrics().source(
    () => group.reports('metrics'),
    () => group.status(),
  );
  return {
    ...metrics,
    recentFailures: async () => mergeRecentFailures(await group.reports('recent-failures')),
  };
}
