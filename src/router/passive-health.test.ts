import { describe, expect, test } from 'vitest';
import { readmitExpired, recordOutcome, type PassiveHealthSettings } from './passive-health.ts';
import { UpstreamState } from './upstream-state.ts';
import { UpstreamPool } from '../connector/index.ts';

const settings: PassiveHealthSettings = {
  consecutiveFailures: 3,
  failureRate: 0,
  minRequests: 20,
  windowMs: 10_000,
  ejectionMs: 1000,
  maxEjectionMs: 4000,
};
const refused = { status: 0, errorCode: 'JCT_ERR_CONNECT_REFUSED', durationMs: 1 };
const ok = { status: 200, errorCode: undefined, durationMs: 1 };

function upstream(): UpstreamState {
  return new UpstreamState(
    { id: 'a', host: '127.0.0.1', port: 1, weight: 1, tls: false },
    new UpstreamPool('127.0.0.1', 1, { maxIdle: 1, idleTimeoutMs: 1 }),
  );
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
  });

  test('a successful trial restores the upstream and resets the backoff', () => {
    const u = upstream();
    for (let i = 0; i < 3; i++) recordOutcome(u, refused, 0, settings);
    readmitExpired([u], 1000);
    expect(recordOutcome(u, ok, 1000, settings)).toBe('restored');
    expect(u.isUp).toBe(true);
    expect(u.ejections).toBe(0);
    expect(u.onTrial).toBe(false);
  });
});
