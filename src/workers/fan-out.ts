/**
 * Asking the serving workers: every one (each must succeed: the first failure rejects) or the first
 * one (for what every worker holds alike). The answers come as WorkerReports naming each worker, the
 * input of aggregate.ts's merges.
 */
import { WorkerError } from '../errors/index.ts';
import type { WorkerReport } from './aggregate.ts';
import type { Member } from './member.ts';
import type { QueryKind, WorkerRequests } from './messages.ts';

/** Asks every one of `members`; rejects with the first failure. */
export function askEvery<K extends keyof WorkerRequests>(
  members: readonly Member[],
  kind: K,
  body: WorkerRequests[K]['request'],
  timeoutMs?: number,
): Promise<WorkerReport<WorkerRequests[K]['reply']>[]> {
  return Promise.all(
    members.map(async (m) => ({
      worker: m.slot,
      pid: m.pid,
      value: await m.rpc.request(kind, body, timeoutMs),
    })),
  );
}

/** Asks the first serving worker a read-only query. */
export async function askFirst<K extends QueryKind>(
  member: Member | undefined,
  kind: K,
): Promise<WorkerReport<WorkerRequests[K]['reply']>> {
  if (member === undefined) throw new WorkerError('JCT_ERR_WORKER_GONE', 'no worker is serving');
  const value = await member.rpc.request(kind, null);
  return { worker: member.slot, pid: member.pid, value };
}
