import { describe, expect, test } from 'vitest';
import type { Feature } from '../types.ts';
import { compileTest, testContext } from './test-env.test-suite.ts';

/** [what, comparison node, feature, matches?] */
type Row = readonly [string, Record<string, unknown>, Feature, boolean];

const SPECIAL: readonly Row[] = [
  ['is-null null', { 'is-null': null }, null, true],
  ['is-null empty string', { 'is-null': null }, '', false],
  ['is-null empty tuple', { 'is-null': null }, [], false],
  ['is-null zero', { 'is-null': null }, 0, false],
  ['is-empty null', { 'is-empty': null }, null, true],
  ['is-empty empty string', { 'is-empty': null }, '', true],
  ['is-empty empty tuple', { 'is-empty': null }, [], true],
  ['is-empty a space', { 'is-empty': null }, ' ', false],
  ['is-empty a tuple of one empty string', { 'is-empty': null }, [''], false],
  ['is-empty zero', { 'is-empty': null }, 0, false],
  ['is-empty false', { 'is-empty': null }, false, false],
  ['is-true true', { 'is-true': null }, true, true],
  ['is-true false', { 'is-true': null }, false, false],
  ['is-true the string "true"', { 'is-true': null }, 'true', false],
  ['is-true 1', { 'is-true': null }, 1, false],
  ['is-false false', { 'is-false': null }, false, true],
  ['is-false true', { 'is-false': null }, true, false],
  ['is-false null', { 'is-false': null }, null, false],
  ['is-false the string "false"', { 'is-false': null }, 'false', false],
];

const COMPOUND: readonly Row[] = [
  ['any-of first', { 'any-of': [{ prefix: '/a' }, { suffix: '.js' }] }, '/a.css', true],
  ['any-of second', { 'any-of': [{ prefix: '/a' }, { suffix: '.js' }] }, '/b.js', true],
  ['any-of none', { 'any-of': [{ prefix: '/a' }, { suffix: '.js' }] }, '/b.css', false],
  ['any-of a single mapping', { 'any-of': { prefix: '/a' } }, '/a', true],
  ['all-of both', { 'all-of': [{ prefix: '/a' }, { suffix: '.js' }] }, '/a.js', true],
  ['all-of one', { 'all-of': [{ prefix: '/a' }, { suffix: '.js' }] }, '/a.css', false],
  ['none-of none', { 'none-of': [{ prefix: '/a' }, { suffix: '.js' }] }, '/b.css', true],
  ['none-of one', { 'none-of': [{ prefix: '/a' }, { suffix: '.js' }] }, '/b.js', false],
  ['none-of as not', { 'none-of': [{ rxp: '(?:one)|(?:two)' }] }, 'three', true],
  [
    'nested compounds',
    { 'all-of': [{ 'any-of': [{ eq: 1 }, { eq: 2 }] }, { 'none-of': [{ eq: 2 }] }] },
    1,
    true,
  ],
  [
    'nested compounds, excluded',
    { 'all-of': [{ 'any-of': [{ eq: 1 }, { eq: 2 }] }, { 'none-of': [{ eq: 2 }] }] },
    2,
    false,
  ],
  ['for-any some element', { 'for-any': { prefix: 'gz' } }, ['br', 'gzip'], true],
  ['for-any no element', { 'for-any': { prefix: 'gz' } }, ['br', 'identity'], false],
  ['for-any an empty tuple', { 'for-any': { prefix: '' } }, [], false],
  ['for-any a non-tuple is a tuple of one', { 'for-any': { prefix: 'gz' } }, 'gzip', true],
  ['for-all every element', { 'for-all': { in: '10.0.0.0/8' } }, ['10.0.0.1', '10.9.9.9'], true],
  ['for-all one element fails', { 'for-all': { in: '10.0.0.0/8' } }, ['10.0.0.1', '11.0.0.1'], false],
  ['for-all an empty tuple', { 'for-all': { match: 'x' } }, [], true],
  ['for-all null is a tuple of one null', { 'for-all': { match: 'x' } }, null, false],
  ['for-none no element', { 'for-none': { match: 'x' } }, ['a', 'b'], true],
  ['for-none one element', { 'for-none': { match: 'x' } }, ['a', 'x'], false],
  ['for-none an empty tuple', { 'for-none': { match: 'x' } }, [], true],
  ['for-any with a compound inside', { 'for-any': { 'all-of': [{ gt: 1 }, { lt: 3 }] } }, [0, 2, 4], true],
  [
    'as-tuple position by position',
    { 'as-tuple': [{ match: 'GET' }, { prefix: '/api' }] },
    ['GET', '/api/x'],
    true,
  ],
  [
    'as-tuple one position fails',
    { 'as-tuple': [{ match: 'GET' }, { prefix: '/api' }] },
    ['PUT', '/api/x'],
    false,
  ],
  ['as-tuple extra elements are ignored', { 'as-tuple': [{ match: 'GET' }] }, ['GET', 'anything'], true],
  [
    'as-tuple extra comparisons are ignored',
    { 'as-tuple': [{ match: 'GET' }, { match: 'x' }] },
    ['GET'],
    true,
  ],
];

