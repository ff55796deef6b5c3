import type { JunctionError } from '../errors/index.ts';
import type { Upstream } from '../strategies/index.ts';

/** What a transaction sees of an upstream connection: a byte channel it borrows from the Router. */
export interface UpstreamChannel {
  /** The upstream's `host:port`, for logs. */
  readonly upstreamId: string;
  /** How many requests this connection has carried before the current one (0 = fresh). */
  readonly reuseCount: number;
  /** The connection's handler; set while a transaction owns it. */
  attach(handler: UpstreamHandler): void;
  write(data: Buffer | string, encoding?: BufferEncoding): boolean;
  /** The socket's buffer is over its high-water mark: stop feeding it until onUpstreamDrain. */
  readonly needsDrain: boolean;
  cork(): void;
  uncork(): void;
  pause(): void;
  resume(): void;
  /** Half-closes (FIN after what was written): only tunnels do; the connection is never reused after. */
  end(): void;
  /** Closes at once (a tunnel that ends); the Router's release() still follows and records the outcome. */
  destroy(): void;
  /** Keeps the connection writable after the upstream's FIN, for tunnels that relay half-closes. */
  allowHalfOpen(): void;
  /** Local and remote addresses, for logs and headers. */
  readonly localPort: number;
  /** The local address of the connection (TxnBox's outbound-addr-local); absent where there is none. */
  readonly localAddress?: string | undefined;
  /**
   * The TLS certificate of one end: `remote` the upstream's, `local` the one Junction presented;
   * undefined without TLS or without a certificate.
   */
  certificate?(side: 'local' | 'remote'): CertificateNames | undefined;
}

/** Receives what happens on an upstream connection while a transaction owns it. */
export interface UpstreamHandler {
  onUpstreamData(chunk: Buffer): void;
  /** The upstream half-closed (FIN). */
  onUpstreamEnd(): void;
  /** The connection closed or failed before the handler released it. */
  onUpstreamClose(error: Error | undefined): void;
  onUpstreamDrain(): void;
}

/**
 * The client connection a request or tunnel came on, as a PROXY protocol header describes it: the
 * client's address and the address it connected to (a PROXY header received overrides both).
 */
export interface ClientConnection {
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** A certificate's subject and issuer, as Node gives them (attribute short name → value or values). */
export interface CertificateNames {
  readonly subject?: Readonly<Record<string, string | readonly string[] | undefined>> | undefined;
  readonly issuer?: Readonly<Record<string, string | readonly string[] | undefined>> | undefined;
}

/**
 * One transaction's own settings for its upstream connections (set by hooks or rules): each attempt
 * uses them instead of the cluster's. Absent fields are the cluster's.
 */
export interface LeaseSettings {
  /** A new connection is opened only while the backend has fewer open plus opening ones; 0: no limit. */
  readonly maxConnections?: number | undefined;
  /** The TLS server name sent (SNI) and that the certificate must match; ignored towards plain HTTP. */
  readonly serverName?: string | undefined;
  /** false: present no client certificate, even when the cluster has one. */
  readonly clientCertificate?: false | undefined;
}

/** Receives the result of asking the Router for an upstream connection. */
export interface AcquireHandler {
  onUpstreamReady(channel: UpstreamChannel, lease: Lease): void;
  onAcquireFailed(error: JunctionError): void;
  /**
   * An attempt's upstream is chosen and no connection is made yet (Traffic Server's OS_DNS). True:
   * the handler holds the attempt and calls Router.proceed(lease, …) to go on, at once or later.
   */
  upstreamChosen?(lease: Lease, upstream: Upstream): boolean;
}

/** The Router's record of one borrowed connection: give it back with Router.release(). */
export interface Lease {
  readonly upstreamId: string;
  readonly attempts: number;
}

/**
 * Hears every upstream attempt the Router settles (metrics). Called on the data path: it must not
 * allocate or throw. Labels are the cluster's config name and small fixed sets.
 */
export interface AttemptObserver {
  /**
   * One attempt is over, retried or the request's last: how passive health judged it and its error
   * code (undefined when a response head came).
   */
  attemptEnded(
    cluster: string,
    verdict: 'success' | 'unreached' | 'failure' | 'suspect' | 'neutral',
    errorCode: string | undefined,
  ): void;
  /** A new connection to an upstream of the cluster opened, `ms` after its attempt began. */
  connected(cluster: string, ms: number): void;
  /** The Router starts another attempt after `reason` (a stale pooled connection's replay included). */
  retried(cluster: string, reason: 'stale' | 'reset' | 'timeout' | 'status' | 'connect-failure'): void;
}
