import type { JunctionConfig } from '../config/types.ts';
import type { ClusterRuntime, Router } from '../router/index.ts';
import { RouteTable } from '../routes/index.ts';
import type { RuntimeSnapshot } from '../transaction/index.ts';

/** Idle upstream connections kept per backend. High, so thousands of client connections keep reuse. */
export const DEFAULT_MAX_IDLE_PER_UPSTREAM = 4096;

/** Builds the data plane's view of a validated config: compiled routes and cluster runtimes. */
export function buildSnapshot(config: JunctionConfig, router: Router, version: number): RuntimeSnapshot {
  const clusters = new Map<string, ClusterRuntime>();
  const pool = { maxIdle: DEFAULT_MAX_IDLE_PER_UPSTREAM, idleTimeoutMs: config.timeouts.backendIdleMs };
  for (const [name, cluster] of config.clusters) clusters.set(name, router.buildCluster(cluster, pool));
  return {
    version,
    config,
    routes: new RouteTable(config.routes),
    clusters,
    router,
    headLimits: {
      maxHeadBytes: config.limits.maxHeadBytes,
      maxHeaderCount: config.limits.maxHeaderCount,
      maxRequestLineBytes: config.limits.maxRequestLineBytes,
    },
  };
}
