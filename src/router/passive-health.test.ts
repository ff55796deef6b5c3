import { describe, expect, test } from 'vitest';
import {
  FailureWindow,
  attemptVerdict,
  countAttempt,
  ejectionCapped,
  readmitExpired,
  recordFailure,
  recordSuccess,
  type HealthEvent,
  type PassiveHealthSettings,
} from './passive-health.ts';
import { UpstreamState } from './upstream-state.ts';
import { UpstreamPool } from '../connector/index.ts';
import type { Outcome } from '../strategies/index.ts';

const settings: PassiveHealthSettings = {
  consecutiveFailures: 3,
  failureRate: 0,
  minRequests: 20,
  windowMs: 10_000,
  ejectionMs: 1000,
  maxEjectionMs: 4000,
  // No cap: these tests judge one upstream alone.
  maxEjectionRatio: 1,
};
const refused = { status: 0, errorCode: 'JCT_ERR_CONNECT_REFUSED', durationMs: 1 };
const ok = { status: 200, errorCode: undefined, durationMs: 1 };

function upstream(id = 'a'): UpstreamState {
  return new UpstreamState(
    { id, host: '127.0.0.1', port: 1, weight: 1, tls: false },
    new UpstreamPool('127.0.0.1', 1, { maxIdle: 1, idleTimeoutMs: 1 }),
  );
}

/** One attempt's outcome charged to `u` at once, as the Router charges a request's last attempt. */
function recordOutcome(
  u: UpstreamState,
  outcome: Outcome,
  now: number,
  s: PassiveHealthSettings,
  peers: readonly UpstreamState[] = [u],
): HealthEvent {
  const verdict = attemptVerdict(outcome.errorCode);
  countAttempt(u, verdict);
  if (verdict === 'success') return recordSuccess(u, now, s);
  if (verdict === 'neutral') return undefined;
  return recordFailure(u, now, s, peers);
}

describe('passive health', () => {
  test('ejects after the configured number of consecutive failures, not before', () => {
    const u = upstream();
    expect(recordOutcome(u, refused, 0, settings)).toBeUndefined();
    expect(recordOutcome(u, refused, 0, settings)).toBeUndefined();
    expect(u.isUp).toBe(true);
    expect(recordOutcome(u, refused, 0, settings)).toBe('ejected');
    expect(u.isUp).toBe(false);
    expect(u.ejectedUntil).toBe(1000);
  });

  test('a success in between resets the count', () => {
    const u = upstream();
    recordOutcome(u, refused, 0, settings);
    recordOutcome(u, refused, 0, settings);
    recordOutcome(u, ok, 0, settings);
    recordOutcome(u, refused, 0, settings);
    expect(u.isUp).toBe(true);
  });

  test('failed TLS handshakes count; a full pool does not (it is a limit of the proxy itself)', () => {
    const tls = upstream();
    const exhausted = upstream();
    for (let i = 0; i < 3; i++) {
      recordOutcome(tls, { status: 0, errorCode: 'JCT_ERR_TLS_HANDSHAKE', durationMs: 1 }, 0, settings);
      recordOutcome(
        exhausted,
        { status: 0, errorCode: 'JCT_ERR_POOL_EXHAUSTED', durationMs: 1 },
        0,
        settings,
      );
    }
    expect(tls.isUp).toBe(false);
    expect(exhausted.isUp).toBe(true);
  });

  test('a client abort or a 4xx says nothing about the upstream', () => {
    const u = upstream();
    for (let i = 0; i < 5; i++) {
      recordOutcome(u, { status: 0, errorCode: 'JCT_ERR_CLIENT_ABORTED', durationMs: 1 }, 0, settings);
      recordOutcome(u, { status: 404, errorCode: undefined, durationMs: 1 }, 0, settings);
    }
    expect(u.isUp).toBe(true);
  });

  test('readmits on trial when the backoff ends; a failed trial doubles the backoff up to the cap', () => {
    const u = upstream();
    for (let i = 0; i < 3; i++) recordOutcome(u, refused, 0, settings);
    expect(readmitExpired([u], 999)).toBe(0);
    expect(readmitExpired([u], 1000)).toBe(1);
    expect(u.isUp && u.onTrial).toBe(true);
    expect(recordOutcome(u, refused, 1000, settings)).toBe('ejected');
    expect(u.ejectedUntil).toBe(3000);
    readmitExpired([u], 3000);
    recordOutcome(u, refused, 3000, settings);
    expect(u.ejectedUntil).toBe(7000);
    readmitExpired([u], 7000);
    recordOutcome(u, refused, 7000, settings);
    expect(u.ejectedUntil).toBe(11_000); // capped at 4000
    expect(u.ejectionsTotal).toBe(4);
  });

  test('a successful trial restores the upstream and resets the backoff', () => {
    const u = upstream();
    for (let i = 0; i < 3; i++) recordOutcome(u, refused, 0, settings);
    readmitExpired([u], 1000);
    expect(recordOutcome(u, ok, 1000, settings)).toBe('restored');
    expect(u.isUp).toBe(true);
    expect(u.ejections).toBe(0);
    // The metrics' total is never reset.
    expect(u.ejectionsTotal).toBe(1);
    expect(u.onTrial).toBe(false);
  });
});

