import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { closestMatch, didYouMean, editDistance } from './edit-distance.ts';

describe('editDistance', () => {
  test.each<[string, string, number]>([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['port', 'port', 0],
    ['prot', 'port', 1],
    ['max_conections', 'max_connections', 1],
    ['kitten', 'sitting', 3],
    ['round-robn', 'round-robin', 1],
  ])('%s → %s is %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });

  propTest.prop([fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 })])(
    'is symmetric and bounded by the longer length',
    (a, b) => {
      expect(editDistance(a, b)).toBe(editDistance(b, a));
      expect(editDistance(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length));
      expect(editDistance(a, a)).toBe(0);
    },
  );
});

describe('closestMatch and didYouMean', () => {
  const keys = ['name', 'address', 'port', 'max_connections'];
  test.each<[string, string | undefined]>([
    ['max_conections', 'max_connections'],
    ['adress', 'address'],
    ['PORT', 'port'],
    ['prot', 'port'],
    ['bananas', undefined],
    ['x', undefined],
  ])('%s → %s', (word, expected) => {
    expect(closestMatch(word, keys)).toBe(expected);
  });

  test('didYouMean phrases the suggestion, or says nothing', () => {
    expect(didYouMean('prot', keys)).toBe("; did you mean 'port'?");
    expect(didYouMean('bananas', keys)).toBe('');
  });
});
