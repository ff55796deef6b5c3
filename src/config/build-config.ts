/**
 * Validated file values → the JunctionConfig snapshot material: camelCase names, defaults filled in,
 * derived names (`address:port`, `route-N`, `host:port`) assigned. Runs only on input the schema and
 * the reference checks accepted, so it never reports problems itself.
 */
import { formatHostPort } from './addresses.ts';
import * as defaults from './defaults.ts';
import type { RawConfig } from './schema.ts';
import type {
  BackendConfig,
  ClusterConfig,
  HeaderMatch,
  JunctionConfig,
  ListenerConfig,
  RouteConfig,
} from './types.ts';

type RawRoute = NonNullable<RawConfig['routes']>[number];
type RawCluster = NonNullable<RawConfig['clusters']>[string];
type RawHeaders = NonNullable<NonNullable<RawRoute['match']>['headers']>;

function buildListener(raw: RawConfig['listeners'][number]): ListenerConfig {
  const address = raw.address ?? defaults.DEFAULT_LISTENER_ADDRESS;
  return {
    name: raw.name ?? formatHostPort(address, raw.port),
    address,
    port: raw.port,
    maxConnections: raw.max_connections ?? defaults.DEFAULT_MAX_CONNECTIONS,
  };
}

function buildHeaders(raw: RawHeaders | undefined): HeaderMatch[] {
  return Object.entries(raw ?? {}).map(([name, condition]): HeaderMatch => {
    const lowerName = name.toLowerCase();
    if (condition.regex !== undefined) return { name: lowerName, regex: condition.regex };
    if (condition.exact !== undefined) return { name: lowerName, value: condition.exact };
    return { name: lowerName };
  });
}

function buildRoute(raw: RawRoute, index: number): RouteConfig {
  return {
    name: raw.name ?? `route-${index + 1}`,
    match: {
      hosts: raw.match?.host ?? [],
      path: raw.match?.path,
      methods: raw.match?.method ?? [],
      headers: buildHeaders(raw.match?.headers),
    },
    cluster: raw.cluster,
  };
}

function buildCluster(name: string, raw: RawCluster): ClusterConfig {
  const { kind, ...options } = raw.strategy ?? { kind: defaults.DEFAULT_STRATEGY_KIND };
  return {
    name,
    backends: raw.backends.map((backend): BackendConfig => ({
      id: backend.id ?? formatHostPort(backend.address.host, backend.address.port),
      host: backend.address.host,
      port: backend.address.port,
      weight: backend.weight ?? defaults.DEFAULT_BACKEND_WEIGHT,
    })),
    strategy: { kind, options },
    retryAttempts: raw.retry_attempts ?? defaults.DEFAULT_RETRY_ATTEMPTS,
  };
}

export function buildConfig(raw: RawConfig, source: string): JunctionConfig {
  const { timeouts = {}, limits = {}, forwarded = {} } = raw;
  return {
    source,
    listeners: raw.listeners.map(buildListener),
    routes: (raw.routes ?? []).map(buildRoute),
    clusters: new Map(
      Object.entries(raw.clusters ?? {}).map(([name, cluster]) => [name, buildCluster(name, cluster)]),
    ),
    timeouts: {
      connectMs: timeouts.connect ?? defaults.DEFAULT_CONNECT_TIMEOUT_MS,
      clientHeadMs: timeouts.client_head ?? defaults.DEFAULT_CLIENT_HEAD_TIMEOUT_MS,
      clientIdleMs: timeouts.client_idle ?? defaults.DEFAULT_CLIENT_IDLE_TIMEOUT_MS,
      backendResponseMs: timeouts.backend_response ?? defaults.DEFAULT_BACKEND_RESPONSE_TIMEOUT_MS,
      backendIdleMs: timeouts.backend_idle ?? defaults.DEFAULT_BACKEND_IDLE_TIMEOUT_MS,
      shutdownGraceMs: timeouts.shutdown_grace ?? defaults.DEFAULT_SHUTDOWN_GRACE_MS,
    },
    limits: {
      maxHeadBytes: limits.max_head_size ?? defaults.DEFAULT_MAX_HEAD_BYTES,
      maxHeaderCount: limits.max_header_count ?? defaults.DEFAULT_MAX_HEADER_COUNT,
      maxRequestLineBytes: limits.max_request_line ?? defaults.DEFAULT_MAX_REQUEST_LINE_BYTES,
    },
    forwarded: {
      xForwardedFor: forwarded.x_forwarded_for ?? defaults.DEFAULT_X_FORWARDED_FOR,
      xForwardedProto: forwarded.x_forwarded_proto ?? defaults.DEFAULT_X_FORWARDED_PROTO,
      xForwardedHost: forwarded.x_forwarded_host ?? defaults.DEFAULT_X_FORWARDED_HOST,
    },
  };
}
