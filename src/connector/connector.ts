/**
 * The Connector (connector/'s central file).
 * Owns: outbound connections: one pool per upstream identity, exactly one connect attempt per ask
 * (name resolution, TCP, TLS handshake, a PROXY preamble) reported once as a connection or a typed
 * ConnectError, reuse and release of pooled connections, and idle eviction.
 * Must not: choose upstreams, retry, or judge health (router/ does), parse HTTP, or know transactions:
 * a connection tells its pool it closed through ConnectionHome, and its reader through the handler
 * a lease attached.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { ConnectError } from '../errors/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import {
  connectTimeoutError,
  connectorClosedError,
  poolExhaustedError,
  tlsHandshakeError,
  toConnectError,
  unresolvableError,
} from './connect-error.ts';
import { ConnectionObserver, type ConnectorEvents } from './connection-events.ts';
import { DnsCache, type DnsResult, type HostResolver } from './dns-cache.ts';
import type { UpstreamChannel } from '../router/types.ts';
import { DirectReads, UpstreamConnection } from './upstream-connection.ts';
import { UpstreamPool, type PoolOptions, type PoolWaiter } from './upstream-pool.ts';

/**
 * Receives the result of one connect attempt: the connection itself, or (an HTTP/2 pool's) a stream of
 * a shared session.
 */
export interface ConnectHandler {
  onConnected(conn: UpstreamChannel): void;
  onConnectFailed(error: ConnectError): void;
}

export interface ConnectorOptions {
  /** Resolves backend names. Default: a DnsCache over the system's DNS, on the Connector's clock. */
  readonly resolver?: HostResolver | undefined;
  /** Outbound connection open and close listeners. */
  readonly events?: ConnectorEvents | undefined;
}

const EVICT_INTERVAL_MS = 1000;

/**
 * Owns outbound connections: one pool per upstream, and exactly one connect attempt per ask.
 * It never chooses upstreams or retries; that is the Router's job.
 */
export class Connector {
  readonly #pools = new Map<string, UpstreamPool>();
  readonly #clock: Clock;
  readonly #resolver: HostResolver;
  readonly #observer: ConnectionObserver | undefined;
  readonly #evictTimer: NodeJS.Timeout;
  #closed = false;

