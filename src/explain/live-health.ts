/**
 * Health as a running Junction knows it (the admin API's clusters and backends), as explain's
 * HealthLookup: a backend is skipped when health has it down, unless its cluster is in panic mode,
 * where strategies pick among every backend not being drained.
 */
import type { HealthLookup } from './backend-pick.ts';

/** The fields of the admin API's backend status that explain reads. */
export interface LiveBackend {
  readonly cluster: string;
  readonly id: string;
  readonly isUp: boolean;
  readonly draining: boolean;
  readonly ejected: boolean;
  readonly ejectionReason: string;
  readonly onTrial: boolean;
  readonly checked: boolean;
  readonly activeUp: boolean;
  readonly lastCheckStatus: number;
  readonly lastCheckError: string | undefined;
}

function whyDown(b: LiveBackend): string {
  if (b.draining) return 'draining';
  if (b.ejected) return `ejected by passive health${b.ejectionReason === '' ? '' : ` (${b.ejectionReason})`}`;
  if (b.checked && !b.activeUp) {
    const last = b.lastCheckError ?? (b.lastCheckStatus === 0 ? 'no answer' : `status ${b.lastCheckStatus}`);
    return `down by active health checks (last: ${last})`;
  }
  if (b.onTrial) return 'on trial: its one trial request is out';
  return 'down';
}

export function liveHealth(
  backends: readonly LiveBackend[],
  panicClusters: ReadonlySet<string>,
): HealthLookup {
  const byKey = new Map(backends.map((b) => [`${b.cluster}\n${b.id}`, b]));
  return (cluster, id) => {
    const b = byKey.get(`${cluster}\n${id}`);
    if (b === undefined) return { up: false, because: 'not in the running config' };
    if (b.isUp) return { up: true };
    if (panicClusters.has(cluster) && !b.draining)
      return { up: true, because: `${whyDown(b)}, but the cluster is in panic mode` };
    return { up: false, because: whyDown(b) };
  };
}
