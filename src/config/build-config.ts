/**
 * Validated file values → the JunctionConfig snapshot material: camelCase names, defaults filled in,
 * derived names (`address:port`, `route-N`, `host:port`) assigned. Runs only on input the schema and
 * the reference checks accepted, so it never reports problems itself.
 */
import { buildFleetConfig } from './fleet-schema.ts';
import { buildCacheConfig, buildRouteCache } from './cache-schema.ts';
import { buildExplainConfig } from './explain-schema.ts';
import { formatHostPort } from './addresses.ts';
import * as defaults from './defaults.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import type { CompiledRules } from '../rules/index.ts';
import type { StrategyPlugin } from '../strategies/index.ts';
import type { LoadedStrategyModule, RawConfig } from './schema.ts';
import { buildHsts, buildHttpsRedirect, buildListenerTls } from './build-tls.ts';
import { DEFAULT_TCP_IDLE_TIMEOUT_MS, buildInboundProxy, buildTcpListener } from './tcp-config.ts';
import type {
  BackendConfig,
  ClusterConfig,
  HeaderMatch,
  HealthConfig,
  JunctionConfig,
  Http2ListenerSettings,
  ListenerConfig,
  RetryConfig,
  RouteConfig,
  StrategyConfig,
  TimeoutsConfig,
} from './types.ts';

type RawRoute = NonNullable<RawConfig['routes']>[number];
type RawCluster = NonNullable<RawConfig['clusters']>[string];
type RawHeaders = NonNullable<NonNullable<RawRoute['match']>['headers']>;
type RawStrategyRef = NonNullable<RawCluster['strategy']>;
type RawNamedStrategy = NonNullable<RawConfig['strategies']>[string];

/** What building needs besides the raw values: the strategy modules the loader imported. */
export interface BuildContext {
  readonly strategyModule: (specifier: string) => LoadedStrategyModule | undefined;
  /** The compiled rules, when the config has any. */
  readonly rules?: CompiledRules | undefined;
}

function buildListener(raw: RawConfig['listeners'][number], tcpIdleMs: number): ListenerConfig {
  const address = raw.address ?? defaults.DEFAULT_LISTENER_ADDRESS;
  return {
    name: raw.name ?? formatHostPort(address, raw.port),
    address,
    port: raw.port,
    maxConnections: raw.max_connections ?? defaults.DEFAULT_MAX_CONNECTIONS,
    acceptQueueTimeoutMs: raw.accept_queue_timeout ?? defaults.DEFAULT_ACCEPT_QUEUE_TIMEOUT_MS,
    acceptQueueSize: raw.accept_queue_size ?? defaults.DEFAULT_ACCEPT_QUEUE_SIZE,
    backlog: raw.backlog ?? defaults.DEFAULT_LISTEN_BACKLOG,
    maxConnectionsPerClient: raw.max_connections_per_client ?? defaults.DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
    ...(raw.tls === undefined ? {} : { tls: buildListenerTls(raw.tls) }),
    ...(raw.redirect_to_https === undefined
      ? {}
      : { redirectToHttps: buildHttpsRedirect(raw.redirect_to_https) }),
    tcp: buildTcpListener(raw, tcpIdleMs),
    proxyProtocol: buildInboundProxy(raw),
    ...(raw.access_log === undefined ? {} : { accessLog: raw.access_log }),
    ...(raw.trust_request_id === undefined ? {} : { trustRequestId: raw.trust_request_id }),
    ...(raw.h2c === true ? { h2c: true } : {}),
    ...(raw.h2c === true || raw.tls?.alpn?.includes('h2') === true
      ? { http2: buildHttp2Settings(raw.http2) }
      : {}),
  };
}

