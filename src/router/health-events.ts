import type { Logger } from '../log/index.ts';
import type { ClusterRuntime } from './cluster-runtime.ts';
import type { HealthEvent } from './passive-health.ts';
import type { UpstreamState } from './upstream-state.ts';

/**
 * Acts on what a passive-health charge changed: an ejection changes the cluster's members (strategies
 * rebuild, panic mode is judged again); every change is logged. `code` is the failure that caused it.
 */
export function healthEvent(
  log: Logger,
  cluster: ClusterRuntime,
  upstream: UpstreamState,
  event: HealthEvent,
  code: string | undefined,
): void {
  if (event === undefined) return;
  if (event === 'ejected') {
    cluster.membersChanged();
    log.warn(
      { cluster: cluster.name, upstream: upstream.id, until: upstream.ejectedUntil, code },
      `upstream ${upstream.id} of cluster '${cluster.name}' ejected: ${upstream.ejectionReason}`,
    );
  } else if (event === 'restored') {
    log.info({ cluster: cluster.name, upstream: upstream.id }, `upstream ${upstream.id} is healthy again`);
  } else {
    log.warn(
      { cluster: cluster.name, upstream: upstream.id, code },
      `upstream ${upstream.id} of cluster '${cluster.name}' not ejected: ${upstream.spared}`,
    );
  }
}
