import { createServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ListenerConfig } from '../config/types.ts';
import type { Clock } from '../util/clock.ts';
import { dateField } from '../util/http-date.ts';
import type { ClientPeer } from '../session/index.ts';
import { TlsAcceptor, type TlsConnectionInfo } from '../tls/index.ts';

/**
 * Where a listener's sockets go. The path from accept to session is PROXY header (when the listener
 * expects one), then TLS (on HTTPS listeners), then the session: `accepted` gets every socket given a
 * slot and runs the first step; `secure()` runs the TLS step, whose end comes back to `secured`.
 */
export interface ListenerHandlers {
  /** `socket` may be paused (it waited in the accept queue): the step that reads it resumes it. */
  accepted(socket: Socket, listener: Listener): void;
  secured(socket: TLSSocket, listener: Listener, tls: TlsConnectionInfo, peer: ClientPeer | undefined): void;
}

interface QueuedSocket {
  readonly socket: Socket;
  readonly acceptedAt: number;
}

/**
 * A listening socket and its accept queue. Up to `maxConnections` sockets are served at once; more
 * wait, paused, in the queue until a session ends. The most recent waiter is served first, because
 * the oldest ones are the likeliest to have given up already.
 */
export class Listener {
  #config: ListenerConfig;
  readonly #server: Server;
  readonly #clock: Clock;
  readonly #handlers: ListenerHandlers;
  /** The TLS step between accept and session; null on a plain HTTP listener. */
  readonly tls: TlsAcceptor<ClientPeer | undefined> | null;
  readonly #queue: QueuedSocket[] = [];
  active = 0;
  /** Counters. */
  accepted = 0;
  droppedFromQueue = 0;
  /** Connections refused with 429 because their address had `maxConnectionsPerClient` sessions. */
  refusedPerClient = 0;
  /** Sessions served now, per client address; kept only when there is a cap. */
  readonly #perClient = new Map<string, number>();
  #closing = false;

  constructor(config: ListenerConfig, clock: Clock, handlers: ListenerHandlers) {
    this.#config = config;
    this.#clock = clock;
    this.#handlers = handlers;
    // A socket in its handshake holds a connection slot: it counts against max_connections.
    this.tls =
      config.tls === undefined
        ? null
        : new TlsAcceptor<ClientPeer | undefined>(config.tls, clock, {
            secured: (socket, info, peer) => {
              handlers.secured(socket, this, info, peer);
            },
            failed: (countedAs) => {
              this.sessionEnded(countedAs);
            },
          });
    this.#server = createServer({ allowHalfOpen: true, noDelay: true }, this.#onConnection);
  }

  get config(): ListenerConfig {
    return this.#config;
  }