describe('is- comparisons', () => {
  test.each(SPECIAL)('%s', (_what, node, feature, expected) => {
    expect(compileTest(node)(feature, testContext())).toBe(expected);
  });
});

describe('compound comparisons', () => {
  test.each(COMPOUND)('%s', (_what, node, feature, expected) => {
    expect(compileTest(node)(feature, testContext())).toBe(expected);
  });

  test('any-of stops at the first match (its captures are the ones kept)', () => {
    const ctx = testContext();
    expect(compileTest({ 'any-of': [{ rxp: '^(a)' }, { rxp: '^(a)(b)' }] })('ab', ctx)).toBe(true);
    expect(ctx.captures).toEqual(['a', 'a']);
  });

  test('all-of keeps the captures of its last rxp when it matches', () => {
    const ctx = testContext();
    expect(compileTest({ 'all-of': [{ rxp: '^(a)' }, { rxp: '(b)$' }] })('ab', ctx)).toBe(true);
    expect(ctx.captures).toEqual(['b', 'b']);
  });

  test.each([
    ['all-of that fails after an rxp matched', { 'all-of': [{ rxp: '^(a)' }, { suffix: 'z' }] }, 'ab'],
    ['none-of whose rxp matched', { 'none-of': [{ rxp: '^(a)' }] }, 'ab'],
    ['for-all that fails after an rxp matched', { 'for-all': { rxp: '^(a)' } }, ['ab', 'b']],
    ['for-none whose rxp matched', { 'for-none': { rxp: '^(a)' } }, ['b', 'ab']],
    ['as-tuple that fails after an rxp matched', { 'as-tuple': [{ rxp: '^(a)' }, { eq: 1 }] }, ['ab', 2]],
    ['nested all-of inside any-of', { 'any-of': [{ 'all-of': [{ rxp: '(a)' }, { eq: 1 }] }] }, 'a'],
  ] as const)(
    'a comparison that does not match leaves the captures as they were: %s',
    (_what, node, feature) => {
      const ctx = testContext();
      ctx.captures = ['before'];
      expect(compileTest(node)(feature as Feature, ctx)).toBe(false);
      expect(ctx.captures).toEqual(['before']);
    },
  );

  test('for-any keeps the captures of the element that matched', () => {
    const ctx = testContext();
    expect(compileTest({ 'for-any': { rxp: '^id=(\\d+)' } })(['x=1', 'id=7', 'id=8'], ctx)).toBe(true);
    expect(ctx.captures).toEqual(['id=7', '7']);
  });

  test('compounds use the same feature expressions as their members', () => {
    const compiled = compileTest({ 'any-of': [{ match: '{var<a>}' }, { match: '{var<b>}' }] });
    expect(compiled('y', testContext({ a: 'x', b: 'y' }))).toBe(true);
    expect(compiled('z', testContext({ a: 'x', b: 'y' }))).toBe(false);
  });
});
