/**
 * One HTTP/2 client connection: a socket that passed the accept path (limits, PROXY header, TLS with
 * ALPN h2, or the h2c preface) handed to a node:http2 server session, whose streams each run a
 * Transaction through an Http2StreamPort. Owns the session's deadlines (the first request, idle,
 * and each stream's, fired from the server's sweep), graceful drain (GOAWAY, streams finish), and
 * the flood limits nghttp2 leaves to the application: client resets per second (rapid reset,
 * CVE-2023-44487) and PING/SETTINGS per second, both answered with GOAWAY ENHANCE_YOUR_CALM.
 */
import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { parseRequestHead } from '../codec/index.ts';
import type { RequestHead } from '../codec/types.ts';
import { newRequestId } from '../access-log/index.ts';
import { DEFAULT_REQUEST_ID_HEADER } from '../config/defaults.ts';
import type { Http2ListenerSettings, HttpsRedirectConfig } from '../config/types.ts';
import type { ErrorCode } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { ClientPeer, ServedSession, SessionActivity, SessionHost } from '../session/index.ts';
import { redirectToHttps } from '../session/https-redirect.ts';
import { assignRequestId, logTransactionEnd } from '../transaction/access-entry.ts';
import { plainTextAnswer } from '../transaction/local-answers.ts';
import type { SessionListener, SessionTls } from '../transaction/session-port.ts';
import type { RuntimeSnapshot } from '../transaction/snapshot.ts';
import { Transaction } from '../transaction/transaction.ts';
import { isGrpcContentType, parseGrpcTimeout } from './grpc-status.ts';
import { translateRequestFields } from './request-fields.ts';
import { sessionFactoryFor } from './session-factory.ts';
import { Http2StreamPort, type StreamConnection } from './stream-port.ts';

/** What a connection takes from its listener besides the socket. */
export interface Http2ConnectionOptions {
  readonly tls: SessionTls | null;
  readonly peer: ClientPeer | undefined;
  readonly listener: SessionListener;
  readonly redirectToHttps: HttpsRedirectConfig | undefined;
  readonly settings: Http2ListenerSettings;
}

/** `open`: serving streams; `closing`: GOAWAY sent, streams finishing; `closed`: the session is gone. */
type ConnectionState = 'open' | 'closing' | 'closed';

const NO_UPSTREAM = {
  route: undefined,
  cluster: undefined,
  upstream: undefined,
  upstreamHeadAt: 0,
  attempts: 0,
  tunnel: undefined,
} as const;

export class Http2Connection implements ServedSession, StreamConnection {
  readonly socket: Socket;
  readonly session: ServerHttp2Session;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly socketAddress: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly scheme: 'http' | 'https';
  readonly tls: SessionTls | null;
  readonly log: Logger;
  readonly listener: SessionListener;
  readonly openedAt: number;
  readonly #host: SessionHost;
  readonly #settings: Http2ListenerSettings;
  readonly #redirect: HttpsRedirectConfig | undefined;
  readonly #streams = new Map<ServerHttp2Stream, Http2StreamPort>();
  #state: ConnectionState = 'open';
  #draining = false;
  /** The connection's own deadline (first request, idle, closing), apart from its streams'. */
  #ownDeadlineAt = 0;
  #resetWindowAt = 0;
  #resets = 0;
  #controlWindowAt = 0;
  #controlFrames = 0;
  deadlineAt = 0;
  overdueSince = 0;
  requests = 0;