  constructor(clock: Clock = systemClock, options: ConnectorOptions = {}) {
    this.#clock = clock;
    this.#resolver = options.resolver ?? new DnsCache({ clock });
    const events = options.events;
    this.#observer =
      events?.onUpstreamOpen !== undefined || events?.onUpstreamClose !== undefined
        ? new ConnectionObserver(events)
        : undefined;
    this.#evictTimer = setInterval(() => {
      const now = this.#clock.now();
      for (const [key, pool] of this.#pools) {
        pool.evictExpired(now);
        if (pool.transient && pool.openCount === 0 && pool.connectingCount === 0) this.#pools.delete(key);
      }
    }, EVICT_INTERVAL_MS);
    this.#evictTimer.unref();
  }

  /**
   * The pool for an upstream address, created on first use and shared by every cluster naming it
   * with the same transport: plain and TLS connections, or TLS with another SNI, never share a pool.
   * Throws when TLS material in the options is not valid PEM.
   */
  pool(host: string, port: number, options: PoolOptions): UpstreamPool {
    const tls = options.tls;
    const protocol = options.protocol ?? 'http/1.1';
    // Connections made with a client certificate never serve a transaction that asked for none.
    const transport =
      tls === undefined
        ? `${host}|${port}`
        : `${host}|${port}|tls|${tls.servername ?? ''}${tls.cert === undefined ? '' : '|cert'}`;
    // HTTP/1.1 and HTTP/2 connections to one address are never interchangeable.
    const key = protocol === 'http/1.1' ? transport : `${transport}|${protocol}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = new UpstreamPool(host, port, options);
      this.#pools.set(key, pool);
    } else {
      pool.options = options;
    }
    return pool;
  }

  /**
   * The pool of `base`'s upstream with another TLS server name (SNI, and the name the certificate must
   * match), for a transaction that set one: `base` itself when it speaks plain TCP (no SNI to send) or
   * already sends that name. Such pools are transient: swept once they hold no connection.
   */
  poolForServerName(base: UpstreamPool, serverName: string): UpstreamPool {
    const tls = base.options.tls;
    if (tls === undefined || base.tls?.servername === serverName) return base;
    const key = `${base.host}|${base.port}|tls|${serverName}`;
    const found = this.#pools.get(key);
    // Made from these very options (no reload since): the per-request path is this one lookup.
    if (found?.derivedFrom === base.options) return found;
    const pool = this.pool(base.host, base.port, {
      ...base.options,
      tls: { ...tls, servername: serverName },
    });
    pool.derivedFrom = base.options;
    pool.transient ||= found === undefined;
    return pool;
  }

  /**
   * The pool of `base`'s upstream whose connections present no client certificate, for a transaction
   * that asked for none (TxnBox's txn-conf ssl.client.cert.filename ""): `base` itself when it
   * presents none anyway. Transient, as poolForServerName's.
   */
  poolWithoutClientCertificate(base: UpstreamPool): UpstreamPool {
    const tls = base.options.tls;
    if (tls?.cert === undefined) return base;
    const key = `${base.host}|${base.port}|tls|${tls.servername ?? ''}`;
    const found = this.#pools.get(key);
    if (found?.derivedFrom === base.options) return found;
    const pool = this.pool(base.host, base.port, {
      ...base.options,
      tls: { ...tls, cert: undefined, key: undefined },
    });
    pool.derivedFrom = base.options;
    pool.transient ||= found === undefined;
    return pool;
  }

  /** An idle pooled connection, if one is alive. Synchronous: the keep-alive fast path. */
  reuse(pool: UpstreamPool): UpstreamConnection | undefined {
    return pool.takeIdle();
  }

  /**
   * Makes exactly one connect attempt (name resolution, TCP, and the TLS handshake, all within
   * `timeoutMs`). The handler hears back exactly once, and never before connect() returns: even a
   * refusal known at once (a full pool, a name cached as unresolvable) arrives in a microtask.
   * `preamble` (a PROXY protocol header) is the first thing sent once TCP is up, before any TLS.
   * `takesReleased`: the asker takes any pooled connection, so one released while this attempt is
   * under way is handed to it at once, and the attempt's own connection is pooled when it comes.
   * `maxTotal`: a transaction's own limit on the pool's open plus opening connections (0: none).
   */
  connect(
    pool: UpstreamPool,
    timeoutMs: number,
    handler: ConnectHandler,
    preamble?: Buffer,
    takesReleased = false,
    maxTotal?: number,
  ): void {
    if (this.#closed) {
      failSoon(handler, connectorClosedError(pool.upstreamId));
      return;
    }
    if (!pool.reserveConnect(maxTotal)) {
      failSoon(handler, poolExhaustedError(pool.upstreamId, maxTotal ?? pool.options.maxTotal ?? 0));
      return;
    }
    const attempt = new ConnectAttempt(
      this,
      pool,
      timeoutMs,
      handler,
      this.#resolver,
      this.#clock,
      this.#observer,
      preamble,
    );
    if (takesReleased && preamble === undefined && !attempt.settled) pool.addWaiter(attempt);
  }

  release(conn: UpstreamConnection, reusable: boolean): void {
    if (reusable && !this.#closed) conn.pool.putIdle(conn, this.#clock.now());
    else conn.destroy();
  }

  get pools(): Iterable<UpstreamPool> {
    return this.#pools.values();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#evictTimer);
    for (const pool of this.#pools.values()) pool.closeIdle();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function failSoon(handler: ConnectHandler, error: ConnectError): void {
  queueMicrotask(() => {
    handler.onConnectFailed(error);
  });
}

/** One connect attempt, holding one reserved slot of its pool until it settles. */
class ConnectAttempt implements PoolWaiter {
  readonly #connector: Connector;
  readonly #pool: UpstreamPool;
  /** Null once a released connection was handed over: the attempt's own result then goes to the pool. */
  #handler: ConnectHandler | null;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #observer: ConnectionObserver | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #preamble: Buffer | undefined;
  #socket: Socket | undefined = undefined;
  /** Set when the socket reads through `onread` (plain TCP). */
  #reads: DirectReads | undefined = undefined;
  #address = '';
  /** TCP is up; an error from here on belongs to the TLS handshake. */
  #tcpConnected = false;
  #settled = false;

  constructor(
    connector: Connector,
    pool: UpstreamPool,
    timeoutMs: number,
    handler: ConnectHandler,
    resolver: HostResolver,
    clock: Clock,
    observer: ConnectionObserver | undefined,
    preamble: Buffer | undefined,
  ) {
    this.#connector = connector;
    this.#pool = pool;
    this.#preamble = preamble;
    this.#handler = handler;
    this.#timeoutMs = timeoutMs;
    this.#clock = clock;
    this.#observer = observer;
    // One timer covers resolution, TCP and the handshake: the attempt is one thing to the Router.
    this.#timer = setTimeout(this.#onTimeout, timeoutMs);
    if (pool.isIpLiteral) {
      this.#dial(pool.host);
      return;
    }
    let answer: DnsResult | Promise<DnsResult>;
    try {
      answer = resolver.lookup(pool.host, pool.ttlBounds);
    } catch (error) {
      // A resolver is pluggable: its bug fails this attempt, not the caller.
      answer = { addresses: [], error: asError(error) };
    }
    if (answer instanceof Promise) {
      answer.then(this.#onResolved, (error: unknown) => {
        this.#onResolved({ addresses: [], error: asError(error) });
      });
    } else if (answer.error !== undefined) {
      // Never answer inside connect(): the caller may not be ready for it.
      const failed = answer;
      queueMicrotask(() => {
        this.#onResolved(failed);
      });
    } else {
      this.#onResolved(answer);
    }
  }

  readonly #onResolved = (result: DnsResult): void => {
    if (this.#settled) return;
    if (result.error !== undefined || result.addresses.length === 0) {
      this.#fail(unresolvableError(this.#pool.upstreamId, result.error ?? 'no address'));
      return;
    }
    this.#dial(this.#pool.nextAddress(result.addresses, this.#clock.now()));
  };

  #dial(address: string): void {
    const pool = this.#pool;
    const tls = pool.tls;
    this.#address = address;
    let socket: Socket;
    if (tls === undefined) {
      // One attempt means one address: happy eyeballs would try several behind our back.
      const reads = new DirectReads();
      this.#reads = reads;
      socket = netConnect({
        host: address,
        port: pool.port,
        noDelay: true,
        autoSelectFamily: false,
        onread: reads,
      });
      socket.once('connect', this.#onConnect);
      // Queued now, sent first once connected: nothing else is written before onConnected.
      if (this.#preamble !== undefined) socket.write(this.#preamble);
    } else if (this.#preamble !== undefined) {
      // The preamble must precede the ClientHello: TLS starts over the TCP socket once it is written.
      const preamble = this.#preamble;
      const tcp = netConnect({ host: address, port: pool.port, noDelay: true, autoSelectFamily: false });
      tcp.once('connect', () => {
        if (this.#settled) return;
        this.#tcpConnected = true;
        tcp.removeListener('error', this.#onError);
        tcp.write(preamble);
        const secure = tls.connect(address, pool.port, tcp);
        secure.once('secureConnect', this.#onConnect);
        secure.once('error', this.#onError);
        this.#socket = secure;
      });
      socket = tcp;
    } else {
      socket = tls.connect(address, pool.port);
      socket.once('connect', this.#onTcpConnect);
      socket.once('secureConnect', this.#onConnect);
    }
    socket.once('error', this.#onError);
    this.#socket = socket;
  }

  /** The asker has its answer (a connection or an error), from this attempt or handed over. */
  get settled(): boolean {
    return this.#settled || this.#handler === null;
  }

  takeOver(conn: UpstreamConnection): boolean {
    const handler = this.#handler;
    if (this.#settled || handler === null) return false;
    this.#handler = null; // the attempt's own connection, when it comes, goes to the pool
    handler.onConnected(conn);
    return true;
  }

  readonly #onTcpConnect = (): void => {
    this.#tcpConnected = true;
  };

  readonly #onConnect = (): void => {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    const socket = this.#socket!;
    const pool = this.#pool;
    pool.removeWaiter(this);
    socket.removeListener('error', this.#onError);
    if (pool.options.protocol === 'h2' && (!(socket instanceof TLSSocket) || socket.alpnProtocol !== 'h2')) {
      // An h2 cluster's backend that does not agree to h2 would read our preface as garbage.
      socket.destroy();
      this.#pool.addressFailed(this.#address, this.#clock.now());
      this.#fail(
        tlsHandshakeError(
          pool.upstreamId,
          new Error('the backend did not agree to h2 by ALPN (protocol: h2)'),
        ),
      );
      return;
    }
    pool.connectSettled(true);
    pool.addressSucceeded(this.#address);
    const conn = new UpstreamConnection(
      socket,
      pool,
      this.#address,
      pool.tls !== undefined,
      this.#observer,
      this.#reads,
    );
    this.#observer?.opened(conn.info(0));
    const handler = this.#handler;
    if (handler !== null) handler.onConnected(conn);
    else this.#connector.release(conn, true); // its asker took a released connection meanwhile
  };

  readonly #onError = (error: Error): void => {
    if (this.#settled) return;
    this.#socket?.destroy();
    this.#pool.addressFailed(this.#address, this.#clock.now());
    const upstreamId = this.#pool.upstreamId;
    this.#fail(this.#tcpConnected ? tlsHandshakeError(upstreamId, error) : toConnectError(upstreamId, error));
  };

  readonly #onTimeout = (): void => {
    if (this.#settled) return;
    const socket = this.#socket;
    if (socket !== undefined) {
      socket.removeListener('error', this.#onError);
      socket.on('error', () => undefined);
      socket.destroy();
      this.#pool.addressFailed(this.#address, this.#clock.now());
    }
    this.#fail(connectTimeoutError(this.#pool.upstreamId, this.#timeoutMs));
  };

  #fail(error: ConnectError): void {
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#pool.removeWaiter(this);
    this.#pool.connectSettled(false);
    this.#handler?.onConnectFailed(error);
  }
}
