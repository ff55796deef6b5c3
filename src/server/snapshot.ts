import type { JunctionConfig } from '../config/types.ts';
import type { ClusterRuntime, Router } from '../router/index.ts';
import { RouteTable } from '../routes/index.ts';
import { mergeHookTables, type HookTable } from '../hooks/index.ts';
import {
  headLimitsOf,
  RequestRing,
  type RuntimeSnapshot,
  type SnapshotHooks,
  type TransactionObservers,
} from '../transaction/index.ts';
import { deepEqual } from './config-diff.ts';
import { cacheFor } from '../cache/index.ts';

/** The hooks plugins registered: globally, and per route name. */
export interface RegisteredHooks {
  readonly global: HookTable | null;
  readonly routes: ReadonlyMap<string, HookTable | null>;
}

/** Two sets of registered hooks as one: at each point, `first`'s hooks run before `second`'s. */
export function combineHooks(
  first: RegisteredHooks | undefined,
  second: RegisteredHooks | undefined,
): RegisteredHooks | undefined {
  if (first === undefined) return second;
  if (second === undefined) return first;
  const routes = new Map<string, HookTable | null>(first.routes);
  for (const [route, table] of second.routes)
    routes.set(route, mergeHookTables(routes.get(route) ?? null, table));
  return { global: mergeHookTables(first.global, second.global), routes };
}

/** Per route: the global hooks then the route's own, merged once here instead of per request. */
function snapshotHooks(registered: RegisteredHooks | undefined): SnapshotHooks | null {
  if (registered === undefined) return null;
  const { global } = registered;
  const byRoute = new Map<string, HookTable | null>();
  for (const [route, table] of registered.routes) byRoute.set(route, mergeHookTables(global, table));
  if (global === null && [...byRoute.values()].every((table) => table === null)) return null;
  return { global, forRoute: (name) => byRoute.get(name) ?? global };
}

/**
 * Builds the data plane's view of a validated config: compiled routes, cluster runtimes and hooks.
 * On a reload, `previous` is the running snapshot: a cluster whose validated config is unchanged keeps
 * its runtime whole (strategies, retry budget, backends' health and counters); a changed one gets a new
 * runtime that keeps the state of its unchanged backends.
 */
export function buildSnapshot(
  config: JunctionConfig,
  router: Router,
  observers: TransactionObservers,
  version: number,
  hooks?: RegisteredHooks,
  previous?: RuntimeSnapshot,
  /** The config's routes already compiled (RouteTable.gradually() on a reload). */
  routes?: RouteTable,
): RuntimeSnapshot {
  const clusters = new Map<string, ClusterRuntime>();
  router.addStrategyPlugins(config.strategyPlugins);
  for (const [name, cluster] of config.clusters) {
    const old = previous?.clusters.get(name);
    const reusable =
      old !== undefined &&
      deepEqual(old.config, cluster) &&
      // A strategy plugin re-imported under the same kind must rebuild the strategies that use it.
      config.strategyPlugins.get(cluster.strategy.kind) ===
        previous?.config.strategyPlugins.get(cluster.strategy.kind);
    clusters.set(name, reusable ? old : router.buildCluster(cluster, old));
  }
  return {
    version,
    config,
    routes: routes ?? new RouteTable(config.routes),
    clusters,
    router,
    ...headLimitsOf(config),
    hooks: snapshotHooks(hooks),
    observers,
    cache: cacheFor(config, previous?.cache),
    requests: requestRingFor(config, previous?.requests),
  };
}

/** The ring `explain.keep_requests` asks for: the running one when its size is unchanged (a reload keeps it). */
function requestRingFor(
  config: JunctionConfig,
  previous: RequestRing | null | undefined,
): RequestRing | null {
  const keep = config.explain?.keepRequests ?? 0;
  if (keep === 0) return null;
  if (previous?.capacity === keep) return previous;
  return new RequestRing(keep, previous ?? undefined);
}
