import type { Logger } from '../log/index.ts';
import type { TunnelReport } from '../tunnel/index.ts';
import type { RequestTransformFactory, ResponseTransformFactory } from '../transforms/index.ts';
import type { TxnHookName } from './hook-names.ts';

/**
 * A message's header fields, read and changed in place. Names are matched case-insensitively and
 * kept as written. Content-Length and Transfer-Encoding belong to Junction (it frames every hop
 * itself), so changing them throws.
 */
export interface HeaderFields {
  /** The first value of the field, or undefined. */
  get(name: string): string | undefined;
  /** Every value of the field, in order. */
  getAll(name: string): string[];
  has(name: string): boolean;
  /** Replaces every value of the field with one. */
  set(name: string, value: string): void;
  /** Adds a value after the existing ones. */
  append(name: string, value: string): void;
  /** Removes every value of the field; returns whether there was one. */
  delete(name: string): boolean;
  /** `[name, value]` pairs in order. */
  entries(): [string, string][];
}

/** The client's request as it will be forwarded: changes made before `send-request` go upstream. */
export interface RequestView {
  readonly method: string;
  /** Lower-cased host without port (from the target or Host). */
  readonly host: string;
  readonly port: string;
  /** The path, without the query. */
  readonly path: string;
  /** The query including its leading `?`, or ''. */
  readonly query: string;
  readonly versionMinor: 0 | 1;
  readonly headers: HeaderFields;
  /** Rewrites the path (it must start with `/`). Before routing, routing sees the new path. */
  setPath(path: string): void;
  /** Rewrites the query (`''`, or starting with `?`). */
  setQuery(query: string): void;
  /** Rewrites the host (the Host field follows). Before routing, routing sees the new host. */
  setHost(host: string, port?: string): void;
}

/** A response head: the upstream's (read-response) or the one going to the client (send-response). */
export interface ResponseView {
  readonly status: number;
  readonly reason: string;
  readonly headers: HeaderFields;
  /** Changes the status (and the reason, by default the standard one). */
  setStatus(status: number, reason?: string): void;
}

/** A response Junction makes itself, without an upstream. */
export interface LocalResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/** The client connection a transaction arrived on. */
export interface TxnSession {
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** `http` or `https`. */
  readonly scheme: string;
  /** The TLS server name the client asked for; '' without TLS. */
  readonly sni: string;
  /** `http/1.1` or `http/1.0`. */
  readonly protocol: string;
  /** Transactions on this connection so far, this one included. */
  readonly transactions: number;
  /**
   * The client's TLS certificate (mutual TLS, `tls.client_certificates`): undefined without TLS, when
   * the listener does not ask for one, or when the client sent none.
   */
  readonly clientCertificate?: TxnClientCertificate | undefined;
  /** The certificate the listener served this connection (its subject and issuer); undefined without TLS. */
  readonly localCertificate?: TxnCertificate | undefined;
}

/** A client's TLS certificate, as the listener received it. */
export interface TxnClientCertificate extends TxnCertificate {
  /**
   * Whether it chains to the listener's `ca_file`. Under `verify: required` and `optional` it always
   * does (a certificate that does not is refused); under `optional_no_ca` it may not.
   */
  readonly verified: boolean;
  /** Why it did not verify, as OpenSSL names it (`CERT_HAS_EXPIRED`, …); '' when it verified. */
  readonly verifyError: string;
  /** Upper-case hex. */
  readonly serialNumber: string;
  /** ISO 8601. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex. */
  readonly fingerprint256: string;
  /** `DNS:a.example, URI:spiffe://…`; '' without a subjectAltName. */
  readonly subjectAltName: string;
  /** The subject on one line, `CN=alice, O=Example`: what the access log writes. */
  readonly subjectLine: string;
}

/** Timeouts a hook may change for its transaction, in ms. */
export interface TxnTimeouts {
  /** One connect attempt to an upstream (`timeouts.connect`). */
  readonly connectMs: number;
  /** The upstream's response head once the request was sent (`timeouts.backend_response`). */
  readonly backendResponseMs: number;
  /**
   * Each read of the upstream's response body (`timeouts.backend_body`); settable up to read-response,
   * so a hook that sees a streaming response (server-sent events) can lengthen it.
   */
  readonly backendBodyMs: number;
}

