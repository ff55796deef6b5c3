/**
 * A reload across the workers, all or none: the config goes to every serving worker at once; if all
 * applied it, their replies merge into the group's result (reloadChange, recordApplied); if one
 * refused, the workers that applied it go back to the running config (rollBack) and the refusal names
 * each worker's reason (refusalReason). The merges are pure and unit-tested; the group owns the config
 * in force, its version and counters.
 */
import type { JunctionConfig } from '../config/index.ts';
import type { BoundListener, ConfigDiff } from '../server/index.ts';
import { diffConfigs, isEmptyDiff } from '../server/index.ts';
import { describe, type WorkerReloadReport } from './group-types.ts';
import type { Member } from './member.ts';
import type { ConfigMessage, WorkerReloaded } from './messages.ts';

/** What a reload changes of a worker as the group sees it. */
export interface ReloadingWorker {
  readonly slot: number;
  readonly pid: number;
  hash: string;
  listeners: readonly BoundListener[];
}

/** Sends `message` to every one of `members` at once; every outcome, in their order. */
export function sendReload(
  members: readonly Member[],
  message: ConfigMessage,
  timeoutMs: number,
): Promise<PromiseSettledResult<WorkerReloaded>[]> {
  return Promise.allSettled(members.map((m) => m.rpc.request('reload', message, timeoutMs)));
}

/** Every worker's reply when every one applied the config; undefined when one refused it. */
export function everyReply(
  outcomes: readonly PromiseSettledResult<WorkerReloaded>[],
): WorkerReloaded[] | undefined {
  const replies: WorkerReloaded[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') return undefined;
    replies.push(outcome.value);
  }
  return replies;
}

/**
 * The group's diff and whether the config changed. With no worker serving (all dead, or in a crash
 * loop) the config is the group's alone, and the next worker starts on it: this is how a config that
 * crashes workers is replaced.
 */
export function reloadChange(
  replies: readonly WorkerReloaded[],
  running: JunctionConfig,
  next: JunctionConfig,
): { readonly diff: ConfigDiff; readonly changed: boolean } {
  const diff = replies[0]?.diff ?? diffConfigs(running, next);
  const changed = replies.length === 0 ? !isEmptyDiff(diff) : replies.some((r) => r.changed);
  return { diff, changed };
}

/** Notes each worker's config hash and listeners after an applied reload; its report per worker. */
export function recordApplied(
  members: readonly ReloadingWorker[],
  replies: readonly WorkerReloaded[],
): WorkerReloadReport[] {
  return members.map((m, i) => {
    const reply = replies[i]!;
    m.hash = reply.hash;
    m.listeners = reply.listeners;
    return { worker: m.slot, pid: m.pid, outcome: reply.changed ? 'applied' : 'unchanged', hash: reply.hash };
  });
}

/**
 * After a refusal, every worker back on the running config: those that applied the new one reload
 * `running`. One that cannot is handed to `cannotGoBack` (the group replaces it).
 */
export function rollBack(
  members: readonly Member[],
  outcomes: readonly PromiseSettledResult<WorkerReloaded>[],
  running: ConfigMessage,
  timeoutMs: number,
  cannotGoBack: (member: Member, error: unknown) => void,
): Promise<WorkerReloadReport[]> {
  return Promise.all(
    members.map(async (m, i): Promise<WorkerReloadReport> => {
      const outcome = outcomes[i]!;
      if (outcome.status === 'rejected') {
        return {
          worker: m.slot,
          pid: m.pid,
          outcome: 'refused',
          hash: m.hash,
          error: describe(outcome.reason),
        };
      }
      if (!outcome.value.changed) return { worker: m.slot, pid: m.pid, outcome: 'unchanged', hash: m.hash };
      try {
        const back = await m.rpc.request('reload', running, timeoutMs);
        m.hash = back.hash;
        m.listeners = back.listeners;
        return { worker: m.slot, pid: m.pid, outcome: 'rolled-back', hash: back.hash };
      } catch (error) {
        cannotGoBack(m, error);
        return { worker: m.slot, pid: m.pid, outcome: 'rollback-failed', hash: '', error: describe(error) };
      }
    }),
  );
}

/** Each refusing worker and its reason, for the ReloadError. */
export function refusalReason(reports: readonly WorkerReloadReport[]): string {
  return reports
    .filter((r) => r.outcome === 'refused')
    .map((r) => `worker ${r.worker} (pid ${r.pid}): ${r.error ?? ''}`)
    .join('; ');
}
