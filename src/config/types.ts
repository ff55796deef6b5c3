import type { HostMatch } from './addresses.ts';
import type { FleetConfig } from './fleet-schema.ts';

export type { FleetConfig } from './fleet-schema.ts';
import type { CacheConfig, RouteCacheConfig } from './cache-types.ts';
import type { PluginConfig } from '../plugins/index.ts';
import type { CompiledRules } from '../rules/index.ts';
import type { StrategyPlugin } from '../strategies/index.ts';
import type { HstsConfig, HttpsRedirectConfig, ListenerTlsConfig } from './tls-types.ts';
import type { InboundProxyConfig, TcpListenerConfig } from './tcp-config.ts';

export type { InboundProxyConfig, SniRoute, TcpListenerConfig, UntrustedPeerPolicy } from './tcp-config.ts';

/**
 * The validated, immutable shape of one loaded configuration (a snapshot's raw material).
 * Every duration is in milliseconds and every size in bytes; names say so.
 */

export interface ListenerConfig {
  /** Unique name; defaults to `address:port`. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Sessions served at once; sockets over it wait in the accept queue. */
  readonly maxConnections: number;
  /** A socket waiting in the accept queue longer than this is closed unanswered. */
  readonly acceptQueueTimeoutMs: number;
  /** Sockets the accept queue holds; past it the newest are dropped. */
  readonly acceptQueueSize: number;
  /** listen(2)'s backlog: connections the kernel holds until Junction accepts them (capped by somaxconn). */
  readonly backlog: number;
  /** Sessions served at once for one client address (429 past it); 0 = no cap. */
  readonly maxConnectionsPerClient: number;
  /** HTTPS: TLS is terminated here; undefined for a plain HTTP listener. */
  readonly tls?: ListenerTlsConfig | undefined;
  /** A plain HTTP listener that answers every request with a redirect to HTTPS. */
  readonly redirectToHttps?: HttpsRedirectConfig | undefined;
  /** Set for `protocol: tcp`: bytes are proxied to a cluster without HTTP parsing. Absent: HTTP. */
  readonly tcp?: TcpListenerConfig | undefined;
  /** Set when connections from trusted peers start with a PROXY protocol header. */
  readonly proxyProtocol?: InboundProxyConfig | undefined;
  /** This listener's access log: its own, off (false), or undefined for the top-level one. */
  readonly accessLog?: AccessLogSetting | undefined;
  /** A client's request ID (when well-formed) is kept instead of replaced. */
  readonly trustRequestId?: boolean | undefined;
  /** A plain listener also serves h2c with prior knowledge (told from HTTP/1.1 by the preface). */
  readonly h2c?: boolean | undefined;
  /** HTTP/2 connections' settings and flood limits; set when the listener speaks HTTP/2 (ALPN h2 or h2c). */
  readonly http2?: Http2ListenerSettings | undefined;
}

/** What an HTTP/2 connection announces (SETTINGS) and what it tolerates from a client. */
export interface Http2ListenerSettings {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams open at once on one connection. */
  readonly maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: a request's fields, decoded (RFC 9113 counts 32 bytes per field more). */
  readonly maxHeaderListSize: number;
  /** SETTINGS_HEADER_TABLE_SIZE: the HPACK table the client may make us keep. */
  readonly headerTableSize: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a stream may send ahead of being read. */
  readonly initialWindowSize: number;
  /** Streams a client may reset per second before the connection is closed (rapid reset); 0: no limit. */
  readonly maxResets: number;
  /** PING and SETTINGS frames a client may send per second before the connection is closed; 0: no limit. */
  readonly maxControlFrames: number;
}

export type {
  ListenerTlsConfig,
  ListenerCertificateConfig,
  HttpsRedirectConfig,
  HstsConfig,
} from './tls-types.ts';

export type { HostMatch };

export type PathMatch =
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'regex'; readonly value: string };

export interface HeaderMatch {
  /** Lower-cased field name. */
  readonly name: string;
  /** Exact value to match; absent means the field only has to be present. */
  readonly value?: string;
  /** A regular expression the value must match (instead of `value`). */
  readonly regex?: string;
}