describe('passive health: failure rate', () => {
  /** Only the rate rule: consecutive failures alone never eject here. */
  const rate: PassiveHealthSettings = {
    ...settings,
    consecutiveFailures: 0,
    failureRate: 0.5,
    minRequests: 10,
    windowMs: 10_000,
  };

  /** Alternates a success and a failure `pairs` times at `now`: a 50 % failure share. */
  function alternate(u: UpstreamState, pairs: number, now: number): void {
    for (let i = 0; i < pairs; i++) {
      recordOutcome(u, ok, now, rate);
      recordOutcome(u, refused, now, rate);
    }
  }

  test('ejects once the window holds min_requests and the failure share reaches the rate', () => {
    const u = upstream();
    alternate(u, 4, 0);
    recordOutcome(u, ok, 0, rate);
    expect(u.isUp).toBe(true); // 4 of 9: under min_requests
    expect(recordOutcome(u, refused, 0, rate)).toBe('ejected'); // 5 of 10 = 50 %
    expect(u.isUp).toBe(false);
    expect(u.passiveDown).toBe(true);
    expect(u.ejectionReason).toBe('5 of its last 10 requests failed');
    expect(u.ejectedUntil).toBe(1000);
  });

  test('a failure share under the rate never ejects, however many requests', () => {
    const u = upstream();
    for (let i = 0; i < 100; i++) {
      recordOutcome(u, ok, i, rate);
      recordOutcome(u, ok, i, rate);
      expect(recordOutcome(u, refused, i, rate)).toBeUndefined(); // 33 %
    }
    expect(u.isUp).toBe(true);
  });

  test('outcomes older than the window no longer count', () => {
    const u = upstream();
    // 9 failures, then the window slides past them: they must not combine with the later ones.
    for (let i = 0; i < 9; i++) recordOutcome(u, refused, 0, rate);
    expect(u.isUp).toBe(true);
    for (let i = 0; i < 9; i++) recordOutcome(u, ok, 10_000, rate);
    expect(recordOutcome(u, refused, 10_000, rate)).toBeUndefined(); // 1 of 10 once the old ones left
    expect(u.failureWindow!.requests).toBe(10);
    expect(u.failureWindow!.failures).toBe(1);
  });

  test('the window slides a slice at a time', () => {
    const window = new FailureWindow(1000); // slices of 100 ms
    window.record(0, true);
    window.record(450, true);
    window.record(950, false);
    expect([window.requests, window.failures]).toEqual([3, 2]);
    window.advance(999);
    expect(window.requests).toBe(3);
    window.advance(1000); // the slice [0, 100) slid out
    expect([window.requests, window.failures]).toEqual([2, 1]);
    window.advance(1500); // so did [400, 500)
    expect([window.requests, window.failures]).toEqual([1, 0]);
    window.advance(5000);
    expect([window.requests, window.failures]).toEqual([0, 0]);
  });

  test('an ejection clears the window, so a readmitted upstream starts afresh', () => {
    const u = upstream();
    alternate(u, 5, 0);
    expect(u.isUp).toBe(false);
    expect(u.failureWindow!.requests).toBe(0);
    // Outcomes of requests that were in flight at the ejection are not counted either.
    recordOutcome(u, refused, 10, rate);
    recordOutcome(u, ok, 10, rate);
    expect(u.failureWindow!.requests).toBe(0);

    expect(readmitExpired([u], 1000)).toBe(1);
    expect(recordOutcome(u, ok, 1000, rate)).toBe('restored');
    // One failure right after readmission is 1 of 2: over the rate, but far under min_requests.
    expect(recordOutcome(u, refused, 1001, rate)).toBeUndefined();
    expect(u.isUp).toBe(true);
    expect(u.failureWindow!.requests).toBe(2);
  });

  test('client aborts and statuses are not counted in the window', () => {
    const u = upstream();
    for (let i = 0; i < 20; i++) {
      recordOutcome(u, { status: 0, errorCode: 'JCT_ERR_CLIENT_ABORTED', durationMs: 1 }, 0, rate);
      recordOutcome(u, { status: 503, errorCode: undefined, durationMs: 1 }, 0, rate);
    }
    expect(u.failureWindow!.failures).toBe(0);
    expect(u.isUp).toBe(true);
  });

  test('with failure_rate 0 no window is kept', () => {
    const u = upstream();
    for (let i = 0; i < 50; i++) recordOutcome(u, i % 2 === 0 ? ok : refused, 0, settings);
    expect(u.failureWindow).toBeUndefined();
    expect(u.isUp).toBe(true);
  });

  test('the consecutive rule still applies beside the rate rule and names itself', () => {
    const u = upstream();
    const both = { ...rate, consecutiveFailures: 3 };
    for (let i = 0; i < 3; i++) recordOutcome(u, refused, 0, both);
    expect(u.isUp).toBe(false);
    expect(u.ejectionReason).toBe('3 consecutive failures');
  });
});

