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
}

export type HostMatch =
  | { readonly kind: 'exact'; readonly host: string }
  /** `*.example.com` → suffix `.example.com`; matches one or more labels before it. */
  | { readonly kind: 'wildcard'; readonly suffix: string };

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
}

export interface RouteConfig {
  /** Unique name; defaults to `route-N` (N its 1-based position). */
  readonly name: string;
  readonly match: RouteMatch;
  readonly cluster: string;
}

export interface BackendConfig {
  /** Unique within its cluster; defaults to `host:port`. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
}

export interface StrategyConfig {
  /** The strategy plugin's kind, such as `round-robin`. */
  readonly kind: string;
  /** The plugin's own options, validated by the plugin. */
  readonly options: Readonly<Record<string, unknown>>;
}

export interface ClusterConfig {
  readonly name: string;
  readonly backends: readonly BackendConfig[];
  readonly strategy: StrategyConfig;
  /** Connect attempts per request, the first one included (Sōzu: 3). */
  readonly retryAttempts: number;
}

export interface TimeoutsConfig {
  /** One TCP connect to an upstream. */
  readonly connectMs: number;
  /** From a session's first byte (or the previous response's end) to a complete request head. */
  readonly clientHeadMs: number;
  /** Idle keep-alive client connection between requests. */
  readonly clientIdleMs: number;
  /** From the request sent upstream to the upstream's response head, and between body reads. */
  readonly backendResponseMs: number;
  /** Idle pooled upstream connection. */
  readonly backendIdleMs: number;
  /** Graceful shutdown: how long in-flight transactions may take before connections are cut. */
  readonly shutdownGraceMs: number;
}

export interface LimitsConfig {
  readonly maxHeadBytes: number;
  readonly maxHeaderCount: number;
  readonly maxRequestLineBytes: number;
}

export interface ForwardedConfig {
  /** Append the client address to X-Forwarded-For. */
  readonly xForwardedFor: boolean;
  /** Set X-Forwarded-Proto to the listener's scheme. */
  readonly xForwardedProto: boolean;
  /** Set X-Forwarded-Host to the client's Host. */
  readonly xForwardedHost: boolean;
}

export interface JunctionConfig {
  /** The file the config came from, or a description such as `<quick-start>`. */
  readonly source: string;
  readonly listeners: readonly ListenerConfig[];
  readonly routes: readonly RouteConfig[];
  readonly clusters: ReadonlyMap<string, ClusterConfig>;
  readonly timeouts: TimeoutsConfig;
  readonly limits: LimitsConfig;
  readonly forwarded: ForwardedConfig;
}
