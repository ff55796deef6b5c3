/**
 * The HTTP/2 sessions of one upstream (one UpstreamPool of protocol h2 or h2c): which session a new
 * stream goes on, when another session is opened, and who waits for a slot.
 *
 * - A stream goes on the ready session with the fewest streams that has room under the peer's
 *   SETTINGS_MAX_CONCURRENT_STREAMS; a session is ready once the peer's first SETTINGS came, so the
 *   limit is known before anything is sent.
 * - With no room, asks join a session being opened (up to ASSUMED_STREAMS each), or open one through
 *   the Connector (its connect attempt, its typed errors, its `max_total`).
 * - At `max_total`, asks wait in a bounded queue for a slot, each for at most its connect timeout.
 */
import {
  UpstreamConnection,
  connectTimeoutError,
  poolExhaustedError,
  toConnectError,
  type ConnectHandler,
  type Connector,
  type UpstreamPool,
} from '../connector/index.ts';
import type { ConnectError } from '../errors/index.ts';
import type { UpstreamChannel } from '../router/types.ts';
import { H2Session, type SessionHome } from './h2-session.ts';
import { H2StreamChannel } from './h2-stream-channel.ts';

/** Asks one opening session takes before another is opened: most servers allow at least 100 streams. */
const ASSUMED_STREAMS = 100;
/** Asks waiting for a slot at `max_total`, per upstream; beyond, an ask fails as the pool's exhaustion. */
const MAX_QUEUED = 1024;
/** The largest response header list a session accepts (the transaction's own limits apply after). */
const MAX_HEADER_LIST_BYTES = 256 * 1024;

/** One ask for a stream, answered once. */
class Ask {
  readonly handler: ConnectHandler;
  readonly timeoutMs: number;
  timer: NodeJS.Timeout | undefined = undefined;
  settled = false;
  constructor(handler: ConnectHandler, timeoutMs: number) {
    this.handler = handler;
    this.timeoutMs = timeoutMs;
  }
}

/** A session being opened: the Connector's attempt, then the wait for the peer's SETTINGS. */
class Opening implements ConnectHandler {
  readonly asks: Ask[] = [];
  readonly #owner: H2Pool;
  readonly #timeoutMs: number;
  #session: H2Session | undefined = undefined;
  #timer: NodeJS.Timeout | undefined = undefined;

  constructor(owner: H2Pool, timeoutMs: number) {
    this.#owner = owner;
    this.#timeoutMs = timeoutMs;
  }

  onConnected(conn: UpstreamChannel): void {
    // An HTTP/2 pool's connect attempt always yields a whole connection (the Connector's own).
    if (!(conn instanceof UpstreamConnection)) throw new Error('an HTTP/2 session needs a connection');
    const session = this.#owner.adopt(conn, this);
    this.#session = session;
    // The connect timeout covers the peer's SETTINGS too: a server that never speaks HTTP/2 fails here.
    this.#timer = setTimeout(this.#onTimeout, this.#timeoutMs);
    this.#timer.unref();
  }

  onConnectFailed(error: ConnectError): void {
    this.#owner.openingFailed(this, error);
  }

  /** The session's first SETTINGS came, or it closed first. */
  settled(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #onTimeout = (): void => {
    const session = this.#session;
    if (session === undefined || session.ready) return;
    session.destroy();
    this.#owner.openingFailed(this, connectTimeoutError(this.#owner.pool.upstreamId, this.#timeoutMs));
  };
}

export class H2Pool implements SessionHome {
  readonly pool: UpstreamPool;
  readonly #connector: Connector;
  readonly #sessions: H2Session[] = [];
  readonly #openings = new Set<Opening>();
  /** Sessions whose SETTINGS are awaited, with the opening they answer. */
  readonly #awaiting = new Map<H2Session, Opening>();
  readonly #queue: Ask[] = [];
  /** The last connect timeout asked with: a refused stream's replay waits this long for a slot. */
  lastTimeoutMs = 5000;
  #pumpQueued = false;

  constructor(pool: UpstreamPool, connector: Connector) {
    this.pool = pool;
    this.#connector = connector;
  }

  get sessionCount(): number {
    return this.#sessions.length;
  }

  /** A stream on a ready session with room, or undefined. Synchronous: the pooled fast path. */
  take(): H2StreamChannel | undefined {
    const session = this.#roomiest();
    if (session === undefined) return undefined;
    this.pool.reuses++;
    return this.#lend(session);
  }

  /**
   * A stream once a session has room: joins a session being opened, opens one, or waits at
   * `max_total`. Answers exactly once, never before it returns.
   */
  connect(timeoutMs: number, handler: ConnectHandler): void {
    this.lastTimeoutMs = timeoutMs;
    const ask = new Ask(handler, timeoutMs);
    const session = this.#roomiest();
    if (session !== undefined) {
      queueMicrotask(() => {
        this.#answer(ask);
      });
      return;
    }
    this.#place(ask);
  }

