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
  /** `host:port` of the upstream chosen, once there is one (send-request on). */
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
  /** Sends to the backend with this id in the cluster, bypassing the strategy. Until post-remap. */
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
