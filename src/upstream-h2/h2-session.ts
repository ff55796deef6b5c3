/**
 * One HTTP/2 connection to an upstream: a `ClientHttp2Session` over a socket the Connector dialled, and
 * the stream slots it lends. Counts the slots against the peer's SETTINGS_MAX_CONCURRENT_STREAMS,
 * stops lending on GOAWAY (streams in flight finish), and closes itself after the pool's idle timeout
 * with no stream. The UpstreamConnection it came from stays counted in its pool until the socket closes.
 */
import { connect as h2Connect, constants, type ClientHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { UpstreamConnection } from '../connector/index.ts';

/** What a session tells the pool of its own. */
export interface SessionHome {
  /** A slot came free, the peer raised its limit, or the session became ready: queued asks may go. */
  roomMade(session: H2Session): void;
  /** The session closed (or will lend no more): drop it from the pool. */
  sessionGone(session: H2Session): void;
}

/** Our side's SETTINGS: no push; a per-stream window that lets a stream run without stalling on RTT. */
const LOCAL_SETTINGS = { enablePush: false, initialWindowSize: 256 * 1024 } as const;

/** Stream ids are 31 bits: a peer that sets no limit allows them all. */
const UNLIMITED_STREAMS = 2 ** 31 - 1;

export class H2Session {
  readonly session: ClientHttp2Session;
  readonly conn: UpstreamConnection;
  readonly #home: SessionHome;
  /** Slots lent and not yet freed. */
  active = 0;
  /** Slots lent over the session's life. */
  lent = 0;
  /** The peer's SETTINGS_MAX_CONCURRENT_STREAMS, once its SETTINGS came. */
  maxStreams = UNLIMITED_STREAMS;
  /** The peer's first SETTINGS arrived: streams may go. */
  ready = false;
  /** GOAWAY received or the pool is closing: no new stream. */
  draining = false;
  /** The last stream id the peer's GOAWAY said it processed; streams above were never seen. */
  goawayLastStreamId = UNLIMITED_STREAMS;
  #idleMs: number;
  #idleTimer: NodeJS.Timeout | undefined = undefined;
  #gone = false;

  constructor(
    conn: UpstreamConnection,
    home: SessionHome,
    tls: boolean,
    idleMs: number,
    maxHeaderListSize: number,
  ) {
    this.conn = conn;
    this.#home = home;
    this.#idleMs = idleMs;
    const socket: Socket = conn.handOver();
    const authority = `${tls ? 'https' : 'http'}://${conn.pool.upstreamId}`;
    this.session = h2Connect(authority, {
      createConnection: () => socket,
      settings: { ...LOCAL_SETTINGS, maxHeaderListSize },
      maxHeaderListPairs: 2000,
    });
    const session = this.session;
    session.on('remoteSettings', this.#onSettings);
    session.on('goaway', this.#onGoaway);
    session.on('close', this.#onClose);
    // Stream errors reach their streams; a session error ends in 'close', which is what the pool hears.
    session.on('error', () => undefined);
    // The session keeps the socket open; it must not keep the process alive on its own when idle.
    session.unref();
  }

  /** Whether a new stream may go on this session now. */
  get hasRoom(): boolean {
    return this.ready && !this.draining && !this.#gone && this.active < this.maxStreams;
  }

  get isGone(): boolean {
    return this.#gone;
  }

  /** Lends one slot; the stream is opened by its channel. */
  take(): void {
    this.active++;
    this.lent++;
    // The connection's close event reports how many requests it carried: here, streams.
    this.conn.reuseCount = this.lent - 1;
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    this.session.ref();
  }

  /** A lent slot is back. */
  free(): void {
    this.active--;
    if (this.active > 0) {
      this.#home.roomMade(this);
      return;
    }
    this.session.unref();
    if (this.draining) {
      this.close();
      return;
    }
    this.#idleTimer = setTimeout(this.#onIdle, this.#idleMs);
    this.#idleTimer.unref();
    this.#home.roomMade(this);
  }

  /** New pool settings (a reload): the idle timeout applies from the next idle period. */
  set idleMs(ms: number) {
    this.#idleMs = ms;
  }

  /** Lends no more; closes once its streams are done (a graceful GOAWAY from our side). */
  close(): void {
    this.draining = true;
    if (this.active === 0 && !this.session.closed) this.session.close();
  }

  destroy(): void {
    this.draining = true;
    this.session.destroy();
  }

  readonly #onSettings = (): void => {
    const max = this.session.remoteSettings.maxConcurrentStreams;
    this.maxStreams = max === undefined || max > UNLIMITED_STREAMS ? UNLIMITED_STREAMS : max;
    const first = !this.ready;
    this.ready = true;
    if (first && this.active === 0) {
      this.#idleTimer = setTimeout(this.#onIdle, this.#idleMs);
      this.#idleTimer.unref();
    }
    this.#home.roomMade(this);
  };

  readonly #onGoaway = (code: number, lastStreamId: number): void => {
    this.goawayLastStreamId = lastStreamId;
    this.draining = true;
    this.#home.sessionGone(this);
    // Node closes the session itself on a NO_ERROR GOAWAY (streams in flight finish) and destroys it otherwise.
    if (code === constants.NGHTTP2_NO_ERROR && this.active === 0) this.session.close();
  };

  readonly #onIdle = (): void => {
    this.#idleTimer = undefined;
    if (this.active === 0) this.close();
  };

  readonly #onClose = (): void => {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#gone = true;
    this.draining = true;
    // The socket is closed by the session; make sure the connection is counted out even if it lingers.
    this.conn.destroy();
    this.#home.sessionGone(this);
  };
}
