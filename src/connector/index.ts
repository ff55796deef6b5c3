/**
 * connector: owns outbound connections to upstreams.
 * - Pools idle keep-alive connections per upstream address (LIFO, idle timeout, max idle).
 * - Makes exactly one connect attempt per ask and reports a typed ConnectError.
 * Does not: choose upstreams or retry (router/), parse HTTP (codec/), or run transaction hooks.
 * Used by: router/. Uses: errors/, util/.
 */
export { Connector, type ConnectHandler } from './connector.ts';
export { UpstreamConnection } from './upstream-connection.ts';
export { UpstreamPool, type PoolOptions } from './upstream-pool.ts';
export { toConnectError } from './connect-error.ts';
