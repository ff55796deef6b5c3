/**
 * Runtime certificate changes across the workers: the wire form of a change (PEM text only: files are
 * read where the config is, not in the workers), adding on every worker or none (taken back from those
 * that added it when one fails), and the log of changes since the last applied reload, replayed to a
 * worker that starts later so that every worker holds the same certificates.
 */
import { WorkerError } from '../errors/index.ts';
import type { CertificateInfo, CertificateInput } from '../server/index.ts';
import type { Member } from './member.ts';
import type { CertificateChange } from './messages.ts';

export type CertificateChangeKind = 'add' | 'replace' | 'remove';

export function certificateChange(listener: string, input: CertificateInput): CertificateChange {
  if (input.certFile !== undefined || input.keyFile !== undefined || input.ocspFile !== undefined) {
    throw new WorkerError(
      'JCT_ERR_WORKER_FAILED',
      'certificates given as files cannot be sent to workers: give PEM text',
    );
  }
  return {
    listener,
    id: input.id,
    cert: input.cert,
    key: input.key,
    names: input.names,
    ocsp: input.ocsp?.toString('base64'),
    isDefault: input.isDefault,
  };
}

/** Adds `change` on every one of `members`, or on none: rejects with the first failure. */
export async function addOnEvery(
  members: readonly Member[],
  change: CertificateChange,
): Promise<CertificateInfo> {
  const outcomes = await Promise.allSettled(members.map((m) => m.rpc.request('add-certificate', change)));
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed !== undefined) {
    // Taken back from the workers that added it, so all hold the same certificates.
    const takeBack: Promise<unknown>[] = [];
    outcomes.forEach((o, i) => {
      if (o.status === 'fulfilled') {
        takeBack.push(
          members[i]!.rpc.request('remove-certificate', { listener: change.listener, id: o.value.id }),
        );
      }
    });
    await Promise.allSettled(takeBack);
    throw failed.reason;
  }
  return (outcomes[0] as PromiseFulfilledResult<CertificateInfo>).value;
}

/** The changes since the last applied reload (which starts the log over). */
export class CertificateLog {
  #entries: { kind: CertificateChangeKind; change: CertificateChange }[] = [];

  push(kind: CertificateChangeKind, change: CertificateChange): void {
    this.#entries.push({ kind, change });
  }

  clear(): void {
    this.#entries = [];
  }

  /** Applies every change, in order, to a worker that started after them. */
  async replay(member: Member): Promise<void> {
    for (const { kind, change } of this.#entries) await replayOne(member, kind, change);
  }
}

function replayOne(member: Member, kind: CertificateChangeKind, change: CertificateChange): Promise<unknown> {
  switch (kind) {
    case 'add':
      return member.rpc.request('add-certificate', change);
    case 'replace':
      return member.rpc.request('replace-certificate', { ...change, id: change.id ?? '' });
    case 'remove':
      return member.rpc.request('remove-certificate', { listener: change.listener, id: change.id ?? '' });
  }
}