  constructor(socket: Socket, host: SessionHost, options: Http2ConnectionOptions) {
    this.socket = socket;
    this.#host = host;
    this.#settings = options.settings;
    this.#redirect = options.redirectToHttps;
    this.tls = options.tls;
    this.scheme = options.tls === null ? 'http' : 'https';
    this.listener = options.listener;
    this.log = host.log;
    this.socketAddress = socket.remoteAddress ?? '';
    const peer = options.peer;
    this.clientAddress = peer?.address ?? this.socketAddress;
    this.clientPort = peer?.port ?? socket.remotePort ?? 0;
    this.localAddress = peer?.localAddress ?? socket.localAddress ?? '';
    this.localPort = peer?.localPort ?? socket.localPort ?? 0;
    this.openedAt = host.clock.now();
    // The TLS step hands a socket over once its handshake is done, but a server-side TLSSocket may
    // still say it is connecting; node:http2 would then wait for a 'secureConnect' that never comes.
    if ((socket as { secureConnecting?: boolean }).secureConnecting === true) {
      (socket as { secureConnecting?: boolean }).secureConnecting = false;
    }
    this.session = sessionFactoryFor(options.settings, host.current().headLimits.maxHeaderCount)(socket);
    const session = this.session;
    session.on('stream', this.#onStream);
    session.on('error', noop);
    session.on('close', this.#onClose);
    session.on('goaway', this.#onGoaway);
    if (options.settings.maxControlFrames > 0) {
      session.on('ping', this.#onControlFrame);
      session.on('remoteSettings', this.#onControlFrame);
    }
    this.#armOwn(host.current().config.timeouts.clientHeadMs);
  }

  /** Streams open now, for status. */
  get streams(): number {
    return this.#streams.size;
  }

  get activity(): SessionActivity {
    return this.#streams.size > 0 ? 'request' : 'idle';
  }

  /** Shutting down, or past `timeouts.max_session`: GOAWAY is sent, open streams finish. */
  get draining(): boolean {
    if (this.#draining || this.#state !== 'open') return true;
    const maxSessionMs = this.#host.current().config.timeouts.maxSessionMs;
    return maxSessionMs > 0 && this.#host.clock.now() - this.openedAt >= maxSessionMs;
  }

  /** The oldest snapshot a stream's transaction runs on (streams are kept in arrival order). */
  get transactionSnapshot(): RuntimeSnapshot | undefined {
    for (const port of this.#streams.values()) if (port.txn !== null) return port.txn.snapshot;
    return undefined;
  }

  /** Every snapshot the streams under way hold: a reload between two streams leaves two. */
  transactionSnapshots(): Iterable<RuntimeSnapshot> {
    const held = new Set<RuntimeSnapshot>();
    for (const port of this.#streams.values()) if (port.txn !== null) held.add(port.txn.snapshot);
    return held;
  }

  now(): number {
    return this.#host.clock.now();
  }

  deadlineArmed(at: number): void {
    if (this.deadlineAt === 0 || at < this.deadlineAt) this.deadlineAt = at;
  }

  transactionDone(): void {
    this.requests++;
  }

  drain(): void {
    this.#draining = true;
    this.#goaway();
  }

  destroy(): void {
    this.session.destroy();
    this.socket.destroy();
  }

  onDeadline(): void {
    const now = this.#host.clock.now();
    for (const port of this.#streams.values()) {
      if (port.deadlineAt !== 0 && port.deadlineAt <= now) port.onDeadline(now);
    }
    if (this.#ownDeadlineAt !== 0 && this.#ownDeadlineAt <= now) {
      this.#ownDeadlineAt = 0;
      if (this.#state === 'open' && this.#streams.size === 0) this.#goaway();
      else if (this.#state === 'closing') this.destroy();
    }
    this.#recomputeDeadline();
  }

  #recomputeDeadline(): void {
    let at = this.#ownDeadlineAt;
    for (const port of this.#streams.values()) {
      const d = port.deadlineAt;
      if (d !== 0 && (at === 0 || d < at)) at = d;
    }
    this.deadlineAt = at;
  }

  #armOwn(ms: number): void {
    this.#ownDeadlineAt = ms === 0 ? 0 : this.#host.clock.now() + ms;
    if (this.#ownDeadlineAt !== 0) this.deadlineArmed(this.#ownDeadlineAt);
  }

  /** GOAWAY: no new streams; the open ones finish, then the session closes the socket. */
  #goaway(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    if (!this.session.closed && !this.session.destroyed) this.session.close();
    // A client that never lets its streams finish must not hold the connection forever.
    this.#armOwn(this.#host.current().config.timeouts.clientIdleMs);
  }

  /** A flood: GOAWAY ENHANCE_YOUR_CALM and the connection closes; other connections are untouched. */
  #calm(what: string): void {
    if (this.#state === 'closed') return;
    this.log.warn(
      { client: this.clientAddress, code: 'JCT_ERR_HTTP2_FLOOD' },
      `HTTP/2 ${what}: connection closed`,
    );
    this.#state = 'closing';
    this.session.destroy(undefined, constants.NGHTTP2_ENHANCE_YOUR_CALM);
  }

  readonly #onControlFrame = (): void => {
    const now = this.#host.clock.now();
    if (now - this.#controlWindowAt >= 1000) {
      this.#controlWindowAt = now;
      this.#controlFrames = 0;
    }
    if (++this.#controlFrames > this.#settings.maxControlFrames) this.#calm('PING/SETTINGS flood');
  };

  #countReset(): void {
    const max = this.#settings.maxResets;
    if (max === 0) return;
    const now = this.#host.clock.now();
    if (now - this.#resetWindowAt >= 1000) {
      this.#resetWindowAt = now;
      this.#resets = 0;
    }
    if (++this.#resets > max) this.#calm('rapid reset (streams reset by the client)');
  }

  readonly #onGoaway = (): void => {
    // The client is leaving: no new streams will come; finish the open ones.
    this.#draining = true;
  };

  readonly #onStream = (stream: ServerHttp2Stream, _headers: unknown, flags: number, raw: string[]): void => {
    if (this.#state !== 'open') {
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    this.#ownDeadlineAt = 0;
    const snapshot = this.#host.current();
    const endStream = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    const fields = translateRequestFields(raw, endStream);
    const method = fields.ok ? (/^[A-Z]+ /.exec(fields.head)?.[0].trimEnd() ?? 'GET') : 'GET';
    const grpc = fields.ok && isGrpcContentType(fields.contentType);
    const port = new Http2StreamPort(
      this,
      stream,
      method,
      snapshot.responseHeadLimits,
      {
        chunked: fields.ok && fields.body === 'chunked',
        contentLength: fields.ok ? fields.contentLength : -1,
      },
      { grpc, deadlineMs: grpc ? parseGrpcTimeout(fields.grpcTimeout) : 0 },
    );
    this.#streams.set(stream, port);
    stream.on('close', () => {
      this.#streamClosed(stream, port);
    });
    if (!fields.ok) {
      this.#refuse(port, snapshot, fields.status, `${fields.message}\n`, 'JCT_ERR_HTTP_BAD_REQUEST');
      return;
    }
    const bytes = Buffer.from(fields.head, 'latin1');
    port.bytesRead = bytes.length;
    const step = parseRequestHead(bytes, 0, bytes.length, snapshot.headLimits);
    if (step.kind !== 'done') {
      const error = step.kind === 'reject' ? step.error : undefined;
      const status = error?.status ?? 400;
      this.#refuse(
        port,
        snapshot,
        status,
        `${error?.message ?? 'malformed request'}\n`,
        error?.code ?? 'JCT_ERR_HTTP_BAD_REQUEST',
      );
      return;
    }
    if (this.#redirect !== undefined) {
      this.#redirectToHttps(port, snapshot, step.head, this.#redirect);
      return;
    }
    const txn = new Transaction(port, snapshot, step.head);
    port.txn = txn;
    txn.start(null, 0);
  };

  #redirectToHttps(
    port: Http2StreamPort,
    snapshot: RuntimeSnapshot,
    head: RequestHead,
    redirect: HttpsRedirectConfig,
  ): void {
    const startedAt = snapshot.router.now();
    const header = snapshot.config.requestId?.header ?? DEFAULT_REQUEST_ID_HEADER;
    const requestId = assignRequestId(head, port, header);
    const status = redirectToHttps(port, head, redirect, Buffer.alloc(0), 0, [header, requestId]);
    logTransactionEnd(port, snapshot, {
      ...NO_UPSTREAM,
      head,
      requestId,
      status,
      errorCode: undefined,
      startedAt,
      readMark: 0,
      writeMark: 0,
    });
  }

  /** A stream whose request HTTP/2 or HTTP/1.1 rules refuse: answered, logged, the stream ends. */
  #refuse(
    port: Http2StreamPort,
    snapshot: RuntimeSnapshot,
    status: number,
    message: string,
    code: ErrorCode,
  ): void {
    const header = snapshot.config.requestId?.header ?? DEFAULT_REQUEST_ID_HEADER;
    const requestId = newRequestId();
    this.log.info({ code, client: this.clientAddress }, message.trimEnd());
    port.writeClient(
      plainTextAnswer(status, [header, requestId], `${message}request id: ${requestId}\n`, false),
      'latin1',
    );
    // The client may still be sending a body nobody reads: the stream ends with our answer.
    if (!port.stream.closed) port.stream.on('data', noop);
    logTransactionEnd(port, snapshot, {
      ...NO_UPSTREAM,
      head: null,
      requestId,
      status,
      errorCode: code,
      startedAt: snapshot.router.now(),
      readMark: 0,
      writeMark: 0,
    });
    this.requests++;
  }

  #streamClosed(stream: ServerHttp2Stream, port: Http2StreamPort): void {
    this.#streams.delete(stream);
    port.closed();
    if (stream.rstCode !== constants.NGHTTP2_NO_ERROR && !port.resetByUs) {
      this.#countReset();
    }
    if (this.#streams.size === 0 && this.#state === 'open') {
      this.#armOwn(this.#draining ? 1 : this.#host.current().config.timeouts.clientIdleMs);
    }
  }

  readonly #onClose = (): void => {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.deadlineAt = 0;
    for (const [stream, port] of this.#streams) {
      this.#streams.delete(stream);
      port.closed();
    }
    if (!this.socket.destroyed) this.socket.destroy();
    this.#host.onSessionClosed(this);
  };
}

/** Errors end in 'close', which is handled; bytes after an answer are dropped. */
function noop(): void {
  return;
}