/**
 * A transaction's own settings for its connections to the upstream, instead of its cluster's (TxnBox's
 * `txn-conf` of Traffic Server's per-server connection limit and SNI policy). Absent: the cluster's.
 */
export interface TxnUpstreamSettings {
  /**
   * This transaction opens a new connection only while the backend has fewer than this many open or
   * opening (its pool's `max_total` for this transaction); 0: no limit.
   */
  readonly maxConnections?: number | undefined;
  /** The TLS server name sent (SNI) and that the backend's certificate must match; moot without TLS. */
  readonly serverName?: string | undefined;
  /**
   * false: the upstream connection presents no client certificate, even when the cluster has one
   * (`tls.cert_file`); moot without TLS.
   */
  readonly clientCertificate?: false | undefined;
}

/** A certificate's subject and issuer: attribute short name (`CN`, `O`, …) → value, or values when repeated. */
export interface TxnCertificate {
  readonly subject?: Readonly<Record<string, string | readonly string[] | undefined>> | undefined;
  readonly issuer?: Readonly<Record<string, string | readonly string[] | undefined>> | undefined;
}

/**
 * What the cache's lookup found (Traffic Server's TSCacheLookupResult): `hit-fresh` answers from the
 * cache, `hit-stale` revalidates, `miss` goes to the backend, `skipped`: the cache was not looked in
 * (a route that does not cache, a method or request it does not serve, caching turned off).
 */
export type CacheLookupStatus = 'miss' | 'hit-fresh' | 'hit-stale' | 'skipped';

/** The cache's outcome for the transaction, as the access log's `cache` field says it. */
export type CacheOutcome = 'hit' | 'miss' | 'stale' | 'revalidated' | 'bypass';

/** One stored alternate of the key (a Vary variant), as select-alternate hooks see it. */
export interface CacheAlternate {
  readonly status: number;
  /** The stored response's fields (read-only: changing them throws). */
  readonly headers: HeaderFields;
  /** The stored response's Vary field ('' without). */
  readonly vary: string;
  /** Whether the request's Vary'd fields match the ones it was stored for (RFC 9111 §4.1). */
  readonly matches: boolean;
  /**
   * How good a choice it is (Traffic Server's alternate quality): 1 when it matches, else 0. The
   * alternate with the highest score above 0 is chosen (the first on a tie); none above 0 is a miss.
   */
  score: number;
}

/**
 * The cache's side of a transaction (on servers where some route caches): its key, whether it uses
 * the cache, and what the lookup found. See docs/plugins.md for when each may be read and changed.
 */
export interface TxnCache {
  /** The key: `scheme://host[:port]/path?query` of the request as it is now, or the one set. */
  readonly key: string;
  /** Sets the key (any text of 1 to 8192 characters, no line breaks). Until post-remap. */
  setKey(key: string): void;
  /** Whether the transaction uses the cache: its route's `cache:`, unless set. */
  readonly enabled: boolean;
  /** Turns the cache on (the route's settings, or the defaults) or off for this transaction. Until post-remap. */
  setEnabled(on: boolean): void;
  /** What the lookup found, from cache-lookup-complete on (undefined before). */
  readonly lookupStatus: CacheLookupStatus | undefined;
  /**
   * In cache-lookup-complete: `hit-fresh` may become `hit-stale` (revalidated with the backend first)
   * or `miss` (fetched whole, and stored again); `hit-stale` may become `miss`. Anything else throws.
   */
  setLookupStatus(status: 'hit-stale' | 'miss'): void;
  /** The stored response head the lookup found, from read-cache-header on (read-only); undefined on a miss. */
  readonly cachedResponse: ResponseView | undefined;
  /** In select-alternate: the key's stored alternates; undefined elsewhere. */
  readonly alternates: readonly CacheAlternate[] | undefined;
  /** The outcome once decided (a hit at the lookup, the others at the backend's answer). */
  readonly outcome: CacheOutcome | undefined;
}

export type TxnHook = (txn: TxnContext) => void | PromiseLike<void>;

/**
 * What a hook sees and may do for one transaction. Which operations make sense depends on the hook:
 * an operation called where it no longer can take effect throws, and the transaction ends with a 500
 * (see docs/plugins.md for the table).
 */