describe('upstream state: passive and active verdicts combine', () => {
  test('it is up only while neither has it down', () => {
    const u = upstream();
    u.activeDown = true;
    expect(u.isUp).toBe(false);
    u.passiveDown = true;
    u.activeDown = false;
    expect(u.isUp).toBe(false);
    u.passiveDown = false;
    expect(u.isUp).toBe(true);
  });

  test('a passive readmission does not override an active verdict', () => {
    const u = upstream();
    for (let i = 0; i < 3; i++) recordOutcome(u, refused, 0, settings);
    u.activeDown = true;
    readmitExpired([u], 1000);
    expect(u.passiveDown).toBe(false);
    expect(u.isUp).toBe(false);
    u.activeDown = false;
    expect(u.isUp && u.onTrial).toBe(true);
  });
});

describe('passive health: the ejection cap', () => {
  const capped: PassiveHealthSettings = { ...settings, consecutiveFailures: 1, maxEjectionRatio: 0.5 };

  function cluster(n: number): UpstreamState[] {
    return Array.from({ length: n }, (_, i) => upstream(`u${i}`));
  }

  test.each([
    // [backends, already ejected, ratio, may eject one more]
    [1, 0, 0.5, false], // the last healthy one
    [2, 0, 0.5, true],
    [2, 1, 0.5, false],
    [3, 0, 0.5, true],
    [3, 1, 0.5, false],
    [4, 1, 0.5, true],
    [4, 2, 0.5, false],
    [10, 0, 0.1, true], // at least one, whatever the share (Envoy)
    [10, 1, 0.1, false],
    [10, 2, 0.3, true], // 10 × 30 % is 3, not 2.9999
    [3, 0, 0, false], // 0 % ejects nothing
    [1, 0, 1, true], // 100 %: no cap at all
    [3, 2, 1, true],
  ])('%i backends, %i ejected, share %d: may eject another: %s', (n, ejected, ratio, allowed) => {
    const peers = cluster(n);
    for (let i = 0; i < ejected; i++) peers[i]!.passiveDown = true;
    expect(ejectionCapped(peers[n - 1]!, peers, ratio) === undefined).toBe(allowed);
  });

  test('backends down by active checks or being drained are not healthy others; drained ones are not counted', () => {
    const [a, b, c] = cluster(3);
    b!.activeDown = true;
    c!.draining = true;
    expect(ejectionCapped(a!, [a!, b!, c!], 0.5)).toMatch(/last healthy backend/);
    b!.activeDown = false;
    // 2 backends not draining: one may go.
    expect(ejectionCapped(a!, [a!, b!, c!], 0.5)).toBeUndefined();
  });

  test('a capped ejection is reported once, and again after a success clears it', () => {
    const [a, b] = cluster(2);
    b!.passiveDown = true;
    expect(recordOutcome(a!, refused, 0, capped, [a!, b!])).toBe('spared');
    expect(a!.spared).toMatch(/1 consecutive failures, but it is the last healthy backend/);
    expect(recordOutcome(a!, refused, 0, capped, [a!, b!])).toBeUndefined();
    expect(a!.passiveDown).toBe(false);
    recordOutcome(a!, ok, 0, capped, [a!, b!]);
    expect(a!.spared).toBe('');
    expect(recordOutcome(a!, refused, 0, capped, [a!, b!])).toBe('spared');
  });

  test('a trial that fails when the cap is reached stays on trial', () => {
    const [a, b, c] = cluster(3);
    for (let i = 0; i < 3; i++) recordOutcome(a!, refused, 0, settings, [a!, b!, c!]);
    readmitExpired([a!], 1000);
    b!.passiveDown = true; // meanwhile b went
    expect(recordOutcome(a!, refused, 1000, { ...settings, maxEjectionRatio: 0.5 }, [a!, b!, c!])).toBe(
      'spared',
    );
    expect(a!.onTrial && !a!.passiveDown).toBe(true);
  });
});
