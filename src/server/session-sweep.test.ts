import { describe, expect, test } from 'vitest';
import type { Logger } from '../log/index.ts';
import type { SweepableSession } from '../session/index.ts';
import type { RuntimeSnapshot } from '../transaction/index.ts';
import { SessionSweep, snapshotsHeld, ZOMBIE_GRACE_MS } from './session-sweep.ts';

/** A session as the sweep sees it; `onDeadline` does what the test says its own timeout handling does. */
class FakeSession implements SweepableSession {
  deadlineAt = 0;
  overdueSince = 0;
  readonly clientAddress = '192.0.2.7';
  readonly openedAt: number;
  readonly requests = 3;
  transactionSnapshot: RuntimeSnapshot | undefined = undefined;
  deadlinesSeen = 0;
  destroyed = 0;
  /** What the session's own deadline handling does; by default, it ends the session's wait (disarms). */
  handle: (self: FakeSession) => void = (self) => {
    self.deadlineAt = 0;
  };
  onDestroy: () => void = () => undefined;

  constructor(openedAt = 0) {
    this.openedAt = openedAt;
  }

  onDeadline(): void {
    this.deadlinesSeen++;
    this.handle(this);
  }

  destroy(): void {
    this.destroyed++;
    this.onDestroy();
  }
}

/** A session whose timeout handling re-arms the same passed deadline: it never ends by itself. */
const stuck = (self: FakeSession): void => {
  self.deadlineAt = 1;
};

function sweepWithLog() {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const log = {
    warn(fields: Record<string, unknown>, message: string) {
      warnings.push({ fields, message });
    },
  } as unknown as Logger;
  return { sweep: new SessionSweep(log), warnings };
}

describe('SessionSweep', () => {
  test('leaves a session with no deadline, or one still ahead, alone', () => {
    const { sweep } = sweepWithLog();
    const none = new FakeSession();
    const ahead = new FakeSession();
    ahead.deadlineAt = 2_000;
    sweep.check([none, ahead], 1_999);
    expect([none.deadlinesSeen, ahead.deadlinesSeen]).toEqual([0, 0]);
    expect([none.overdueSince, ahead.overdueSince]).toEqual([0, 0]);
    expect(sweep.deadlinesFired).toBe(0);
  });

  test('fires a deadline that has passed, or is due now, once, and counts it', () => {
    const { sweep } = sweepWithLog();
    const passed = new FakeSession();
    passed.deadlineAt = 500;
    const due = new FakeSession();
    due.deadlineAt = 1_000;
    sweep.check([passed, due], 1_000);
    expect([passed.deadlinesSeen, due.deadlinesSeen]).toEqual([1, 1]);
    expect(sweep.deadlinesFired).toBe(2);
    // Their handling disarmed the deadlines: the next beat fires nothing.
    sweep.check([passed, due], 1_100);
    expect(sweep.deadlinesFired).toBe(2);
    expect([passed.destroyed, due.destroyed]).toEqual([0, 0]);
  });

  test('marks a session overdue from the first fired deadline, and clears the mark once it is not', () => {
    const { sweep } = sweepWithLog();
    const session = new FakeSession();
    session.handle = stuck;
    session.deadlineAt = 1;
    sweep.check([session], 1_000);
    sweep.check([session], 1_100);
    expect(session.overdueSince).toBe(1_000);
    // Its handling finally re-arms a deadline ahead: no longer overdue.
    session.deadlineAt = 5_000;
    sweep.check([session], 1_200);
    expect(session.overdueSince).toBe(0);
  });

  test('closes a session still past its deadline ZOMBIE_GRACE_MS after it fired, not before', () => {
    const { sweep, warnings } = sweepWithLog();
    const zombie = new FakeSession(400);
    zombie.handle = stuck;
    zombie.deadlineAt = 1;
    const healthy = new FakeSession();
    healthy.deadlineAt = 1;
    sweep.check([zombie, healthy], 1_000);
    sweep.check([zombie, healthy], 1_000 + ZOMBIE_GRACE_MS - 1);
    expect(zombie.destroyed).toBe(0);
    expect(sweep.zombiesClosed).toBe(0);

    sweep.check([zombie, healthy], 1_000 + ZOMBIE_GRACE_MS);
    expect(zombie.destroyed).toBe(1);
    expect(healthy.destroyed).toBe(0);
    expect(sweep.zombiesClosed).toBe(1);
    expect(warnings).toEqual([
      {
        fields: { client: '192.0.2.7', openForMs: 1_000 + ZOMBIE_GRACE_MS - 400, requests: 3 },
        message: 'zombie session closed: still open long after its deadline',
      },
    ]);
  });

  test('a zombie leaving the set while it is swept does not stop the beat for the others', () => {
    const { sweep } = sweepWithLog();
    const sessions = new Map<FakeSession, true>();
    const zombie = new FakeSession();
    zombie.handle = stuck;
    zombie.deadlineAt = 1;
    zombie.overdueSince = 1;
    zombie.onDestroy = () => sessions.delete(zombie);
    const next = new FakeSession();
    next.deadlineAt = 10;
    sessions.set(zombie, true).set(next, true);
    sweep.check(sessions.keys(), ZOMBIE_GRACE_MS + 1);
    expect(zombie.destroyed).toBe(1);
    expect([...sessions.keys()]).toEqual([next]);
    expect(next.deadlinesSeen).toBe(1);
  });
});

describe('snapshotsHeld', () => {
  test('collects the snapshots held by sessions with a transaction under way, each once', () => {
    const old = { version: 1 } as unknown as RuntimeSnapshot;
    const current = { version: 2 } as unknown as RuntimeSnapshot;
    const sessions = [old, current, old, undefined].map((held) => {
      const session = new FakeSession();
      session.transactionSnapshot = held;
      return session;
    });
    expect(snapshotsHeld(sessions)).toEqual(new Set([old, current]));
    expect(snapshotsHeld([new FakeSession()]).size).toBe(0);
  });
});