function buildHttp2Settings(raw: RawConfig['listeners'][number]['http2']): Http2ListenerSettings {
  return {
    maxConcurrentStreams: raw?.max_concurrent_streams ?? defaults.DEFAULT_H2_MAX_CONCURRENT_STREAMS,
    maxHeaderListSize: raw?.max_header_list_size ?? defaults.DEFAULT_H2_MAX_HEADER_LIST_SIZE,
    headerTableSize: raw?.header_table_size ?? defaults.DEFAULT_H2_HEADER_TABLE_SIZE,
    initialWindowSize: raw?.initial_window_size ?? defaults.DEFAULT_H2_INITIAL_WINDOW_SIZE,
    maxResets: raw?.max_resets ?? defaults.DEFAULT_H2_MAX_RESETS,
    maxControlFrames: raw?.max_control_frames ?? defaults.DEFAULT_H2_MAX_CONTROL_FRAMES,
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

/** A strategy reference: a named strategy, or an inline kind with its options. */
function resolveStrategy(raw: RawStrategyRef, named: ReadonlyMap<string, StrategyConfig>): StrategyConfig {
  const { kind, ...options } = raw as { kind: string } & Record<string, unknown>;
  return named.get(kind) ?? { name: inlineStrategyName(kind, options), kind, options };
}

/**
 * An inline strategy's name: its kind alone without options (so `strategy: round-robin` on a cluster,
 * a route and a rule is one strategy), else the kind and its options in canonical form, such as
 * `sticky-cookie {"cookie":"S1"}`. Clusters keep one instance per strategy name, so equal inline
 * strategies share it and different ones never do.
 */
export function inlineStrategyName(kind: string, options: Readonly<Record<string, unknown>>): string {
  return Object.keys(options).length === 0 ? kind : `${kind} ${canonicalJson(options)}`;
}

function buildNamedStrategy(
  name: string,
  raw: RawNamedStrategy,
  context: BuildContext,
  plugins: Map<string, StrategyPlugin>,
): StrategyConfig {
  const { kind, module, ...options } = raw as { kind?: string; module?: string } & Record<string, unknown>;
  if (module !== undefined) {
    const loaded = context.strategyModule(module);
    // The schema refused configs whose modules did not load.
    if (loaded?.ok !== true) throw new Error(`strategy module '${module}' was not loaded`);
    plugins.set(loaded.plugin.kind, loaded.plugin);
    return { name, kind: loaded.plugin.kind, options };
  }
  return { name, kind: kind!, options };
}

function buildRoute(raw: RawRoute, index: number, named: ReadonlyMap<string, StrategyConfig>): RouteConfig {
  return {
    name: raw.name ?? `route-${index + 1}`,
    match: {
      hosts: raw.match?.host ?? [],
      path: raw.match?.path,
      methods: raw.match?.method ?? [],
      headers: buildHeaders(raw.match?.headers),
      ...(raw.match?.sni === undefined ? {} : { sni: raw.match.sni }),
    },
    cluster: raw.cluster,
    strategy: raw.strategy === undefined ? undefined : resolveStrategy(raw.strategy, named),
    plugins: raw.plugins ?? [],
    maxBodyBytes: raw.max_body_size,
    upgrade: raw.upgrade ?? true,
    ...(raw.hsts === undefined ? {} : { hsts: buildHsts(raw.hsts) }),
    ...(raw.access_log === undefined ? {} : { accessLog: raw.access_log }),
    ...(raw.cache === undefined ? {} : { cache: buildRouteCache(raw.cache) }),
  };
}

function buildRetry(raw: RawCluster['retry']): RetryConfig {
  const on = new Set<string | number>(raw?.on ?? defaults.DEFAULT_RETRY_ON);
  const statuses = new Set<number>();
  for (const condition of on) {
    if (typeof condition === 'number') statuses.add(condition);
    else if (condition === '5xx') for (let status = 500; status <= 599; status++) statuses.add(status);
  }
  return {
    attempts: raw?.attempts ?? defaults.DEFAULT_RETRY_ATTEMPTS,
    onReset: on.has('reset'),
    onTimeout: on.has('timeout'),
    onStatuses: statuses,
    budgetRatio: raw?.budget?.share ?? defaults.DEFAULT_RETRY_BUDGET_RATIO,
    budgetMinPerSecond: raw?.budget?.min_per_second ?? defaults.DEFAULT_RETRY_BUDGET_MIN_PER_SECOND,
    backoffBaseMs: raw?.backoff?.base ?? defaults.DEFAULT_RETRY_BACKOFF_BASE_MS,
    backoffMaxMs: Math.max(
      raw?.backoff?.max ?? defaults.DEFAULT_RETRY_BACKOFF_MAX_MS,
      raw?.backoff?.base ?? 0,
    ),
  };
}

function buildHealth(raw: RawCluster['health']): HealthConfig {
  const passive = raw?.passive;
  const active = raw?.active;
  const ejectionMs = passive?.ejection ?? defaults.DEFAULT_EJECTION_MS;
  return {
    passive: {
      consecutiveFailures: passive?.consecutive_failures ?? defaults.DEFAULT_CONSECUTIVE_FAILURES,
      failureRate: passive?.failure_rate ?? 0,
      minRequests: passive?.min_requests ?? defaults.DEFAULT_FAILURE_RATE_MIN_REQUESTS,
      windowMs: passive?.window ?? defaults.DEFAULT_FAILURE_RATE_WINDOW_MS,
      ejectionMs,
      maxEjectionMs: Math.max(passive?.max_ejection ?? defaults.DEFAULT_MAX_EJECTION_MS, ejectionMs),
      maxEjectionRatio: passive?.max_ejection_percent ?? defaults.DEFAULT_MAX_EJECTION_RATIO,
    },
    active:
      active === undefined
        ? undefined
        : {
            method: active.method?.toUpperCase() ?? 'GET',
            path: active.path ?? '/',
            host: active.host,
            intervalMs: active.interval ?? defaults.DEFAULT_CHECK_INTERVAL_MS,
            timeoutMs: Math.min(
              active.timeout ?? defaults.DEFAULT_CHECK_TIMEOUT_MS,
              active.interval ?? defaults.DEFAULT_CHECK_INTERVAL_MS,
            ),
            healthyThreshold: active.healthy_threshold ?? defaults.DEFAULT_HEALTHY_THRESHOLD,
            unhealthyThreshold: active.unhealthy_threshold ?? defaults.DEFAULT_UNHEALTHY_THRESHOLD,
            expectStatuses: active.expect ?? defaults.DEFAULT_CHECK_EXPECT,
          },
    panicThreshold: raw?.panic_threshold ?? defaults.DEFAULT_PANIC_THRESHOLD,
  };
}

function buildCluster(
  name: string,
  raw: RawCluster,
  named: ReadonlyMap<string, StrategyConfig>,
  timeouts: TimeoutsConfig,
): ClusterConfig {
  const tls = raw.tls;
  return {
    name,
    backends: raw.backends.map((backend): BackendConfig => ({
      id: backend.id ?? formatHostPort(backend.address.host, backend.address.port),
      host: backend.address.host,
      port: backend.address.port,
      weight: backend.weight ?? defaults.DEFAULT_BACKEND_WEIGHT,
      tls: backend.address.tls,
    })),
    strategy: resolveStrategy(raw.strategy ?? { kind: defaults.DEFAULT_STRATEGY_KIND }, named),
    retry: buildRetry(raw.retry),
    health: buildHealth(raw.health),
    pool: {
      maxIdle: raw.pool?.max_idle ?? defaults.DEFAULT_POOL_MAX_IDLE,
      maxTotal: raw.pool?.max_total ?? defaults.DEFAULT_POOL_MAX_TOTAL,
      idleTimeoutMs: raw.pool?.idle_timeout ?? timeouts.backendIdleMs,
      maxRequestsPerConnection:
        raw.pool?.max_requests_per_connection ?? defaults.DEFAULT_POOL_MAX_REQUESTS_PER_CONNECTION,
    },
    dns: {
      minTtlMs: raw.dns?.min_ttl ?? defaults.DEFAULT_DNS_MIN_TTL_MS,
      maxTtlMs: Math.max(raw.dns?.max_ttl ?? defaults.DEFAULT_DNS_MAX_TTL_MS, raw.dns?.min_ttl ?? 0),
    },
    tls: {
      // protocol h2 is HTTP/2 over TLS: it turns TLS on unless the cluster says otherwise.
      enabled: tls?.enabled ?? (tls !== undefined || raw.protocol === 'h2'),
      serverName: tls?.server_name,
      ca: tls?.ca_file?.pem,
      caFile: tls?.ca_file?.path,
      verify: tls?.verify ?? true,
      cert: tls?.cert_file?.pem,
      key: tls?.key_file?.pem,
    },
    proxyProtocol: raw.proxy_protocol,
    protocol: raw.protocol ?? 'http/1.1',
  };
}

function buildTimeouts(timeouts: NonNullable<RawConfig['timeouts']>): TimeoutsConfig {
  return {
    connectMs: timeouts.connect ?? defaults.DEFAULT_CONNECT_TIMEOUT_MS,
    clientHeadMs: timeouts.client_head ?? defaults.DEFAULT_CLIENT_HEAD_TIMEOUT_MS,
    clientIdleMs: timeouts.client_idle ?? defaults.DEFAULT_CLIENT_IDLE_TIMEOUT_MS,
    backendResponseMs: timeouts.backend_response ?? defaults.DEFAULT_BACKEND_RESPONSE_TIMEOUT_MS,
    backendIdleMs: timeouts.backend_idle ?? defaults.DEFAULT_BACKEND_IDLE_TIMEOUT_MS,
    backendBodyMs: timeouts.backend_body ?? defaults.DEFAULT_BACKEND_BODY_TIMEOUT_MS,
    clientBodyMs: timeouts.client_body ?? defaults.DEFAULT_CLIENT_BODY_TIMEOUT_MS,
    tunnelIdleMs: timeouts.tunnel_idle ?? defaults.DEFAULT_TUNNEL_IDLE_TIMEOUT_MS,
    maxSessionMs: timeouts.max_session ?? defaults.DEFAULT_MAX_SESSION_MS,
    shutdownGraceMs: timeouts.shutdown_grace ?? defaults.DEFAULT_SHUTDOWN_GRACE_MS,
  };
}

export function buildConfig(raw: RawConfig, source: string, context: BuildContext): JunctionConfig {
  const { timeouts: rawTimeouts = {}, limits = {}, forwarded = {} } = raw;
  const strategyPlugins = new Map<string, StrategyPlugin>();
  const strategies = new Map(
    Object.entries(raw.strategies ?? {}).map(([name, strategy]) => [
      name,
      buildNamedStrategy(name, strategy, context, strategyPlugins),
    ]),
  );
  const timeouts = buildTimeouts(rawTimeouts);
  const plugins = raw.plugins ?? [];
  for (const plugin of [...plugins, ...(raw.routes ?? []).flatMap((r) => r.plugins ?? [])]) {
    for (const strategy of plugin.definition.strategies ?? []) strategyPlugins.set(strategy.kind, strategy);
  }
  return {
    source,
    listeners: raw.listeners.map((listener) =>
      buildListener(listener, rawTimeouts.tcp_idle ?? DEFAULT_TCP_IDLE_TIMEOUT_MS),
    ),
    routes: (raw.routes ?? []).map((route, index) => buildRoute(route, index, strategies)),
    clusters: new Map(
      Object.entries(raw.clusters ?? {}).map(([name, cluster]) => [
        name,
        buildCluster(name, cluster, strategies, timeouts),
      ]),
    ),
    strategies,
    strategyPlugins,
    plugins,
    rules: context.rules,
    timeouts,
    limits: {
      maxHeadBytes: limits.max_head_size ?? defaults.DEFAULT_MAX_HEAD_BYTES,
      maxHeaderCount: limits.max_header_count ?? defaults.DEFAULT_MAX_HEADER_COUNT,
      maxRequestLineBytes: limits.max_request_line ?? defaults.DEFAULT_MAX_REQUEST_LINE_BYTES,
      maxBodyBytes: limits.max_body_size ?? defaults.DEFAULT_MAX_BODY_BYTES,
      maxPipelinedBytes: limits.max_pipelined_size ?? defaults.DEFAULT_MAX_PIPELINED_BYTES,
      maxResponseHeadBytes: limits.max_response_head_size ?? defaults.DEFAULT_MAX_RESPONSE_HEAD_BYTES,
      maxResponseHeaderCount: limits.max_response_header_count ?? defaults.DEFAULT_MAX_RESPONSE_HEADER_COUNT,
    },
    forwarded: {
      xForwardedFor: forwarded.x_forwarded_for ?? defaults.DEFAULT_X_FORWARDED_FOR,
      xForwardedProto: forwarded.x_forwarded_proto ?? defaults.DEFAULT_X_FORWARDED_PROTO,
      xForwardedHost: forwarded.x_forwarded_host ?? defaults.DEFAULT_X_FORWARDED_HOST,
    },
    accessLog: raw.access_log ?? false,
    requestId: { header: raw.request_id?.header ?? defaults.DEFAULT_REQUEST_ID_HEADER },
    tracing: {
      startTraces: raw.tracing?.start_traces ?? defaults.DEFAULT_START_TRACES,
      openTelemetry: raw.tracing?.opentelemetry ?? false,
    },
    workers: raw.workers ?? defaults.DEFAULT_WORKERS,
    ...(raw.cache === undefined ? {} : { cache: buildCacheConfig(raw.cache) }),
    ...(raw.explain === undefined ? {} : { explain: buildExplainConfig(raw.explain) }),
    ...(raw.fleet === undefined ? {} : { fleet: buildFleetConfig(raw.fleet) }),
    admin:
      raw.admin === undefined
        ? undefined
        : {
            address: raw.admin.address ?? defaults.DEFAULT_ADMIN_ADDRESS,
            port: raw.admin.port,
            token: raw.admin.token ?? raw.admin.token_file,
          },
  };
}