export interface RouteMatch {
  /** Any of these hosts; empty means any host. */
  readonly hosts: readonly HostMatch[];
  readonly path: PathMatch | undefined;
  /** Upper-case method names; empty means any method. */
  readonly methods: readonly string[];
  /** All of these must match. */
  readonly headers: readonly HeaderMatch[];
  /** Any of these TLS server names (SNI); empty or absent means any connection, TLS or not. */
  readonly sni?: readonly HostMatch[] | undefined;
}

export interface RouteConfig {
  /** Unique name; defaults to `route-N` (N its 1-based position). */
  readonly name: string;
  readonly match: RouteMatch;
  readonly cluster: string;
  /** A strategy that replaces the cluster's own for this route's transactions; undefined keeps it. */
  readonly strategy: StrategyConfig | undefined;
  /** Plugins attached to this route (Traffic Server's remap plugins): their hooks run for its requests. */
  readonly plugins: readonly PluginConfig[];
  /** The largest request body this route accepts (413 past it); undefined uses `limits.maxBodyBytes`. */
  readonly maxBodyBytes: number | undefined;
  /** Protocol upgrades (WebSocket…) this route forwards: all (true), none (false), or these names. */
  readonly upgrade: boolean | readonly string[];
  /** Strict-Transport-Security for this route's responses over HTTPS; undefined adds none. */
  readonly hsts?: HstsConfig | undefined;
  /** This route's access log: its own, off (false), or undefined for the listener's. */
  readonly accessLog?: AccessLogSetting | undefined;
  /** The HTTP cache for this route's responses (src/cache/); undefined: not cached. */
  readonly cache?: RouteCacheConfig | undefined;
}

/** An access log (`access_log`); see docs/observability.md. */
export interface AccessLogConfig {
  /** `stdout`, `stderr`, or an absolute file path. */
  readonly path: string;
  /** `json`, or a template of the rule language's format strings (checked at load time). */
  readonly format: string;
  /** Log only transactions with a status at least this (0: no status filter). */
  readonly minStatus: number;
  /** Log only transactions that ended with an error code (with minStatus: either one). */
  readonly errorsOnly: boolean;
  /** The share of transactions logged (after the filter), 0 to 1. */
  readonly sample: number;
}

/** An access log, or false: none here. */
export type AccessLogSetting = AccessLogConfig | false;

/** `explain`: the ring of recent request heads `junction ctl preview` replays; 0 keeps none. */
export interface ExplainConfig {
  readonly keepRequests: number;
}

/** Trace context and spans (`tracing`); see docs/observability.md. */
export interface TracingConfig {
  /** Start a trace for a request that came without a valid `traceparent` (default true). */
  readonly startTraces: boolean;
  /** Record OpenTelemetry spans through the tracer provider the embedding program registered (default false). */
  readonly openTelemetry: boolean;
}

/** The request ID field (`request_id`). */
export interface RequestIdConfig {
  /** The header name, as written (default `X-Request-ID`). */
  readonly header: string;
}

export interface BackendConfig {
  /** Unique within its cluster; defaults to `host:port`. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** Written `https://host:port`: talk TLS to this backend even if the cluster has no `tls`. */
  readonly tls: boolean;
}

