/**
 * router: the Router singleton (Traffic Server's L7 design). Holds the named strategies' runtimes,
 * asks the Connector for connections, decides retries, and receives every attempt's outcome.
 * Does not: parse HTTP, match routes (routes/), or touch client sockets.
 * Used by: transaction/, server/. Uses: connector/, strategies/, errors/, util/.
 */
export { ClusterRuntime } from './cluster-runtime.ts';
export { Router, RouterLease, type PoolSettings } from './router.ts';
export { UpstreamState } from './upstream-state.ts';
export type { AcquireHandler, Lease, UpstreamChannel, UpstreamHandler } from './types.ts';
