import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { CertificateNames, UpstreamChannel, UpstreamHandler } from '../router/types.ts';
import type { ConnectionObserver, UpstreamConnectionInfo } from './connection-events.ts';

/**
 * The pool a connection belongs to, as the connection sees it: where it goes, and whom to tell when it
 * closes. UpstreamPool is one; the connection never reaches further into it.
 */
export interface ConnectionHome {
  readonly upstreamId: string;
  readonly port: number;
  /** The connection closed (or was destroyed): count it out, drop it from the idle list. */
  onConnectionClosed(conn: UpstreamConnection): void;
  /** The connection is free and reusable: keep it idle from `now`, or close it. */
  putIdle(conn: UpstreamConnection, now: number): void;
}

/** The size of the read buffer shared by every plain-TCP upstream socket (Node's default read size). */
const READ_BYTES = 64 * 1024;
let sharedReadBuffer: Buffer | undefined;

/**
 * Reads of a plain-TCP upstream socket without Node's stream machinery (net's `onread` option): the
 * kernel's bytes land in one buffer shared by every such socket, and the callback copies them out at
 * once into a buffer of their exact size, which is what the connection's reader gets. No per-read
 * `Readable` push, no 'data' event, no 64 KiB allocation per read; and since every read's bytes are
 * copied before the callback returns, readers keep the rule they rely on: a read buffer is never reused.
 * The buffer is shared safely because libuv completes one read (and its callback) before the next.
 */
export class DirectReads {
  /** Receives each read; set when the connection takes the socket over. */
  sink: ((chunk: Buffer) => void) | null = null;
  readonly buffer: Buffer = (sharedReadBuffer ??= Buffer.allocUnsafe(READ_BYTES));

  /** Returns true: pausing is the reader's business, through the socket's pause(). */
  readonly callback = (nread: number): boolean => {
    const sink = this.sink;
    // Without a sink the attempt gave up on this socket (a timeout): it is being destroyed.
    if (sink === null) return true;
    const chunk = Buffer.allocUnsafe(nread);
    this.buffer.copy(chunk, 0, 0, nread);
    sink(chunk);
    return true;
  };
}

/**
 * One connection to an upstream, over TCP or TLS (a TLSSocket is a Socket). Its socket listeners are
 * bound once, for the connection's whole life, and dispatch to whichever transaction holds it; while
 * idle in a pool, any data or FIN from the upstream means the connection can no longer be reused.
 */
export class UpstreamConnection implements UpstreamChannel {
  readonly socket: Socket;
  readonly pool: ConnectionHome;
  /** The address and port dialled: kept, because the socket forgets them once closed. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly localAddress: string;
  readonly isTls: boolean;
  reuseCount = 0;
  /** When it went idle, on the pool's clock. */
  idleSince = 0;
  #handler: UpstreamHandler | null = null;
  #error: Error | undefined = undefined;
  /** Destroyed by us or closed by the socket: counted out of the pool, reported closed. */
  #closed = false;
  readonly #observer: ConnectionObserver | undefined;

  /**
   * Takes over a socket whose connect (and handshake) completed. `reads` is given when the socket was
   * opened with `onread` (plain TCP): its bytes come through it instead of 'data' events.
   */
  constructor(
    socket: Socket,
    pool: ConnectionHome,
    remoteAddress: string,
    isTls: boolean,
    observer: ConnectionObserver | undefined,
    reads?: DirectReads,
  ) {
    this.socket = socket;
    this.pool = pool;
    this.remoteAddress = remoteAddress;
    this.remotePort = pool.port;
    this.localPort = socket.localPort ?? 0;
    this.localAddress = socket.localAddress ?? '';
    this.isTls = isTls;
    this.#observer = observer;
    if (reads === undefined) socket.on('data', this.#onData);
    else reads.sink = this.#onData;
    socket.on('end', this.#onEnd);
    socket.on('drain', this.#onDrain);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  get upstreamId(): string {
    return this.pool.upstreamId;
  }

  /** The upstream's certificate (`remote`) or the one Junction presented (`local`); undefined without. */
  certificate(side: 'local' | 'remote'): CertificateNames | undefined {
    const socket = this.socket;
    if (!this.isTls || !(socket instanceof TLSSocket)) return undefined;
    const cert = side === 'remote' ? socket.getPeerCertificate() : socket.getCertificate();
    return cert === null || Object.keys(cert).length === 0 ? undefined : cert;
  }

  /** Requests it has been lent for, the current one included. */
  get requests(): number {
    return this.reuseCount + 1;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Whether a pooled connection still looks usable (Pingora's and undici's liveness check). */
  get isReusable(): boolean {
    const s = this.socket;
    return !this.#closed && !s.destroyed && s.writable && s.readable && s.readableLength === 0;
  }

  attach(handler: UpstreamHandler): void {
    this.#handler = handler;
  }

  detach(): void {
    this.#handler = null;
  }

  write(data: Buffer | string, encoding?: BufferEncoding): boolean {
    return encoding === undefined ? this.socket.write(data) : this.socket.write(data, encoding);
  }

  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  end(): void {
    this.socket.end();
  }

  allowHalfOpen(): void {
    // Node ends our side when the upstream's FIN arrives unless this is set; a tunnel keeps sending.
    this.socket.allowHalfOpen = true;
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.#handler = null;
    this.socket.destroy();
    // Count it out now, not at 'close' a tick later, so a pool at max_total has room at once.
    this.#finish();
  }

  /**
   * Gives the socket to an HTTP/2 session, which reads and writes it from now on. The connection keeps
   * only its close and error listeners: it stays counted in its pool (and reported closed) until the
   * socket closes, so connection counts and open/close events are the same for both protocols.
   */
  handOver(): Socket {
    const socket = this.socket;
    socket.removeListener('data', this.#onData);
    socket.removeListener('end', this.#onEnd);
    socket.removeListener('drain', this.#onDrain);
    return socket;
  }

  /** Describes the connection for the open and close events. */
  info(requests: number, error?: Error): UpstreamConnectionInfo {
    return {
      upstreamId: this.pool.upstreamId,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      localPort: this.localPort,
      tls: this.isTls,
      requests,
      ...(error === undefined ? {} : { error }),
    };
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.pool.onConnectionClosed(this);
    this.#observer?.closed(this.info(this.requests, this.#error));
  }

  readonly #onData = (chunk: Buffer): void => {
    const handler = this.#handler;
    if (handler) handler.onUpstreamData(chunk);
    else this.destroy(); // unsolicited bytes while idle: the stream is out of step
  };

  readonly #onEnd = (): void => {
    const handler = this.#handler;
    if (handler) handler.onUpstreamEnd();
    else this.destroy();
  };

  readonly #onDrain = (): void => {
    this.#handler?.onUpstreamDrain();
  };

  readonly #onError = (error: Error): void => {
    this.#error = error;
  };

  readonly #onClose = (): void => {
    this.#finish();
    const handler = this.#handler;
    this.#handler = null;
    handler?.onUpstreamClose(this.#error);
  };
}
