import { describe, expect, test } from 'vitest';
import { describeStrategyContract, makeInput, seededEnv, TestUpstream } from '../contract.test-suite.ts';
import { leastConnections } from './least-connections.ts';

describeStrategyContract({ name: 'least-connections', plugin: leastConnections, options: {} });
describeStrategyContract({
  name: 'least-connections (random ties)',
  plugin: leastConnections,
  options: { ties: 'random' },
});

const input = makeInput();

describe('least-connections', () => {
  test('picks the fewest in flight per unit of weight', () => {
    const a = new TestUpstream('a', 1, true, 3);
    const b = new TestUpstream('b', 2, true, 4); // 2 per unit of weight
    const c = new TestUpstream('c', 1, true, 5);
    const s = leastConnections.create({ ties: 'round-robin' }, [a, b, c], seededEnv());
    expect(s.select(input, undefined)).toBe(b);
    expect(s.select(input, new Set([b]))).toBe(a);
  });

  test('breaks ties round robin, so an idle cluster is not all sent to the first upstream', () => {
    const members = [new TestUpstream('a'), new TestUpstream('b'), new TestUpstream('c')];
    const s = leastConnections.create({ ties: 'round-robin' }, members, seededEnv());
    expect(Array.from({ length: 6 }, () => s.select(input, undefined)?.id)).toEqual([
      'a',
      'b',
      'c',
      'a',
      'b',
      'c',
    ]);
  });

  test.each(['round-robin', 'random'] as const)(
    'with simulated load, weights 1:2:3 get 1:2:3 of 60,000 requests within ±2 %% (ties: %s)',
    (ties) => {
      const members = [new TestUpstream('a', 1), new TestUpstream('b', 2), new TestUpstream('c', 3)];
      const env = seededEnv(7);
      const s = leastConnections.create({ ties }, members, env);
      // Each request holds its upstream for 12 picks' time: a steady 12 requests in flight.
      const live: TestUpstream[] = [];
      const counts = new Map<string, number>();
      for (let i = 0; i < 60_000; i++) {
        if (live.length === 12) live.shift()!.inFlight--;
        const picked = s.select(input, undefined) as TestUpstream;
        picked.inFlight++;
        live.push(picked);
        counts.set(picked.id, (counts.get(picked.id) ?? 0) + 1);
      }
      expect(Math.abs(counts.get('a')! / 60_000 - 1 / 6)).toBeLessThan(0.02);
      expect(Math.abs(counts.get('b')! / 60_000 - 2 / 6)).toBeLessThan(0.02);
      expect(Math.abs(counts.get('c')! / 60_000 - 3 / 6)).toBeLessThan(0.02);
    },
  );

  test('validates options and suggests the closest', () => {
    expect(leastConnections.parseOptions({})).toEqual({ ties: 'round-robin' });
    expect(() => leastConnections.parseOptions({ tie: 'random' })).toThrow(
      /unknown option 'tie'; did you mean 'ties'\?/,
    );
    expect(() => leastConnections.parseOptions({ ties: 'randon' })).toThrow(
      /must be one of round-robin, random.*did you mean 'random'/,
    );
  });
});
