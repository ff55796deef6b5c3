/**
 * The worker group's public shapes: its options, and what status(), reload() and restart() report.
 * Their own file, so the pieces of the group (supervision, reload fan-out, status) share them without
 * importing worker-group.ts.
 */
import type { Logger } from '../log/index.ts';
import type { ReloadResult, ServerStatus } from '../server/index.ts';
import type { MemberExit } from './member.ts';
import type { RestartPolicy } from './restart-backoff.ts';

/** cluster's scheduling policies: the primary accepts and deals connections round robin, or the OS does. */
export type SchedulingPolicy = 'rr' | 'none';

export interface WorkerGroupOptions {
  /** How many workers to keep serving. */
  readonly workers: number;
  readonly logger: Logger;
  /** Where the config's relative module names resolve (the config file's directory). */
  readonly baseDir: string;
  readonly scheduling?: SchedulingPolicy;
  /** The worker script; default worker-entry.js beside this module (the built dist/). */
  readonly exec?: string;
  readonly rpcTimeoutMs?: number;
  readonly startTimeoutMs?: number;
  /** How long a worker may take to apply a config (decoding, plugins, gradual route compilation). */
  readonly reloadTimeoutMs?: number;
  readonly restartPolicy?: RestartPolicy;
  /** How often the TLS session ticket keys change; 0: never. */
  readonly ticketKeyRotationMs?: number;
  /** How often each worker's memory and sessions are polled for status(). */
  readonly pollMs?: number;
}

/** How a slot's last worker ended, and whether that was unexpected (not retired on purpose). */
export type SlotExit = MemberExit & { readonly unexpected: boolean };

/** One worker as status() reports it. */
export interface WorkerStatus {
  readonly worker: number;
  readonly pid: number;
  readonly state: 'starting' | 'serving' | 'retiring' | 'gone' | 'waiting';
  /** When it started serving (ms since the epoch); 0 if it has not. */
  readonly servingSince: number;
  /** The hash of the config it serves. */
  readonly hash: string;
  /** Last polled resident set size and V8 heap in use, bytes. */
  readonly rss: number;
  readonly heapUsed: number;
  readonly sessions: number;
  /** Replacements of this slot's worker since the group started (crashes and restarts). */
  readonly replacements: number;
  /** Quick deaths in a row; a crash loop from `crashLoopAfter` on. */
  readonly failures: number;
  readonly crashLoop: boolean;
  readonly lastExit: SlotExit | null;
  readonly healthRunner: boolean;
}

/** The group's status: the config in force (as a server reports it) and every worker. */
export interface GroupStatus extends ServerStatus {
  readonly workersWanted: number;
  readonly workers: readonly WorkerStatus[];
  /** The primary's own RSS, and the sum over the primary and every worker's last poll (bytes). */
  readonly primaryRss: number;
  readonly rss: number;
  readonly scheduling: SchedulingPolicy;
}

/** What one worker did with a reload. */
export interface WorkerReloadReport {
  readonly worker: number;
  readonly pid: number;
  readonly outcome: 'applied' | 'unchanged' | 'refused' | 'rolled-back' | 'rollback-failed';
  readonly hash: string;
  readonly error?: string;
}

/** A reload applied by every worker. */
export interface GroupReloadResult extends ReloadResult {
  readonly workers: readonly WorkerReloadReport[];
}

/** A rolling restart's outcome, one entry per worker slot. */
export interface RestartReport {
  readonly workers: readonly { readonly worker: number; readonly oldPid: number; readonly newPid: number }[];
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
