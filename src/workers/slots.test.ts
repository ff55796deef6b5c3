import { describe, expect, test } from 'vitest';
import { RestartBackoff } from './restart-backoff.ts';
import { deathMessage, decideExit, type ExitFacts } from './slots.ts';

const POLICY = { initialDelayMs: 100, maxDelayMs: 1_000, stableAfterMs: 10_000, crashLoopAfter: 3 };

/** A worker of a started group that served from t=1000 and died unexpectedly at t=1500. */
const DEATH: ExitFacts = {
  ownsSlot: true,
  retiring: false,
  closing: false,
  started: true,
  servingSince: 1_000,
  exitAt: 1_500,
};

describe('decideExit', () => {
  test('a worker that is no longer its slot’s is ignored, and counts no death', () => {
    const backoff = new RestartBackoff(POLICY);
    expect(decideExit({ ...DEATH, ownsSlot: false }, backoff)).toEqual({ kind: 'ignore' });
    expect(backoff.failures).toBe(0);
  });

  test('while the group closes or still starts, an exit is only recorded', () => {
    const backoff = new RestartBackoff(POLICY);
    expect(decideExit({ ...DEATH, closing: true }, backoff)).toEqual({ kind: 'record' });
    expect(decideExit({ ...DEATH, started: false }, backoff)).toEqual({ kind: 'record' });
    expect(backoff.failures).toBe(0);
  });

  test('a worker retired on purpose is replaced at once, outside the backoff', () => {
    const backoff = new RestartBackoff(POLICY);
    expect(decideExit({ ...DEATH, retiring: true }, backoff)).toEqual({
      kind: 'replace',
      delayMs: 0,
      uptimeMs: 500,
      restart: null,
    });
    expect(backoff.failures).toBe(0);
  });

  test('deaths in a row back off, then are a crash loop', () => {
    const backoff = new RestartBackoff(POLICY);
    const actions = [1, 2, 3].map(() => decideExit(DEATH, backoff));
    expect(actions.map((a) => (a.kind === 'replace' ? a.delayMs : -1))).toEqual([0, 100, 200]);
    const last = actions[2]!;
    expect(last.kind === 'replace' && last.restart).toMatchObject({ failures: 3, crashLoop: true });
  });

  test('a worker that never served has no uptime; one that served long enough resets the count', () => {
    const backoff = new RestartBackoff(POLICY);
    decideExit(DEATH, backoff);
    decideExit(DEATH, backoff);
    expect(decideExit({ ...DEATH, servingSince: 0 }, backoff)).toMatchObject({ uptimeMs: 0, delayMs: 200 });
    const healthy = decideExit({ ...DEATH, servingSince: 1_000, exitAt: 20_000 }, backoff);
    expect(healthy).toMatchObject({ kind: 'replace', delayMs: 0, uptimeMs: 19_000 });
    expect(backoff.failures).toBe(1);
  });
});

describe('deathMessage', () => {
  const exit = { code: null, signal: 'SIGKILL', at: 0 };
  test('names the exit and the delay, or the crash loop', () => {
    expect(deathMessage(2, 42, exit, { delayMs: 0, failures: 1, crashLoop: false })).toBe(
      'worker 2 (pid 42) died (signal SIGKILL): replacing it',
    );
    expect(deathMessage(2, 42, exit, { delayMs: 100, failures: 2, crashLoop: false })).toBe(
      'worker 2 (pid 42) died (signal SIGKILL): replacing it in 100 ms',
    );
    expect(deathMessage(2, 42, exit, { delayMs: 200, failures: 3, crashLoop: true })).toBe(
      'worker 2 is in a crash loop (3 quick deaths in a row): next start in 200 ms',
    );
  });
});
