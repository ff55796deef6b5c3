/**
 * connector: owns outbound connections to upstreams.
 * - Pools keep-alive connections per upstream (LIFO, idle timeout, max idle, max total, max requests).
 * - Makes exactly one connect attempt per ask (DNS, TCP, TLS handshake) and reports a typed ConnectError.
 * - Resolves backend names through a TTL-honouring cache, and reports outbound connections opening and closing.
 * Does not: choose upstreams or retry (router/), parse HTTP (codec/), or run transaction hooks.
 * Used by: router/, server/. Uses: errors/, util/.
 */
export { Connector, type ConnectHandler, type ConnectorOptions } from './connector.ts';
export { UpstreamConnection } from './upstream-connection.ts';
export { UpstreamPool, type PoolOptions } from './upstream-pool.ts';
export { type UpstreamTlsOptions } from './upstream-tls.ts';
export {
  DnsCache,
  SystemDnsSource,
  DEFAULT_LOOKUP_TTL_SECONDS,
  DEFAULT_NEGATIVE_TTL_MS,
  DEFAULT_TTL_BOUNDS,
  type DnsAnswer,
  type DnsCacheOptions,
  type DnsResult,
  type DnsSource,
  type HostResolver,
  type SystemDnsSourceOptions,
  type TtlBounds,
} from './dns-cache.ts';
export {
  type ConnectionEventName,
  type ConnectorEvents,
  type UpstreamConnectionInfo,
} from './connection-events.ts';
export { FAILED_ADDRESS_HOLD_MS } from './address-rotation.ts';
export { toConnectError, connectTimeoutError, poolExhaustedError } from './connect-error.ts';
