import type { JunctionConfig } from '../config/types.ts';
import type { ClusterRuntime, Router } from '../router/index.ts';
import { RouteTable } from '../routes/index.ts';
import type { RuntimeSnapshot } from '../transaction/index.ts';

/** Builds the data plane's view of a validated config: compiled routes and cluster runtimes. */
export function buildSnapshot(config: JunctionConfig, router: Router, version: number): RuntimeSnapshot {
  const clusters = new Map<string, ClusterRuntime>();
  router.addStrategyPlugins(config.strategyPlugins);
  for (const [name, cluster] of config.clusters) {
    clusters.set(name, router.buildCluster(cluster));
  }
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