export interface StrategyConfig {
  /**
   * The name clusters, routes and rules use: a key of the top-level `strategies`, or the kind itself
   * for an inline strategy (`strategy: round-robin`).
   */
  readonly name: string;
  /** The strategy plugin's kind, such as `round-robin`. */
  readonly kind: string;
  /** The plugin's own options, validated by the plugin. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** What besides a failed connect (always retried) lets the Router try a request again. */
export interface RetryConfig {
  /** Attempts per request, the first one included (Sōzu: 3). */
  readonly attempts: number;
  /** The upstream closed or reset the connection before a complete response head. */
  readonly onReset: boolean;
  /** The upstream sent no response head within `timeouts.backend_response`. */
  readonly onTimeout: boolean;
  /** Response statuses that are retried (the response is discarded) while attempts remain. */
  readonly onStatuses: ReadonlySet<number>;
  /** Retries may be at most this share of requests (Finagle's and Envoy's retry budgets), ... */
  readonly budgetRatio: number;
  /** ... but this many retries per second are always allowed, so a quiet cluster can still retry. */
  readonly budgetMinPerSecond: number;
  /** Backoff before a retry: full jitter over an exponential range from `backoffBaseMs` to `backoffMaxMs`. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export interface PassiveHealthConfig {
  /** Consecutive upstream-attributable failures that eject a backend; 0 turns this off. */
  readonly consecutiveFailures: number;
  /** A failure share over `windowMs` that ejects a backend (0 turns this off) ... */
  readonly failureRate: number;
  /** ... once the window holds at least this many requests. */
  readonly minRequests: number;
  readonly windowMs: number;
  /** The first ejection's length; it doubles with each ejection in a row, up to `maxEjectionMs`. */
  readonly ejectionMs: number;
  readonly maxEjectionMs: number;
  /**
   * The share of the cluster's backends passive health may hold ejected at once (0 to 1). At least
   * one may be ejected, but never the last backend that neither judge has down, unless the share is 1
   * (no cap at all); 0 turns ejection off.
   */
  readonly maxEjectionRatio: number;
}

export interface ActiveHealthConfig {
  /** The request each check sends: `GET <path>` with `Host: <host>` (default: the backend address). */
  readonly method: string;
  readonly path: string;
  readonly host: string | undefined;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Checks in a row that mark a down backend up, and an up one down. */
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  /** Statuses that count as healthy, as inclusive ranges. */
  readonly expectStatuses: readonly (readonly [number, number])[];
}

export interface HealthConfig {
  readonly passive: PassiveHealthConfig;
  /** Undefined: no active checks. */
  readonly active: ActiveHealthConfig | undefined;
  /**
   * Panic mode (Envoy's healthy panic threshold), 0 to 1: while fewer than this share of the
   * cluster's backends are healthy (neither passive nor active health has them down), health is
   * ignored and strategies pick among all backends not being drained. 0 turns panic mode off.
   */
  readonly panicThreshold: number;
}

export interface PoolConfig {
  /** Idle keep-alive connections kept per backend. */
  readonly maxIdle: number;
  /** Open plus connecting connections per backend; 0 = unlimited. */
  readonly maxTotal: number;
  readonly idleTimeoutMs: number;
  /** A connection that has carried this many requests is closed; 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
}

export interface DnsConfig {
  /** Answers are cached for their TTL, clamped to this range. */
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
}

export interface UpstreamTlsConfig {
  /** Talk TLS to every backend of the cluster (backends written `https://` do regardless). */
  readonly enabled: boolean;
  /** SNI and the name the certificate must match; default the backend's host name. */
  readonly serverName: string | undefined;
  /** PEM CA certificates to trust instead of Node's roots. */
  readonly ca: string | undefined;
  readonly caFile: string | undefined;
  /** Verify the backend's certificate chain and name (on by default). */
  readonly verify: boolean;
  /** A client certificate and key, PEM. */
  readonly cert: string | undefined;
  readonly key: string | undefined;
}

export interface ClusterConfig {
  readonly name: string;
  readonly backends: readonly BackendConfig[];
  readonly strategy: StrategyConfig;
  readonly retry: RetryConfig;
  readonly health: HealthConfig;
  readonly pool: PoolConfig;
  readonly dns: DnsConfig;
  readonly tls: UpstreamTlsConfig;
  /** Send a PROXY protocol header of this version first on every upstream connection; undefined: none. */
  readonly proxyProtocol: 1 | 2 | undefined;
  /** What is spoken to the backends: HTTP/1.1 (the default), HTTP/2 over TLS (`h2`) or in clear (`h2c`). */
  readonly protocol: UpstreamProtocol;
}

/** The HTTP version a cluster's backends are spoken to in; h2 is over TLS (ALPN), h2c in clear text. */
export type UpstreamProtocol = 'http/1.1' | 'h2' | 'h2c';

export interface TimeoutsConfig {
  /** One TCP connect to an upstream. */
  readonly connectMs: number;
  /** From a session's first byte (or the previous response's end) to a complete request head. */
  readonly clientHeadMs: number;
  /** Idle keep-alive client connection between requests. */
  readonly clientIdleMs: number;
  /** From the request sent upstream to the upstream's response head. */
  readonly backendResponseMs: number;
  /** Between two reads of a response body the upstream is sending (the client keeping up). */
  readonly backendBodyMs: number;
  /** Idle pooled upstream connection. */
  readonly backendIdleMs: number;
  /** Between two reads of a request body the client is sending. */
  readonly clientBodyMs: number;
  /** A tunnel (after 101 Switching Protocols) with no byte moving either way is closed after this. */
  readonly tunnelIdleMs: number;
  /** A client connection's whole life: past it, the connection closes after the current response (0: none). */
  readonly maxSessionMs: number;
  /** Graceful shutdown: how long in-flight transactions may take before connections are cut. */
  readonly shutdownGraceMs: number;
}

export interface LimitsConfig {
  readonly maxHeadBytes: number;
  readonly maxHeaderCount: number;
  readonly maxRequestLineBytes: number;
  /** The largest request body, for routes that set none of their own. */
  readonly maxBodyBytes: number;
  /** Bytes of pipelined requests a client may send ahead of the response in progress before Junction stops reading. */
  readonly maxPipelinedBytes: number;
  /** A backend's response head (status line and fields): over it, a 502 (JCT_ERR_HTTP_RESPONSE_HEAD_TOO_LARGE). */
  readonly maxResponseHeadBytes: number;
  /** Header fields in a backend's response head: over it, the same 502. */
  readonly maxResponseHeaderCount: number;
}

export interface ForwardedConfig {
  /** Append the client address to X-Forwarded-For. */
  readonly xForwardedFor: boolean;
  /** Set X-Forwarded-Proto to the listener's scheme. */
  readonly xForwardedProto: boolean;
  /** Set X-Forwarded-Host to the client's Host. */
  readonly xForwardedHost: boolean;
}

/** The admin API's listener (`admin:`); see docs/operations.md. */
export interface AdminConfig {
  readonly address: string;
  readonly port: number;
  /** Requests must carry `Authorization: Bearer <token>`; undefined: no token (loopback only). */
  readonly token: string | undefined;
}

export interface JunctionConfig {
  /** The file the config came from, or a description such as `<quick-start>`. */
  readonly source: string;
  readonly listeners: readonly ListenerConfig[];
  readonly routes: readonly RouteConfig[];
  readonly clusters: ReadonlyMap<string, ClusterConfig>;
  /** Named strategies (the top-level `strategies`), by name. */
  readonly strategies: ReadonlyMap<string, StrategyConfig>;
  /**
   * Strategy plugins loaded from modules the config names, by kind. The built-ins are not listed;
   * the server uses these beside them.
   */
  readonly strategyPlugins: ReadonlyMap<string, StrategyPlugin>;
  /** Global plugins, in the order they are set up. */
  readonly plugins: readonly PluginConfig[];
  /**
   * The rules (top-level and per route), compiled; undefined when there are none. Holds load-time
   * resources (file watchers): whoever loaded the config disposes of it when done with it.
   */
  readonly rules: CompiledRules | undefined;
  readonly timeouts: TimeoutsConfig;
  readonly limits: LimitsConfig;
  readonly forwarded: ForwardedConfig;
  /** The top-level access log; false when there is none (the default). */
  readonly accessLog?: AccessLogSetting | undefined;
  readonly requestId?: RequestIdConfig | undefined;
  /** Trace context; absent means the defaults (traces started, no OpenTelemetry spans). */
  readonly tracing?: TracingConfig | undefined;
  /** The admin API; undefined when the config has no `admin:` section. */
  readonly admin?: AdminConfig | undefined;
  /**
   * Worker processes (`workers`): a count, or `auto` for one per core. Absent means 1: one process,
   * without the cluster module. Read when Junction starts; a reload does not change it.
   */
  readonly workers?: WorkersSetting | undefined;
  /** The HTTP cache's storage (`cache:`); used only when a route caches. */
  readonly cache?: CacheConfig | undefined;
  /** What the process keeps for `junction ctl preview` (`explain:`); absent keeps nothing. */
  readonly explain?: ExplainConfig | undefined;
  /** The fleet this Junction follows (`fleet:`, docs/fleet.md); read at start, a reload does not change it. */
  readonly fleet?: FleetConfig | undefined;
}

/** `workers`: a count of worker processes, or `auto` (os.availableParallelism()). */
export type WorkersSetting = number | 'auto';