export interface TxnContext {
  /** The hook running now. */
  readonly hook: TxnHookName;
  readonly request: RequestView;
  /**
   * The upstream's response head (read-response) or the client's (send-response); undefined before.
   * In txn-close, the head that was sent to the client (a backend's, a hook's or Junction's own),
   * whichever hooks ran before; if the client left first, the last one hooks saw, or undefined.
   */
  readonly response: ResponseView | undefined;
  /**
   * The upstream's response head, from read-response on (the same view as `response` while that is
   * the one going to the client); undefined when no upstream answered with a valid head. In txn-close
   * it stays the upstream's even when the client got another answer (a hook's `respond()`, a 502).
   */
  readonly upstreamResponse: ResponseView | undefined;
  /**
   * Bytes written to the client for this transaction so far, head and framing included: in txn-close,
   * the whole response as sent (after a tunnel, with what the tunnel relayed to the client).
   */
  readonly responseBytes: number;
  readonly clientAddress: string;
  /** The client connection: addresses, ports, scheme, SNI, protocol, transactions so far. */
  readonly session: TxnSession;
  /** `host:port` of the upstream chosen, once there is one (os-dns on). */
  readonly upstream: string | undefined;
  /** The route and cluster chosen (after remap), or set by a hook. */
  readonly route: string | undefined;
  readonly cluster: string | undefined;
  /** Milliseconds since the transaction started. */
  readonly elapsedMs: number;
  /**
   * State the rule engine keeps for this transaction (its RuleContext). A plain slot instead of a
   * WeakMap keyed by the transaction: ephemeron tables make every minor GC slower under load.
   */
  ruleState: unknown;
  /** Per-transaction variables, shared by every hook and the rules of this transaction. */
  readonly vars: Map<string, unknown>;
  readonly timeouts: TxnTimeouts;
  readonly log: Logger;
  /**
   * How the tunnel went, in txn-close hooks of a transaction whose upstream switched protocols (a
   * WebSocket): its duration, bytes each way, who ended it and why. Undefined otherwise.
   */
  readonly tunnel?: TunnelReport | undefined;

  /** The transaction's own upstream connection settings (empty unless a hook set one). */
  readonly upstreamSettings?: TxnUpstreamSettings;
  /** Sets some of them (the others stay). Until post-remap: the backend is asked for right after. */
  setUpstreamSettings?(settings: TxnUpstreamSettings): void;
  /** The local address of the connection to the upstream, once there is one (send-request on). */
  readonly upstreamLocalAddress?: string | undefined;
  /**
   * A certificate of the TLS connection to the upstream (send-request on): `remote` the backend's,
   * `local` the client certificate Junction presented. Subject and issuer by attribute short name
   * (`CN`, `O`, `C`, …). Undefined without TLS or without that certificate.
   */
  upstreamCertificate?(side: 'local' | 'remote'): TxnCertificate | undefined;

  /** The cache's side of this transaction; undefined on a server where no route caches. */
  readonly cache?: TxnCache | undefined;

  /** Changes one of this transaction's timeouts. Until send-request. */
  setTimeout(name: keyof TxnTimeouts, ms: number): void;

  /** Answers the client directly; no upstream is asked (or its response is discarded). Until send-response. */
  respond(response: LocalResponse): void;
  /** Answers with a redirect to `location` (301, 302, 303, 307 or 308; default 302). */
  redirect(location: string, status?: number): void;
  /** Routes to the named route (and its cluster and hooks). Until pre-remap. */
  setRoute(name: string): void;
  /** Sends to the named cluster. Until post-remap. */
  setCluster(name: string): void;
  /** Picks the upstream with this strategy (a name from `strategies`, or a kind). Until post-remap. */
  setStrategy(name: string): void;
  /**
   * Sends to the backend with this id in the cluster, bypassing the strategy. Until post-remap; in
   * os-dns, the backend this attempt connects to instead of the one chosen.
   */
  setUpstream(id: string): void;
  /** Adds a hook for a later point of this transaction only. */
  addHook(name: TxnHookName, hook: TxnHook): void;
  /**
   * Streams the response body through a transform (such as compressResponse() or replaceText()).
   * The factory is asked once the response head is final; when it returns a transform, the body is
   * re-framed (chunked for HTTP/1.1 clients, close-delimited for HTTP/1.0). Until send-response.
   */
  transformResponse(factory: ResponseTransformFactory): void;
  /** Streams the request body through a transform; the upstream gets it chunked. Until send-request. */
  transformRequest(factory: RequestTransformFactory): void;
}
