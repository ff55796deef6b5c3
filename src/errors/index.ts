/**
 * errors: the typed error classes and their stable codes (codes.ts is the one registry).
 * Expected outcomes on the hot path are values that carry one of these; exceptions are for bugs and
 * load-time failures. Match on `code` across module boundaries; `instanceof` is a convenience.
 * Does not: log, or decide retries (router/ reads `retryable`).
 */
import { ERROR_CODES, type ErrorCode } from './codes.ts';

export { ERROR_CODES, upstreamBlame, type ErrorCode, type UpstreamBlame } from './codes.ts';

export type ErrorSource = 'client' | 'upstream' | 'internal' | 'config';

export abstract class JunctionError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly source: ErrorSource;
  /** Whether the Router may try another upstream after this error. */
  readonly retryable: boolean = false;
  /** The HTTP status Junction answers with when this error ends a transaction. */
  get status(): number | undefined {
    return ERROR_CODES[this.code].status;
  }
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Where in a config file a value sits. Lines and columns are 1-based. */
export interface ConfigLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The dotted key path, such as `clusters.api.backends[0].port`. */
  readonly keyPath: string;
}

export class ConfigError extends JunctionError {
  readonly code: ErrorCode;
  readonly source = 'config' as const;
  readonly at: ConfigLocation | undefined;
  readonly problem: string;
  constructor(
    problem: string,
    at: ConfigLocation | undefined,
    code: ErrorCode = 'JCT_ERR_CONFIG_INVALID',
    options?: { cause?: unknown },
  ) {
    super(at ? `${at.file}:${at.line}:${at.column}: ${problem}` : problem, options);
    this.code = code;
    this.at = at;
    this.problem = problem;
  }
}

/** Every problem found in one config, so `junction check` can list them all at once. */
export class ConfigErrors extends Error {
  readonly code = 'JCT_ERR_CONFIG_INVALID' as const;
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ConfigErrors';
    this.errors = errors;
  }
}

export type HttpParseCode =
  | 'JCT_ERR_HTTP_BAD_REQUEST'
  | 'JCT_ERR_HTTP_HEAD_TOO_LARGE'
  | 'JCT_ERR_HTTP_URI_TOO_LONG'
  | 'JCT_ERR_HTTP_BAD_FRAMING'
  | 'JCT_ERR_HTTP_UNSUPPORTED_TRANSFER_CODING'
  | 'JCT_ERR_HTTP_BAD_VERSION'
  | 'JCT_ERR_HTTP_BAD_RESPONSE'
  | 'JCT_ERR_HTTP_RESPONSE_HEAD_TOO_LARGE';

/** A message Junction cannot parse. Returned as a value by the codec, never thrown at network bytes. */
export class HttpParseError extends JunctionError {
  readonly code: HttpParseCode;
  readonly source: ErrorSource;
  constructor(code: HttpParseCode, message: string, source: ErrorSource = 'client') {
    super(message);
    this.code = code;
    this.source = source;
  }
}

export type ConnectErrorCode =
  | 'JCT_ERR_CONNECT_TIMEOUT'
  | 'JCT_ERR_CONNECT_REFUSED'
  | 'JCT_ERR_CONNECT_UNREACHABLE'
  | 'JCT_ERR_CONNECT_UNRESOLVABLE'
  | 'JCT_ERR_CONNECT_FAILED'
  | 'JCT_ERR_TLS_HANDSHAKE'
  | 'JCT_ERR_POOL_EXHAUSTED';

/**
 * One failed connect attempt. Nothing was sent, so the Router may always try elsewhere. That includes
 * a full pool (`JCT_ERR_POOL_EXHAUSTED`): another upstream may have room.
 */
export class ConnectError extends JunctionError {
  readonly code: ConnectErrorCode;
  readonly source = 'upstream' as const;
  readonly upstream: string;
  constructor(code: ConnectErrorCode, upstream: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.upstream = upstream;
  }
  override readonly retryable: boolean = true;
}

export type UpstreamErrorCode =
  'JCT_ERR_UPSTREAM_RESET' | 'JCT_ERR_UPSTREAM_TIMEOUT' | 'JCT_ERR_HTTP_BAD_RESPONSE';

/** The upstream failed after a connection was established. */
export class UpstreamError extends JunctionError {
  readonly code: UpstreamErrorCode;
  readonly source = 'upstream' as const;
  readonly upstream: string;
  constructor(code: UpstreamErrorCode, upstream: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.upstream = upstream;
  }
}

