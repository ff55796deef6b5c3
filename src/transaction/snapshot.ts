import type { JunctionConfig } from '../config/types.ts';
import type { HeadLimits } from '../codec/types.ts';
import type { ClusterRuntime, Router } from '../router/index.ts';
import type { RouteConfig } from '../config/types.ts';
import type { HookTable } from '../hooks/index.ts';
import type { TransactionObservers } from './txn-observer.ts';
import type { HttpCache } from '../cache/index.ts';
import type { RequestRing } from './request-ring.ts';

/** What the route table needs from a request (routes/ implements the matching). */
export interface RouteRequest {
  readonly host: string;
  readonly path: string;
  readonly method: string;
  /** The connection's TLS server name; '' without TLS. */
  readonly sni: string;
  header(lowerCaseName: string): string | undefined;
}

export interface RouteMatcher {
  match(request: RouteRequest): RouteConfig | undefined;
}

/**
 * One immutable, validated configuration as the data plane runs it. A transaction holds the snapshot
 * it started with until it ends; a keep-alive session picks up the newest one at its next request.
 */
export interface RuntimeSnapshot {
  readonly version: number;
  readonly config: JunctionConfig;
  readonly routes: RouteMatcher;
  readonly clusters: ReadonlyMap<string, ClusterRuntime>;
  readonly router: Router;
  readonly headLimits: HeadLimits;
  /** Limits on backends' response heads (`limits.max_response_*`), apart from the request limits. */
  readonly responseHeadLimits: HeadLimits;
  /** The hooks plugins registered; null when there are none anywhere, so transactions skip them. */
  readonly hooks: SnapshotHooks | null;
  /** Who hears of every finished transaction; the same object in every snapshot of a server. */
  readonly observers: TransactionObservers;
  /** The HTTP cache (src/cache/), the same object across reloads; absent or null when no route caches. */
  readonly cache?: HttpCache | null;
  /** The recent request heads kept for `junction ctl preview`; absent or null when off (the default). */
  readonly requests?: RequestRing | null;
}

/** Hook tables: the global one, and per route the global hooks followed by the route's own. */
export interface SnapshotHooks {
  readonly global: HookTable | null;
  forRoute(routeName: string): HookTable | null;
}

/** The head limits of a config: for request heads, and for response heads. */
export function headLimitsOf(
  config: JunctionConfig,
): Pick<RuntimeSnapshot, 'headLimits' | 'responseHeadLimits'> {
  const limits = config.limits;
  return {
    headLimits: {
      maxHeadBytes: limits.maxHeadBytes,
      maxHeaderCount: limits.maxHeaderCount,
      maxRequestLineBytes: limits.maxRequestLineBytes,
    },
    responseHeadLimits: {
      maxHeadBytes: limits.maxResponseHeadBytes,
      maxHeaderCount: limits.maxResponseHeaderCount,
      // A status line has no limit of its own: it is part of the head.
      maxRequestLineBytes: limits.maxResponseHeadBytes,
    },
  };
}
