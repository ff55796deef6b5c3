import { describe, expect, test } from 'vitest';
import {
  countPicks,
  describeStrategyContract,
  makeInput,
  seededEnv,
  TestUpstream,
  upstreams,
} from '../contract.test-suite.ts';
import { failover, type FailoverOptions } from './failover.ts';

describeStrategyContract({ name: 'failover', plugin: failover, options: { groups: [['a', 'b'], ['c']] } });
describeStrategyContract({
  name: 'failover (first)',
  plugin: failover,
  options: { groups: [['d'], ['b', 'a']], within: 'first' },
});

const input = makeInput();

function setup(options: FailoverOptions): { members: TestUpstream[]; s: ReturnType<typeof failover.create> } {
  const members = upstreams('p1', 'p2', 's1', 's2', 'x');
  return { members, s: failover.create(options, members, seededEnv()) };
}

describe('failover', () => {
  test('uses the primary group, round robin, while any primary is up', () => {
    const { members, s } = setup({
      groups: [
        ['p1', 'p2'],
        ['s1', 's2'],
      ],
      within: 'round-robin',
    });
    expect(Object.fromEntries(countPicks(s, 100))).toEqual({ p1: 50, p2: 50 });
    members[0]!.isUp = false;
    expect(Object.fromEntries(countPicks(s, 100))).toEqual({ p2: 100 });
  });

  test('moves to the secondary when every primary is down or already tried, then to the unlisted', () => {
    const { members, s } = setup({
      groups: [
        ['p1', 'p2'],
        ['s1', 's2'],
      ],
      within: 'round-robin',
    });
    const [p1, p2, s1, s2] = members as [TestUpstream, TestUpstream, TestUpstream, TestUpstream];
    p1.isUp = false;
    expect(Object.fromEntries(countPicks(s, 100, [input], new Set([p2])))).toEqual({ s1: 50, s2: 50 });
    s1.isUp = false;
    s2.isUp = false;
    expect(s.select(input, new Set([p2]))?.id).toBe('x');
    p1.isUp = true;
    expect(s.select(input, new Set([p2]))?.id).toBe('p1');
  });

  test('within: first takes the first usable in the order listed', () => {
    const { members, s } = setup({ groups: [['p2', 'p1']], within: 'first' });
    expect(Object.fromEntries(countPicks(s, 10))).toEqual({ p2: 10 });
    expect(s.select(input, new Set([members[1]!]))?.id).toBe('p1');
  });

  test('ids that name no member are ignored, and take effect when the member appears', () => {
    const { members, s } = setup({ groups: [['later'], ['p1']], within: 'first' });
    expect(s.select(input, undefined)?.id).toBe('p1');
    s.membersChanged!([...members, new TestUpstream('later')]);
    expect(s.select(input, undefined)?.id).toBe('later');
  });

  test('validates options', () => {
    expect(failover.parseOptions({ groups: [['a'], ['b', 'c']] })).toEqual({
      groups: [['a'], ['b', 'c']],
      within: 'round-robin',
    });
    expect(() => failover.parseOptions({})).toThrow(/'groups' is required/);
    expect(() => failover.parseOptions({ groups: ['a'] })).toThrow(/groups\[0\] must be a non-empty list/);
    expect(() => failover.parseOptions({ groups: [['a'], ['a']] })).toThrow(
      /'a' is listed in more than one place/,
    );
    expect(() => failover.parseOptions({ groups: [[1]] })).toThrow(/groups\[0\]\[0\] must be a backend id/);
    expect(() => failover.parseOptions({ group: [['a']] })).toThrow(
      /unknown option 'group'; did you mean 'groups'\?/,
    );
    expect(() => failover.parseOptions({ groups: [['a']], within: 'frist' })).toThrow(/did you mean 'first'/);
  });
});
