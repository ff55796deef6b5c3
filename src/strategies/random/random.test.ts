import { describe, expect, test } from 'vitest';
import {
  countPicks,
  describeStrategyContract,
  makeInput,
  seededEnv,
  TestUpstream,
} from '../contract.test-suite.ts';
import { random } from './random.ts';

describeStrategyContract({ name: 'random (weighted)', plugin: random, options: {} });
describeStrategyContract({ name: 'random (uniform)', plugin: random, options: { weighted: false } });

const input = makeInput();
const N = 60_000;

function share(counts: Map<string, number>, id: string): number {
  return (counts.get(id) ?? 0) / N;
}

describe('random', () => {
  test('weighted: weights 1:2:3 get 1:2:3 of 60,000 picks within ±2 %', () => {
    const members = [new TestUpstream('a', 1), new TestUpstream('b', 2), new TestUpstream('c', 3)];
    const counts = countPicks(random.create({ weighted: true }, members, seededEnv(11)), N);
    expect(Math.abs(share(counts, 'a') - 1 / 6)).toBeLessThan(0.02);
    expect(Math.abs(share(counts, 'b') - 2 / 6)).toBeLessThan(0.02);
    expect(Math.abs(share(counts, 'c') - 3 / 6)).toBeLessThan(0.02);
  });

  test('uniform: weights are ignored (±2 %)', () => {
    const members = [new TestUpstream('a', 1), new TestUpstream('b', 2), new TestUpstream('c', 3)];
    const counts = countPicks(random.create({ weighted: false }, members, seededEnv(12)), N);
    for (const id of ['a', 'b', 'c']) expect(Math.abs(share(counts, id) - 1 / 3)).toBeLessThan(0.02);
  });

  test('with the heaviest excluded, the rest keep their proportions (1:2 within ±2 %)', () => {
    const members = [new TestUpstream('a', 1), new TestUpstream('b', 2), new TestUpstream('c', 30)];
    const counts = countPicks(
      random.create({ weighted: true }, members, seededEnv(13)),
      N,
      [input],
      new Set([members[2]!]),
    );
    expect(Math.abs(share(counts, 'a') - 1 / 3)).toBeLessThan(0.02);
    expect(Math.abs(share(counts, 'b') - 2 / 3)).toBeLessThan(0.02);
  });

  test('validates options', () => {
    expect(random.parseOptions({})).toEqual({ weighted: true });
    expect(() => random.parseOptions({ weight: true })).toThrow(
      /unknown option 'weight'; did you mean 'weighted'\?/,
    );
    expect(() => random.parseOptions({ weighted: 'yes' })).toThrow(
      /'weighted' must be true or false, got 'yes'/,
    );
  });
});
