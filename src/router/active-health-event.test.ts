import { describe, expect, test } from 'vitest';
import { UpstreamPool } from '../connector/index.ts';
import {
  activeHealthEvent,
  applyActiveHealthEvent,
  isActiveHealthEvent,
  recordCheck,
  type ActiveHealthEvent,
  type ActiveHealthSettings,
} from './active-health.ts';
import { UpstreamState } from './upstream-state.ts';

function upstream(id = 'a'): UpstreamState {
  return new UpstreamState(
    { id, host: '127.0.0.1', port: 1, weight: 1, tls: false },
    new UpstreamPool('127.0.0.1', 1, { maxIdle: 1, idleTimeoutMs: 1 }),
  );
}

const SETTINGS = {
  unhealthyThreshold: 2,
  healthyThreshold: 2,
  expectStatuses: [[200, 399]],
} as unknown as ActiveHealthSettings;

describe('active health events', () => {
  test("a follower applying the runner's events holds the runner's state", () => {
    const runner = upstream();
    const follower = upstream();
    const results = [
      { status: 200, errorCode: undefined },
      { status: 503, errorCode: undefined },
      { status: 0, errorCode: 'JCT_ERR_CONNECT_REFUSED' as const },
      { status: 0, errorCode: 'JCT_ERR_CONNECT_REFUSED' as const },
      { status: 200, errorCode: undefined },
    ];
    const transitions: unknown[] = [];
    for (const [i, result] of results.entries()) {
      const transition = recordCheck(runner, result, SETTINGS);
      const event = activeHealthEvent('c', runner, result, transition, 1000 + i);
      expect(isActiveHealthEvent(JSON.parse(JSON.stringify(event)))).toBe(true);
      transitions.push(applyActiveHealthEvent(follower, event));
      for (const field of [
        'activeDown',
        'checks',
        'lastCheckStatus',
        'lastCheckError',
        'checkSuccesses',
        'checkFailures',
      ] as const) {
        expect(follower[field], `${field} after check ${i}`).toEqual(runner[field]);
      }
    }
    expect(transitions).toEqual([undefined, undefined, 'marked-down', undefined, undefined]);
  });

  test("a follower that missed earlier checks takes the runner's verdict at once", () => {
    const follower = upstream();
    const event: ActiveHealthEvent = {
      cluster: 'c',
      backend: 'a',
      result: 'down',
      passed: false,
      changed: false,
      status: 503,
      reason: 'status 503',
      at: 1,
    };
    expect(applyActiveHealthEvent(follower, event)).toBe('marked-down');
    expect(follower.activeDown).toBe(true);
    expect(follower.healthy).toBe(false);
  });

  test.each([
    ['null', null],
    ['a string', 'up'],
    [
      'no backend',
      { cluster: 'c', result: 'up', passed: true, changed: false, status: 200, reason: '', at: 1 },
    ],
    [
      'a result that is neither up nor down',
      {
        cluster: 'c',
        backend: 'a',
        result: 'maybe',
        passed: true,
        changed: false,
        status: 200,
        reason: '',
        at: 1,
      },
    ],
    [
      'a code that is not a Junction error code',
      {
        cluster: 'c',
        backend: 'a',
        result: 'down',
        passed: false,
        changed: false,
        status: 0,
        code: 'EOF',
        reason: '',
        at: 1,
      },
    ],
  ])('isActiveHealthEvent refuses %s', (_what, value) => {
    expect(isActiveHealthEvent(value)).toBe(false);
  });
});
