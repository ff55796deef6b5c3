/**
 * One HTTP/1.1 client connection (session/'s central file).
 * Owns: the client socket and its listeners, reading and parsing request heads (a head that spans
 * reads waits in a pooled buffer), the keep-alive loop and pipelining order, the session's one
 * deadline (head, idle, body, upstream, tunnel: the server's sweep fires it), refusing unreadable
 * heads (400/431 through local-answers), the HTTPS redirect, and handing a tunnel its client side.
 * Lends a transaction the client through SessionPort, one transaction at a time.
 * Must not: route, choose upstreams or touch upstream connections (transaction/ and router/ do),
 * frame response bodies (transaction/'s framed writer), or arm timers of its own.
 */
import type { Socket } from 'node:net';
import type { BufferPool } from '../buffers/index.ts';
import { parseRequestHead } from '../codec/index.ts';
import type { HttpParseError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import { newRequestId } from '../access-log/index.ts';
import type { RequestHead } from '../codec/types.ts';
import { DEFAULT_REQUEST_ID_HEADER } from '../config/defaults.ts';
import type { ErrorCode } from '../errors/index.ts';
import { assignRequestId, logTransactionEnd } from '../transaction/access-entry.ts';
import type { FrameSink } from '../transaction/framed-writer.ts';
import { plainTextAnswer } from '../transaction/local-answers.ts';
import {
  PAUSE_PIPELINE_FULL,
  type SessionListener,
  type SessionPort,
  type SessionTls,
} from '../transaction/session-port.ts';
import type { HttpsRedirectConfig } from '../config/types.ts';
import { redirectToHttps } from './https-redirect.ts';
import type { RuntimeSnapshot } from '../transaction/snapshot.ts';
import { Transaction } from '../transaction/transaction.ts';
import type { Tunnel } from '../tunnel/index.ts';
import type { Clock } from '../util/clock.ts';
import type { ClientPeer, ServedSession, SessionActivity } from './served-session.ts';

/** What a session needs from the server that accepted it. */
export interface SessionHost {
  /** The snapshot new transactions start on. */
  current(): RuntimeSnapshot;
  readonly bufferPool: BufferPool;
  readonly clock: Clock;
  readonly log: Logger;
  onSessionClosed(session: ServedSession): void;
}

/** `tunnel`: after a 101, the connection is a byte pipe to the upstream until the tunnel ends. */
type SessionState = 'idle' | 'head' | 'transaction' | 'tunnel' | 'closing' | 'closed';

/** What a session takes from its listener besides the socket. */
export interface SessionOptions {
  /** The handshake's facts on an HTTPS listener; null on plain HTTP. */
  readonly tls: SessionTls | null;
  /** Answer every request with a redirect to HTTPS instead of proxying it. */
  readonly redirectToHttps: HttpsRedirectConfig | undefined;
  /** The client a PROXY protocol header named; undefined: the socket's peer is the client. */
  readonly peer?: ClientPeer | undefined;
  /** The listener, for the access log and request IDs; a nameless one without an access log if absent. */
  readonly listener?: SessionListener | undefined;
}

/** The access-line facts of an answer no upstream took part in. */
const NO_UPSTREAM = {
  route: undefined,
  cluster: undefined,
  upstream: undefined,
  upstreamHeadAt: 0,
  attempts: 0,
  tunnel: undefined,
} as const;

const PLAIN: SessionOptions = { tls: null, redirectToHttps: undefined };
const NO_LISTENER: SessionListener = { name: '', accessLog: undefined, trustRequestId: false };

/**
 * One client connection speaking HTTP/1.1: reads request heads (accumulating a head that spans reads
 * in a pooled buffer), runs one transaction at a time, and keeps the connection alive between them.
 * Pipelined requests wait in the session's buffer, so responses go out in request order.
 */
export class Http1Session implements SessionPort, ServedSession {
  readonly socket: Socket;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly socketAddress: string;
  /** Set when a PROXY protocol header named the client; its addresses replace the socket's. */
  readonly #peer: ClientPeer | undefined;
  readonly scheme: 'http' | 'https';
  readonly tls: SessionTls | null;
  readonly log: Logger;
  readonly listener: SessionListener;
  readonly #host: SessionHost;
  readonly #redirect: HttpsRedirectConfig | undefined;
  #state: SessionState = 'idle';
  /** Bytes read but not yet consumed: a partial head, or pipelined requests. */
  #pending: Buffer | null = null;
  /** A pooled buffer holding a head that arrived in several reads. */
  #headBuf: Buffer | null = null;
  #headLen = 0;
  #txn: Transaction | null = null;
  #tunnel: Tunnel | null = null;
  #clientError = false;
  #pauseReasons = 0;
  #clientEnded = false;
  #draining = false;
  /** When the current deadline passes, on the host's clock; 0 when none is armed. */
  deadlineAt = 0;
  /** When the server's sweep first found this session past a deadline it fired; 0 when it is not. */
  overdueSince = 0;
  requests = 0;
  /** Bytes read when the last transaction ended: the next one's bytes are counted from here. */
  readMark = 0;
  readonly openedAt: number;

  constructor(socket: Socket, host: SessionHost, scheme: 'http' | 'https', options: SessionOptions = PLAIN) {
    this.socket = socket;
    this.#host = host;
    this.scheme = scheme;
    this.tls = options.tls;
    this.#redirect = options.redirectToHttps;
    this.listener = options.listener ?? NO_LISTENER;
    this.log = host.log;
    this.socketAddress = socket.remoteAddress ?? '';
    const peer = options.peer;
    this.#peer = peer;
    this.clientAddress = peer?.address ?? this.socketAddress;
    this.clientPort = peer?.port ?? socket.remotePort ?? 0;
    this.openedAt = host.clock.now();
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('drain', this.#onDrain);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    this.#armIdle();
  }

  /**
   * The current response is the connection's last: Junction is shutting down, or the connection has
   * lived past `timeouts.max_session` (it closes after this response, with `Connection: close`).
   */
  get draining(): boolean {
    if (this.#draining) return true;
    const maxSessionMs = this.#host.current().config.timeouts.maxSessionMs;
    return maxSessionMs > 0 && this.#host.clock.now() - this.openedAt >= maxSessionMs;
  }

  get localAddress(): string {
    return this.#peer?.localAddress ?? this.socket.localAddress ?? '';
  }

  get localPort(): number {
    return this.#peer?.localPort ?? this.socket.localPort ?? 0;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The snapshot of the transaction under way, if any: a reload frees an old snapshot once none holds it. */
  get transactionSnapshot(): RuntimeSnapshot | undefined {
    return this.#txn?.snapshot;
  }

  get activity(): SessionActivity {
    switch (this.#state) {
      case 'idle':
        // Pipelined requests read ahead are still to be answered: drain() does not close on them.
        return this.#pending === null ? 'idle' : 'request';
      case 'head':
      case 'transaction':
        return 'request';
      case 'tunnel':
        return 'tunnel';
      case 'closing':
      case 'closed':
        return 'idle';
    }
  }

  /**
   * Shutdown: close after the current response, or if idle, now; or, given `idleLingerMs`, once idle
   * that long. A keep-alive client may be sending its next request as the drain begins; closing under
   * it would fail that request, whereas answering it (with `Connection: close`) ends the session cleanly.
   */
  drain(idleLingerMs = 0): void {
    this.#draining = true;
    if (this.#state !== 'idle' || this.#pending !== null) return;
    if (idleLingerMs <= 0) {
      this.#close();
      return;
    }
    const at = this.#host.clock.now() + idleLingerMs;
    if (this.deadlineAt === 0 || this.deadlineAt > at) this.deadlineAt = at;
  }

  destroy(): void {
    this.socket.destroy();
  }

  // SessionPort

  writeClient(data: string | Buffer, encoding?: BufferEncoding): boolean {
    return encoding === undefined ? this.socket.write(data) : this.socket.write(data, encoding);
  }

  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }

  get clientStream(): FrameSink {
    return this.socket;
  }

  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  get clientNeedsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  corkClient(): void {
    this.socket.cork();
  }

  uncorkClient(): void {
    this.socket.uncork();
  }

  pauseClient(reason: number): void {
    if (this.#pauseReasons === 0) this.socket.pause();
    this.#pauseReasons |= reason;
  }

  resumeClient(reason: number): void {
    if ((this.#pauseReasons & reason) === 0) return;
    this.#pauseReasons &= ~reason;
    if (this.#pauseReasons === 0 && this.#state !== 'closed') this.socket.resume();
  }

  stashPipelined(buf: Buffer, start: number): void {
    const bytes = start === 0 ? buf : buf.subarray(start);
    this.#pending = this.#pending === null ? bytes : Buffer.concat([this.#pending, bytes]);
    // Bound what a pipelining client can make us hold while a response is under way.
    if (this.#pending.length > this.#host.current().config.limits.maxPipelinedBytes) {
      this.pauseClient(PAUSE_PIPELINE_FULL);
    }
  }

  setDeadline(ms: number): void {
    this.deadlineAt = ms === 0 ? 0 : this.#host.clock.now() + ms;
  }

  startTunnel(tunnel: Tunnel): void {
    this.#state = 'tunnel';
    this.#tunnel = tunnel;
    // Reading paused for pipelining limits no longer applies: the tunnel applies its own backpressure.
    if (this.#pauseReasons !== 0) {
      this.#pauseReasons = 0;
      this.socket.resume();
    }
    tunnel.attachClient(this.socket);
    const pending = this.#pending;
    this.#pending = null;
    if (pending !== null) tunnel.onClientData(pending);
    if (this.#clientEnded) tunnel.onClientEnd();
  }

  onTransactionDone(keepAlive: boolean): void {
    this.readMark = this.socket.bytesRead;
    this.#txn = null;
    this.#tunnel = null;
    this.requests++;
    if (!keepAlive || this.#draining || this.#clientEnded) {
      this.#close();
      return;
    }
    this.#state = 'idle';
    this.resumeClient(PAUSE_PIPELINE_FULL);
    this.#armIdle();
    // On the next tick, not in this stack: a burst of pipelined requests answered locally must not recurse.
    if (this.#pending !== null) process.nextTick(this.#resumePipelined);
  }

  readonly #resumePipelined = (): void => {
    const pending = this.#pending;
    if (pending === null || this.#state !== 'idle') return;
    this.#pending = null;
    this.#onHeadBytes(pending);
  };

  abortClient(): void {
    this.#txn = null;
    this.socket.destroy();
  }

  /** Called by the host's periodic sweep when `deadlineAt` has passed. */
  onDeadline(): void {
    this.deadlineAt = 0;
    switch (this.#state) {
      case 'idle':
        this.#close();
        return;
      case 'head':
        this.#reject(408, 'the request head did not arrive in time\n', 'JCT_ERR_CLIENT_TIMEOUT');
        return;
      case 'transaction':
        this.#txn?.onDeadline();
        return;
      case 'tunnel':
        this.#tunnel?.onDeadline();
        return;
      case 'closing':
      case 'closed':
        this.socket.destroy();
        return;
    }
  }

  // Socket events

  readonly #onData = (chunk: Buffer): void => {
    switch (this.#state) {
      case 'idle':
      case 'head':
        this.#onHeadBytes(chunk);
        return;
      case 'transaction': {
        const txn = this.#txn!;
        if (txn.wantsRequestBody) txn.onClientBody(chunk);
        else this.stashPipelined(chunk, 0);
        return;
      }
      case 'tunnel':
        this.#tunnel!.onClientData(chunk);
        return;
      case 'closing':
      case 'closed':
        return; // bytes after a final response are discarded
    }
  };

  #onHeadBytes(chunk: Buffer): void {
    const snapshot = this.#host.current();
    const limits = snapshot.headLimits;
    let buf: Buffer;
    let len: number;
    let spill: Buffer | null = null;
    if (this.#headBuf === null) {
      buf = chunk;
      len = chunk.length;
    } else {
      buf = this.#headBuf;
      const room = buf.length - this.#headLen;
      const n = Math.min(room, chunk.length);
      chunk.copy(buf, this.#headLen, 0, n);
      this.#headLen += n;
      len = this.#headLen;
      if (n < chunk.length) spill = chunk.subarray(n);
    }
    const step = parseRequestHead(buf, 0, len, limits);
    if (step.kind === 'need-more') {
      if (this.#state === 'idle') {
        this.#state = 'head';
        this.setDeadline(snapshot.config.timeouts.clientHeadMs);
      }
      if (this.#headBuf === null) this.#startAccumulating(chunk, limits.maxHeadBytes);
      else if (spill !== null) this.#reject(431, 'request head too large\n', 'JCT_ERR_HTTP_HEAD_TOO_LARGE');
      return;
    }
    if (step.kind === 'reject') {
      this.#rejectParse(step.error);
      return;
    }
    let rest: Buffer | null;
    let restStart: number;
    if (this.#headBuf === null) {
      rest = chunk;
      restStart = step.consumed;
    } else {
      const leftover = Buffer.from(buf.subarray(step.consumed, len));
      rest = spill === null ? leftover : Buffer.concat([leftover, spill]);
      restStart = 0;
      this.#releaseHeadBuf();
    }
    this.#state = 'transaction';
    this.setDeadline(0);
    if (this.#redirect !== undefined) {
      this.#redirectToHttps(snapshot, step.head, this.#redirect, rest, restStart);
      return;
    }
    const txn = new Transaction(this, snapshot, step.head);
    this.#txn = txn;
    txn.start(rest.length > restStart ? rest : null, restStart);
  }

  /** A listener that only redirects: the answer carries a request ID and is logged like any other. */
  #redirectToHttps(
    snapshot: RuntimeSnapshot,
    head: RequestHead,
    redirect: HttpsRedirectConfig,
    rest: Buffer,
    restStart: number,
  ): void {
    const startedAt = snapshot.router.now();
    const readMark = this.readMark;
    const writeMark = this.socket.bytesWritten;
    const header = snapshot.config.requestId?.header ?? DEFAULT_REQUEST_ID_HEADER;
    const requestId = assignRequestId(head, this, header);
    const status = redirectToHttps(this, head, redirect, rest, restStart, [header, requestId]);
    logTransactionEnd(this, snapshot, {
      ...NO_UPSTREAM,
      head,
      requestId,
      status,
      errorCode: undefined,
      startedAt,
      readMark,
      writeMark,
    });
  }

  #startAccumulating(chunk: Buffer, maxHeadBytes: number): void {
    const pool = this.#host.bufferPool;
    // One byte of room past the limit lets the parser see that the limit was crossed.
    const buf = maxHeadBytes < pool.bufferSize ? pool.acquire() : Buffer.allocUnsafe(maxHeadBytes + 1);
    chunk.copy(buf, 0);
    this.#headBuf = buf;
    this.#headLen = chunk.length;
  }

  #releaseHeadBuf(): void {
    if (this.#headBuf === null) return;
    this.#host.bufferPool.release(this.#headBuf);
    this.#headBuf = null;
    this.#headLen = 0;
  }

  #rejectParse(error: HttpParseError): void {
    this.log.info({ code: error.code, client: this.clientAddress }, error.message);
    this.#reject(error.status ?? 400, `${error.message}\n`, error.code);
  }

  /** Answers a request Junction will not process, then closes: the stream can no longer be trusted. */
  #reject(status: number, message: string, code: ErrorCode): void {
    this.#releaseHeadBuf();
    this.#pending = null;
    this.#state = 'closing';
    const snapshot = this.#host.current();
    const header = snapshot.config.requestId?.header ?? DEFAULT_REQUEST_ID_HEADER;
    const requestId = newRequestId();
    const body = `${message}request id: ${requestId}\n`;
    const writeMark = this.socket.bytesWritten;
    this.socket.end(plainTextAnswer(status, [header, requestId], body, true), 'latin1');
    this.setDeadline(1000);
    logTransactionEnd(this, snapshot, {
      ...NO_UPSTREAM,
      head: null,
      requestId,
      status,
      errorCode: code,
      startedAt: snapshot.router.now(),
      readMark: this.readMark,
      writeMark,
    });
  }

  #armIdle(): void {
    const timeouts = this.#host.current().config.timeouts;
    this.setDeadline(this.requests === 0 ? timeouts.clientHeadMs : timeouts.clientIdleMs);
  }

  #close(): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'closing';
    this.#releaseHeadBuf();
    this.#pending = null;
    this.socket.end();
    // A client that never reads the rest must not hold the session forever.
    this.setDeadline(this.#host.current().config.timeouts.clientIdleMs);
  }

  readonly #onEnd = (): void => {
    this.#clientEnded = true;
    if (this.#state === 'tunnel') this.#tunnel!.onClientEnd();
    else if (this.#state === 'idle' || this.#state === 'head') this.#close();
    else if (this.#state === 'transaction' && this.#txn?.wantsRequestBody === true) this.socket.destroy();
  };

  readonly #onDrain = (): void => {
    if (this.#tunnel !== null) this.#tunnel.onClientDrain();
    else this.#txn?.onClientDrain();
  };

  readonly #onError = (): void => {
    // 'close' follows; a client reset is routine and not worth a log line.
    this.#clientError = true;
  };

  readonly #onClose = (): void => {
    this.#state = 'closed';
    this.deadlineAt = 0;
    this.#releaseHeadBuf();
    this.#pending = null;
    const tunnel = this.#tunnel;
    this.#tunnel = null;
    const txn = this.#txn;
    this.#txn = null;
    if (tunnel !== null) tunnel.onClientClose(this.#clientError);
    else txn?.onClientGone();
    this.#host.onSessionClosed(this);
  };
}
