/**
 * What the server's deadline sweep and shutdown need of any session, HTTP or TCP: its one deadline,
 * the zombie checker's mark, and ways to end it. Both session kinds implement it, so the sweep and
 * the zombie checker cover every client connection.
 */
import type { RuntimeSnapshot } from '../transaction/snapshot.ts';

/**
 * `request`: a request is being read, proxied or answered (or a pipelined one waits); `tunnel`: a
 * WebSocket or TCP relay is open; `idle`: nothing is under way (between requests, or closing).
 */
export type SessionActivity = 'idle' | 'request' | 'tunnel';

/**
 * What the deadline sweep and its zombie checker need of a session, and nothing else: the server's
 * sweep (server/session-sweep.ts) reads sessions through this, never by their class.
 */
export interface SweepableSession {
  /** When the current deadline passes, on the host's clock; 0 when none is armed. */
  deadlineAt: number;
  /** When the sweep first found this session past a deadline it fired; 0 when it is not. */
  overdueSince: number;
  /** The client's address: the socket's, or the one a PROXY protocol header carried. */
  readonly clientAddress: string;
  readonly openedAt: number;
  /** Transactions finished (HTTP) or 0 (TCP), for logs. */
  readonly requests: number;
  /**
   * The snapshot the transaction under way runs on, if any: a replaced config is freed once no
   * session holds its snapshot. TCP sessions hold cluster runtimes, never a snapshot.
   */
  readonly transactionSnapshot: RuntimeSnapshot | undefined;
  /** Sessions running several transactions at once (HTTP/2): every snapshot they hold. */
  transactionSnapshots?(): Iterable<RuntimeSnapshot>;
  /** Called by the sweep once `deadlineAt` has passed. */
  onDeadline(): void;
  /** Cut the client connection now. */
  destroy(): void;
}

export interface ServedSession extends SweepableSession {
  readonly clientPort: number;
  /** The socket's own peer address, which the listener's per-client accounting counted. */
  readonly socketAddress: string;
  /** What the connection carries now; shutdown counts what it waits for, and what it had to cut. */
  readonly activity: SessionActivity;
  /**
   * Shutdown: end at the next clean point. An idle HTTP session given `idleLingerMs` stays open that
   * long for a request its client may be sending now, answered with `Connection: close`.
   */
  drain(idleLingerMs?: number): void;
}

/**
 * The client end of a connection as seen through a PROXY protocol header: who connected, and to
 * which address. Sessions given one report it instead of their socket's addresses.
 */
export interface ClientPeer {
  readonly address: string;
  readonly port: number;
  readonly localAddress: string;
  readonly localPort: number;
}
