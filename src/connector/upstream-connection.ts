import type { Socket } from 'node:net';
import type { UpstreamChannel, UpstreamHandler } from '../router/types.ts';
import type { UpstreamPool } from './upstream-pool.ts';

/**
 * One TCP connection to an upstream. Its socket listeners are bound once, for the connection's
 * whole life, and dispatch to whichever transaction holds it; while idle in a pool, any data or
 * FIN from the upstream means the connection can no longer be reused.
 */
export class UpstreamConnection implements UpstreamChannel {
  readonly socket: Socket;
  readonly pool: UpstreamPool;
  reuseCount = 0;
  /** When it went idle, on the pool's clock. */
  idleSince = 0;
  #handler: UpstreamHandler | null = null;
  #error: Error | undefined = undefined;
  #closed = false;

  constructor(socket: Socket, pool: UpstreamPool) {
    this.socket = socket;
    this.pool = pool;
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('drain', this.#onDrain);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  get upstreamId(): string {
    return this.pool.upstreamId;
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
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
  }

  readonly #onData = (chunk: Buffer): void => {
    const handler = this.#handler;
    if (handler) handler.onUpstreamData(chunk);
    else this.socket.destroy(); // unsolicited bytes while idle: the stream is out of step
  };

  readonly #onEnd = (): void => {
    const handler = this.#handler;
    if (handler) handler.onUpstreamEnd();
    else this.socket.destroy();
  };

  readonly #onDrain = (): void => {
    this.#handler?.onUpstreamDrain();
  };

  readonly #onError = (error: Error): void => {
    this.#error = error;
  };

  readonly #onClose = (): void => {
    this.#closed = true;
    this.pool.onConnectionClosed(this);
    const handler = this.#handler;
    this.#handler = null;
    handler?.onUpstreamClose(this.#error);
  };
}