export type RouteErrorCode = 'JCT_ERR_ROUTE_NOT_FOUND' | 'JCT_ERR_NO_UPSTREAM';

export class RouteError extends JunctionError {
  readonly code: RouteErrorCode;
  readonly source = 'internal' as const;
  constructor(code: RouteErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export type ConnectionErrorCode =
  'JCT_ERR_PROXY_HEADER_INVALID' | 'JCT_ERR_PROXY_PEER_UNTRUSTED' | 'JCT_ERR_TLS_CLIENT_HELLO_INVALID';

/**
 * A client connection refused before any protocol was spoken over it (its PROXY header, its peer
 * address, its ClientHello): it is closed without an answer.
 */
export class ConnectionError extends JunctionError {
  readonly code: ConnectionErrorCode;
  readonly source = 'client' as const;
  constructor(code: ConnectionErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * A hook asked its transaction for something that does not exist (a route, cluster or backend name):
 * thrown into the hook, so the transaction fails with a 500 like any hook that throws.
 */
export class HookError extends JunctionError {
  readonly code = 'JCT_ERR_HOOK_FAILED' as const;
  readonly source = 'config' as const;
}

/** A plugin failed to set up or to run a load-time hook: the config it came with is not served. */
export class PluginError extends JunctionError {
  readonly code = 'JCT_ERR_PLUGIN_INVALID' as const;
  readonly source = 'config' as const;
  /** The plugin instance's name. */
  readonly plugin: string;
  constructor(plugin: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.plugin = plugin;
  }
}

/**
 * A listener certificate that cannot be used: unreadable, not PEM, a key that does not match, or a
 * change to a listener's certificates that would leave it unable to serve. Thrown by the runtime
 * certificate API; whatever was serving before keeps serving.
 */
export class TlsCertificateError extends JunctionError {
  readonly code = 'JCT_ERR_TLS_CERTIFICATE' as const;
  readonly source = 'config' as const;
}

/** A validated config that could not be applied: the running config keeps serving. */
export class ReloadError extends JunctionError {
  readonly code = 'JCT_ERR_RELOAD_FAILED' as const;
  readonly source = 'config' as const;
}

export type WorkerErrorCode = 'JCT_ERR_WORKER_TIMEOUT' | 'JCT_ERR_WORKER_GONE' | 'JCT_ERR_WORKER_FAILED';

/**
 * A request between the primary and a worker process (`workers` > 1) that got no answer, or whose
 * handler failed on the other side. `remoteCode` is the failing side's own code, when it had one.
 */
export class WorkerError extends JunctionError {
  readonly code: WorkerErrorCode;
  readonly source = 'internal' as const;
  /** The worker the request went to (cluster's worker id), when the primary asked. */
  readonly worker: number | undefined;
  readonly remoteCode: string | undefined;
  constructor(
    code: WorkerErrorCode,
    message: string,
    details: { worker?: number | undefined; remoteCode?: string | undefined } = {},
  ) {
    super(message);
    this.code = code;
    this.worker = details.worker;
    this.remoteCode = details.remoteCode;
  }
}

export type AdminErrorCode =
  | 'JCT_ERR_ADMIN_UNAUTHORIZED'
  | 'JCT_ERR_ADMIN_NOT_FOUND'
  | 'JCT_ERR_ADMIN_BAD_REQUEST'
  | 'JCT_ERR_ADMIN_RELOAD_GUARD';

/** An admin API request refused; its status is the answer's. */
export class AdminError extends JunctionError {
  readonly code: AdminErrorCode;
  readonly source = 'client' as const;
  /** Problems with the submitted change, each naming its JSON field path. */
  readonly problems: readonly { readonly field: string; readonly message: string }[];
  /** More the answer's `error` object carries (a refused guarded reload's preview), as plain data. */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(
    code: AdminErrorCode,
    message: string,
    problems: readonly { readonly field: string; readonly message: string }[] = [],
    details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.code = code;
    this.problems = problems;
    this.details = details;
  }
}

export type FleetErrorCode = 'JCT_ERR_FLEET_UNAVAILABLE' | 'JCT_ERR_FLEET_CONFLICT';

/** A fleet operation against etcd that failed: etcd unreachable or refusing, or a lost compare-and-swap. */
export class FleetError extends JunctionError {
  readonly code: FleetErrorCode;
  readonly source = 'config' as const;
  constructor(code: FleetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
