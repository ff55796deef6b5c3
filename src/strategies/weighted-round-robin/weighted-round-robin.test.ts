import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  countPicks,
  describeStrategyContract,
  fcSettings,
  makeInput,
  seededEnv,
  TestUpstream,
} from '../contract.test-suite.ts';
import { weightedRoundRobin } from './weighted-round-robin.ts';

describeStrategyContract({ name: 'weighted-round-robin', plugin: weightedRoundRobin, options: {} });

const input = makeInput();
const create = (members: TestUpstream[]) => weightedRoundRobin.create({}, members, seededEnv());

describe('weighted-round-robin', () => {
  test('spreads a heavy upstream out: weights 5:1:1 give nginx’s a a b a c a a', () => {
    const s = create([new TestUpstream('a', 5), new TestUpstream('b', 1), new TestUpstream('c', 1)]);
    const picks = Array.from({ length: 14 }, () => s.select(input, undefined)?.id).join(' ');
    expect(picks).toBe('a a b a c a a a a b a c a a');
  });

  test('every window of sum(weights) picks holds exactly each weight (1:2:3 over 60,000 picks)', () => {
    const s = create([new TestUpstream('a', 1), new TestUpstream('b', 2), new TestUpstream('c', 3)]);
    for (let window = 0; window < 10_000; window++) {
      const counts = countPicks(s, 6);
      expect([counts.get('a'), counts.get('b'), counts.get('c')]).toEqual([1, 2, 3]);
    }
  });

  test('property: for any weights, each window of sum(weights) picks holds each weight exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 8 }), (weights) => {
        const s = create(weights.map((w, i) => new TestUpstream(`u${i}`, w)));
        const total = weights.reduce((a, b) => a + b, 0);
        for (let window = 0; window < 3; window++) {
          const counts = countPicks(s, total);
          weights.forEach((w, i) => {
            expect(counts.get(`u${i}`)).toBe(w);
          });
        }
      }),
      fcSettings('weighted-round-robin exact windows'),
    );
  });

  test('a down or excluded upstream sits out and the others keep their proportions', () => {
    const a = new TestUpstream('a', 1);
    const b = new TestUpstream('b', 2);
    const c = new TestUpstream('c', 3);
    const s = create([a, b, c]);
    b.isUp = false;
    const counts = countPicks(s, 4000);
    expect([counts.get('a'), counts.get('b'), counts.get('c')]).toEqual([1000, undefined, 3000]);
    b.isUp = true;
    const excluded = countPicks(s, 3000, [input], new Set([c]));
    expect([excluded.get('a'), excluded.get('b')]).toEqual([1000, 2000]);
  });

  test('rejects options, naming them', () => {
    expect(() => weightedRoundRobin.parseOptions({ weights: 1 })).toThrow(
      /takes no options \(got 'weights'\)/,
    );
  });
});
