/**
 * Routing one transaction: the route and cluster for its request (unless a hook chose them), the
 * checks that refuse it before any upstream is asked (a misdirected host, no route, a body over the
 * route's limit, an upgrade the route does not allow), and the strategy that picks its upstream.
 * Functions of the transaction's routing state, so the transaction keeps only the calls.
 */
import type { RequestHead } from '../codec/types.ts';
import type { JunctionConfig, RouteConfig } from '../config/types.ts';
import { HookError, type ErrorCode } from '../errors/index.ts';
import type { ClusterRuntime } from '../router/index.ts';
import type { Strategy, Upstream } from '../strategies/index.ts';
import type { SessionPort } from './session-port.ts';
import type { RouteRequest, RuntimeSnapshot } from './snapshot.ts';
import { upgradeDecision } from './upgrade.ts';

/** What routing reads and sets on a transaction. */
export interface RoutedTransaction extends RouteRequest {
  readonly head: RequestHead;
  readonly snapshot: RuntimeSnapshot;
  route: RouteConfig | undefined;
  cluster: ClusterRuntime | undefined;
}

/** The value of the first field named `lowerCaseName` (routes and strategies match on it). */
export function firstField(headers: readonly string[], lowerCaseName: string): string | undefined {
  const n = lowerCaseName.length;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === n && name.toLowerCase() === lowerCaseName) return headers[i + 1];
  }
  return undefined;
}

/** The body size limit of `route`, or the global one. */
export function maxBodyBytes(route: RouteConfig | undefined, config: JunctionConfig): number {
  return route?.maxBodyBytes ?? config.limits.maxBodyBytes;
}

/**
 * Finds the route and its cluster (those a hook chose stay). Returns the code to answer with when the
 * request may not go on (logging why where that is worth a line), or undefined when it may.
 */
export function routeTransaction(txn: RoutedTransaction, session: SessionPort): ErrorCode | undefined {
  const head = txn.head;
  if (session.tls?.isMisdirected(head.host) === true) return 'JCT_ERR_HTTP_MISDIRECTED';
  const route = (txn.route ??= txn.snapshot.routes.match(txn));
  if (route === undefined) return 'JCT_ERR_ROUTE_NOT_FOUND';
  txn.cluster ??= txn.snapshot.clusters.get(route.cluster);
  if (head.bodyKind === 'length' && head.contentLength > maxBodyBytes(route, txn.snapshot.config)) {
    session.log.info(
      { code: 'JCT_ERR_HTTP_BODY_TOO_LARGE', route: route.name, contentLength: head.contentLength },
      'request body larger than the route allows',
    );
    return 'JCT_ERR_HTTP_BODY_TOO_LARGE';
  }
  if (head.upgrade && upgradeDecision(head, route.upgrade) === 'refused') {
    session.log.info(
      { code: 'JCT_ERR_UPGRADE_REFUSED', route: route.name },
      'protocol upgrade refused by the route',
    );
    return 'JCT_ERR_UPGRADE_REFUSED';
  }
  return undefined;
}

/**
 * The strategy for one transaction: one upstream a hook pinned (`upstreamId`), a strategy a hook
 * named, the route's, or the cluster's. Throws a HookError when the pinned backend does not exist.
 */
export function strategyFor(
  cluster: ClusterRuntime,
  route: RouteConfig | undefined,
  config: JunctionConfig,
  strategyName: string | undefined,
  upstreamId: string | undefined,
): Strategy {
  if (upstreamId !== undefined) {
    const upstream = cluster.upstreams.find((u) => u.id === upstreamId);
    if (upstream === undefined)
      throw new HookError(`cluster '${cluster.name}' has no backend '${upstreamId}'`);
    return pinnedTo(upstream);
  }
  if (strategyName !== undefined) {
    const name = strategyName;
    return cluster.strategyFor(config.strategies.get(name) ?? { name, kind: name, options: {} });
  }
  const routeStrategy = route?.strategy;
  return routeStrategy === undefined ? cluster.strategy : cluster.strategyFor(routeStrategy);
}

/** A strategy that always picks one upstream (a hook's setUpstream), while it is up and untried. */
function pinnedTo(upstream: Upstream): Strategy {
  return {
    select: (_input, exclude) => (upstream.isUp && exclude?.has(upstream) !== true ? upstream : undefined),
  };
}
