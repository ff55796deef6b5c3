/**
 * The deadline sweep and its zombie checker, over sessions seen only as SweepableSession (session/):
 * fires each deadline that has passed, and closes a session still past one long after it fired.
 * Also says which snapshots sessions still hold, for freeing replaced configs (retirement.ts).
 * Does not: own the timer, the set of sessions, accept queues or ejections (junction-server.ts runs
 * the beat and calls each in turn), nor tell session kinds apart.
 */
import type { Logger } from '../log/index.ts';
import type { SweepableSession } from '../session/index.ts';
import type { RuntimeSnapshot } from '../transaction/index.ts';

/** A session still past a fired deadline this long after is a zombie: the checker closes it. */
export const ZOMBIE_GRACE_MS = 5_000;
/** How often deadlines and accept queues are checked (the zombie checker's beat). */
export const SWEEP_INTERVAL_MS = 100;

export class SessionSweep {
  readonly #log: Logger;
  readonly #zombieGraceMs: number;
  #deadlinesFired = 0;
  #zombiesClosed = 0;

  constructor(log: Logger, zombieGraceMs: number = ZOMBIE_GRACE_MS) {
    this.#log = log;
    this.#zombieGraceMs = zombieGraceMs;
  }

  /** Session deadlines fired, in all. */
  get deadlinesFired(): number {
    return this.#deadlinesFired;
  }

  /** Sessions the zombie checker closed, in all. */
  get zombiesClosed(): number {
    return this.#zombiesClosed;
  }

  /**
   * One beat at `now` (the sessions' clock). Cheap: one comparison per session. A session may leave
   * `sessions` while this runs (destroy() ends it at once); a Map's live iterator allows that.
   */
  check(sessions: Iterable<SweepableSession>, now: number): void {
    for (const session of sessions) {
      if (session.deadlineAt !== 0 && session.deadlineAt <= now) {
        this.#deadlinesFired++;
        session.onDeadline();
        session.overdueSince ||= now;
      } else {
        session.overdueSince = 0;
      }
      // The zombie checker (Sōzu): a session whose deadline fired but that is still past one long after
      // did not end by its own timeout handling. Close it, count it, say so.
      if (session.overdueSince !== 0 && now - session.overdueSince >= this.#zombieGraceMs) {
        this.#zombiesClosed++;
        this.#log.warn(
          { client: session.clientAddress, openForMs: now - session.openedAt, requests: session.requests },
          'zombie session closed: still open long after its deadline',
        );
        session.destroy();
      }
    }
  }
}

/** The snapshots sessions' transactions under way still run on: a replaced one is freed once unheld. */
export function snapshotsHeld(sessions: Iterable<SweepableSession>): Set<RuntimeSnapshot> {
  const inUse = new Set<RuntimeSnapshot>();
  for (const session of sessions) {
    if (session.transactionSnapshots !== undefined) {
      for (const held of session.transactionSnapshots()) inUse.add(held);
      continue;
    }
    const held = session.transactionSnapshot;
    if (held !== undefined) inUse.add(held);
  }
  return inUse;
}