  /** Closes every session gracefully: streams in flight finish, nothing new goes. */
  close(): void {
    for (const session of [...this.#sessions, ...this.#awaiting.keys()]) session.close();
  }

  /** New pool settings (a reload). */
  reconfigured(): void {
    for (const session of this.#sessions) session.idleMs = this.pool.options.idleTimeoutMs;
  }

  /** @internal an opening's connection is up: its session, awaiting the peer's SETTINGS. */
  adopt(conn: UpstreamConnection, opening: Opening): H2Session {
    const session = new H2Session(
      conn,
      this,
      conn.isTls,
      this.pool.options.idleTimeoutMs,
      MAX_HEADER_LIST_BYTES,
    );
    this.#awaiting.set(session, opening);
    return session;
  }

  /** @internal an opening failed: its asks fail with its error, each to be retried by its own lease. */
  openingFailed(opening: Opening, error: ConnectError): void {
    if (!this.#openings.delete(opening)) return;
    opening.settled();
    for (const [session, o] of this.#awaiting) if (o === opening) this.#awaiting.delete(session);
    for (const ask of opening.asks) this.#fail(ask, error);
  }

  // SessionHome

  roomMade(session: H2Session): void {
    const opening = this.#awaiting.get(session);
    if (opening !== undefined && session.ready) {
      this.#awaiting.delete(session);
      this.#openings.delete(opening);
      opening.settled();
      this.#sessions.push(session);
      // The opening's asks go first, in order, then anything queued.
      this.#queue.unshift(...opening.asks);
    }
    this.#schedulePump();
  }

  sessionGone(session: H2Session): void {
    const i = this.#sessions.indexOf(session);
    if (i !== -1) this.#sessions.splice(i, 1);
    const opening = this.#awaiting.get(session);
    if (opening !== undefined && !session.ready) {
      // Closed before its SETTINGS: not an HTTP/2 server, or it hung up on the preface.
      this.openingFailed(
        opening,
        toConnectError(
          this.pool.upstreamId,
          new Error('the backend closed the connection before its HTTP/2 SETTINGS (is it an HTTP/2 server?)'),
        ),
      );
    }
    this.#schedulePump();
  }

  /** Serves queued asks from sessions with room, opening sessions for the rest where allowed. */
  #schedulePump(): void {
    if (this.#pumpQueued || this.#queue.length === 0) return;
    this.#pumpQueued = true;
    // Never inside another transaction's release: the served ask's transaction writes at once.
    queueMicrotask(this.#pump);
  }

  readonly #pump = (): void => {
    this.#pumpQueued = false;
    const queue = this.#queue.splice(0);
    for (const ask of queue) {
      if (ask.settled) continue;
      if (this.#roomiest() !== undefined) this.#answer(ask);
      else this.#place(ask);
    }
  };

  /** An ask no ready session can take: join an opening, open a session, or queue. */
  #place(ask: Ask): void {
    for (const opening of this.#openings) {
      if (opening.asks.length < ASSUMED_STREAMS) {
        opening.asks.push(ask);
        return;
      }
    }
    const pool = this.pool;
    const maxTotal = pool.options.maxTotal ?? 0;
    const full = maxTotal !== 0 && pool.openCount + pool.connectingCount >= maxTotal;
    if (full && (this.#sessions.length > 0 || this.#openings.size > 0)) {
      this.#wait(ask);
      return;
    }
    const opening = new Opening(this, ask.timeoutMs);
    opening.asks.push(ask);
    this.#openings.add(opening);
    this.#connector.connect(pool, ask.timeoutMs, opening);
  }

  /** Waits at `max_total` for a slot, for at most the ask's connect timeout. */
  #wait(ask: Ask): void {
    if (this.#queue.length >= MAX_QUEUED) {
      this.pool.exhausted++;
      const error = poolExhaustedError(this.pool.upstreamId, this.pool.options.maxTotal ?? 0);
      queueMicrotask(() => {
        this.#fail(ask, error);
      });
      return;
    }
    if (ask.timer === undefined) {
      ask.timer = setTimeout(() => {
        this.pool.exhausted++;
        this.#fail(ask, poolExhaustedError(this.pool.upstreamId, this.pool.options.maxTotal ?? 0));
      }, ask.timeoutMs);
      ask.timer.unref();
    }
    this.#queue.push(ask);
  }

  #answer(ask: Ask): void {
    if (ask.settled) return;
    const session = this.#roomiest();
    if (session === undefined) {
      this.#place(ask);
      return;
    }
    ask.settled = true;
    if (ask.timer !== undefined) clearTimeout(ask.timer);
    ask.handler.onConnected(this.#lend(session));
  }

  #fail(ask: Ask, error: ConnectError): void {
    if (ask.settled) return;
    ask.settled = true;
    if (ask.timer !== undefined) clearTimeout(ask.timer);
    ask.handler.onConnectFailed(error);
  }

  #lend(session: H2Session): H2StreamChannel {
    session.take();
    return new H2StreamChannel(session, this);
  }

  /** The ready session with room and the fewest streams: streams spread over the sessions. */
  #roomiest(): H2Session | undefined {
    let best: H2Session | undefined;
    for (const session of this.#sessions) {
      if (session.hasRoom && (best === undefined || session.active < best.active)) best = session;
    }
    return best;
  }
}