  /**
   * For a reload that changes only this HTTPS listener's `tls` section: prepares the new certificates
   * and settings (throws if they cannot serve) and returns the function that puts them in place. The
   * listening socket, the accept queue and every session stay as they are.
   */
  prepareTlsUpdate(config: ListenerConfig): () => void {
    if (this.tls === null || config.tls === undefined) {
      throw new Error(`listener '${config.name}' is not an HTTPS listener before and after`);
    }
    const commit = this.tls.prepare(config.tls);
    return () => {
      commit();
      this.#config = config;
    };
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(error);
      };
      this.#server.once('error', onError);
      this.#server.listen(
        { host: this.#config.address, port: this.#config.port, backlog: this.#config.backlog },
        () => {
          this.#server.removeListener('error', onError);
          resolve();
        },
      );
    });
  }

  /** The bound port (differs from the config when it asked for port 0). */
  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : this.#config.port;
  }

  get queued(): number {
    return this.#queue.length;
  }

  readonly #onConnection = (socket: Socket): void => {
    this.accepted++;
    if (this.#closing) {
      socket.destroy();
      return;
    }
    // Behind a PROXY protocol peer the client is known only once its header is read: admitClient().
    if (this.#config.proxyProtocol === undefined && this.#overClientCap(socket, socket.remoteAddress ?? '')) {
      return;
    }
    if (this.active < this.#config.maxConnections) {
      this.#start(socket);
      return;
    }
    if (this.#queue.length >= this.#config.acceptQueueSize) {
      this.droppedFromQueue++;
      socket.destroy();
      return;
    }
    socket.pause();
    socket.on('error', ignoreError);
    this.#queue.push({ socket, acceptedAt: this.#clock.now() });
  };

  /** Refuses `socket` with 429 when its address already has the most sessions allowed. */
  #overClientCap(socket: Socket, address: string): boolean {
    const cap = this.#config.maxConnectionsPerClient;
    if (cap === 0 || (this.#perClient.get(address) ?? 0) < cap) return false;
    this.refusedPerClient++;
    socket.on('error', ignoreError);
    // A TLS client cannot read a plain-text 429, nor a TCP listener's client: they are simply closed.
    if (this.tls !== null || this.#config.tcp !== undefined) {
      socket.destroy();
      return true;
    }
    // A client that never reads the answer must not hold the socket.
    socket.setTimeout(1000, () => socket.destroy());
    socket.end(TOO_MANY_CONNECTIONS_LINE + dateField() + TOO_MANY_CONNECTIONS_REST, 'latin1');
    socket.resume();
    return true;
  }

  #start(socket: Socket): void {
    this.active++;
    if (this.#config.maxConnectionsPerClient !== 0 && this.#config.proxyProtocol === undefined) {
      const address = socket.remoteAddress ?? '';
      this.#perClient.set(address, (this.#perClient.get(address) ?? 0) + 1);
    }
    this.#handlers.accepted(socket, this);
  }

  /**
   * The TLS step for a socket of this HTTPS listener, after the PROXY step if there is one: `peer` is
   * the client its header named, which the connection is counted under.
   */
  secure(socket: Socket, peer: ClientPeer | undefined): void {
    const countedAs =
      this.#config.proxyProtocol === undefined
        ? (socket.remoteAddress ?? '')
        : (peer?.address ?? socket.remoteAddress ?? '');
    this.tls!.accept(socket, countedAs, peer);
  }

  /**
   * On a listener with `proxy_protocol`, the client a socket serves is known once its header is read:
   * counts it under that address, or refuses the socket (and frees its slot) when the address is at
   * `maxConnectionsPerClient`.
   */
  admitClient(socket: Socket, clientAddress: string): boolean {
    if (this.#overClientCap(socket, clientAddress)) {
      this.sessionEnded(undefined);
      return false;
    }
    if (this.#config.maxConnectionsPerClient !== 0) {
      this.#perClient.set(clientAddress, (this.#perClient.get(clientAddress) ?? 0) + 1);
    }
    return true;
  }

  /**
   * A session of this listener ended: serve a waiting socket if there is one. `clientAddress` is the
   * address it was counted under; undefined for a socket that never became a counted session.
   */
  sessionEnded(clientAddress: string | undefined): void {
    this.active--;
    if (this.#config.maxConnectionsPerClient !== 0 && clientAddress !== undefined) {
      const count = (this.#perClient.get(clientAddress) ?? 1) - 1;
      if (count === 0) this.#perClient.delete(clientAddress);
      else this.#perClient.set(clientAddress, count);
    }
    this.expireQueue();
    const next = this.#queue.pop();
    if (next === undefined || this.#closing) return;
    next.socket.removeListener('error', ignoreError);
    // Still paused: whoever reads from it next resumes it (the TLS step must not be raced by a resume).
    this.#start(next.socket);
  }

  /** Drops queued sockets that waited too long (the oldest sit at the front) and overdue TLS handshakes. */
  expireQueue(): void {
    this.tls?.expire();
    const limit = this.#clock.now() - this.#config.acceptQueueTimeoutMs;
    const queue = this.#queue;
    while (queue.length > 0 && queue[0]!.acceptedAt <= limit) {
      this.droppedFromQueue++;
      queue.shift()!.socket.destroy();
    }
  }

  /** Stops accepting; queued sockets are closed. Resolves when the listening socket is closed. */
  close(): Promise<void> {
    this.#closing = true;
    for (const { socket } of this.#queue.splice(0)) socket.destroy();
    this.tls?.close();
    return new Promise((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }
}

const TOO_MANY_CONNECTIONS_LINE = 'HTTP/1.1 429 Too Many Requests\r\n';
const TOO_MANY_CONNECTIONS_REST =
  'Content-Type: text/plain; charset=utf-8\r\nContent-Length: 42\r\n' +
  'Connection: close\r\n\r\ntoo many connections from this address...\n';

function ignoreError(): void {
  // A queued socket that resets is simply gone; 'close' cleans it up.
}
