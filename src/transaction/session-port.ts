import type { AccessLogSetting } from '../config/types.ts';
import type { ErrorCode } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { TxnCertificate, TxnClientCertificate } from '../hooks/index.ts';
import type { Tunnel } from '../tunnel/index.ts';
import type { FrameSink } from './framed-writer.ts';

/** Reasons a session stops reading from its client; reading resumes when none is left. */
export const PAUSE_WAIT_UPSTREAM = 1;
export const PAUSE_UPSTREAM_FULL = 2;
export const PAUSE_PIPELINE_FULL = 4;

/**
 * What a transaction may do with the client side of its session: the seam between one client stream
 * and the transaction that serves it. The session owns the connection (an HTTP/1.1 socket today);
 * the transaction borrows these operations for one request/response and never touches the socket,
 * its parser, its keep-alive loop or its deadline sweep. What a transaction writes here is the
 * response as bytes: the HTTP/1.1 session passes them on as they are.
 */
export interface SessionPort {
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Transactions finished on this connection so far. */
  readonly requests: number;
  readonly scheme: 'http' | 'https';
  /** What the TLS handshake settled; null on plain HTTP connections. */
  readonly tls: SessionTls | null;
  /** The session is shutting down: the current response is its last. */
  readonly draining: boolean;
  readonly log: Logger;
  /** The listener the connection came in on, as the access log and request IDs need it. */
  readonly listener: SessionListener;
  /** Bytes read from the client socket so far. */
  readonly bytesRead: number;
  /** bytesRead when the previous transaction ended (0 before the first): where this one's count starts. */
  readonly readMark: number;
  writeClient(data: string | Buffer, encoding?: BufferEncoding): boolean;
  /** The client stream the framed writer writes body bytes to (the same stream writeClient writes to). */
  readonly clientStream: FrameSink;
  /** Bytes written to the client socket so far, those still buffered included (hooks' responseBytes). */
  readonly bytesWritten: number;
  /** The client socket's buffer is over its high-water mark. */
  readonly clientNeedsDrain: boolean;
  corkClient(): void;
  uncorkClient(): void;
  pauseClient(reason: number): void;
  resumeClient(reason: number): void;
  /** Bytes that arrived after this request's body: the next pipelined request. */
  stashPipelined(buf: Buffer, start: number): void;
  /** Arms the session's deadline `ms` from now (0 disarms it). */
  setDeadline(ms: number): void;
  /** The response is complete and written; `keepAlive` says whether the session may read another request. */
  onTransactionDone(keepAlive: boolean): void;
  /** The response cannot be completed: cut the client connection without further bytes. */
  abortClient(): void;
  /**
   * The upstream switched protocols (the 101 head is written): from now on the client connection's
   * bytes, FIN, drain, close and deadline go to `tunnel`, starting with what the client sent ahead.
   * The transaction calls onTransactionDone(false) when the tunnel is over.
   */
  startTunnel(tunnel: Tunnel): void;
  /** The access log's protocol when it is not the request head's HTTP/1.x (`HTTP/2.0`). */
  readonly protocol?: string;
  /**
   * Junction's own answer (a failure's, a hook's) is what is written next: an HTTP/2 stream turns it
   * into gRPC's trailers-only form for a gRPC request. The HTTP/1.1 session has no use for it.
   */
  ownAnswer?(code: ErrorCode | undefined): void;
}

/** What a session knows of its listener. */
export interface SessionListener {
  readonly name: string;
  /** The listener's `access_log`; undefined: the top-level one. */
  readonly accessLog: AccessLogSetting | undefined;
  /** Keep a client's well-formed request ID (`trust_request_id`). */
  readonly trustRequestId: boolean;
}

/** The TLS facts of an HTTPS session that transactions use. */
export interface SessionTls {
  /** The TLS version settled (`TLSv1.3`). */
  readonly protocol: string;
  /** The server name the client sent (SNI), lower-case; '' when it sent none. */
  readonly serverName: string;
  /** Strict SNI binding: `host` (lower-case, no port) is not a name of this connection's certificate (421). */
  isMisdirected(host: string): boolean;
  /** The client's certificate (mutual TLS); undefined when the listener did not ask or none came. */
  readonly clientCertificate?: TxnClientCertificate | undefined;
  /** Whether the listener asks clients for a certificate (`client_certificates`). */
  readonly asksClientCertificate?: boolean;
  /** The subject and issuer of the certificate the connection was served with. */
  readonly localCertificate?: TxnCertificate | undefined;
}
