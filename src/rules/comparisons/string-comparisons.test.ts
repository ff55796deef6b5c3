import { describe, expect, test } from 'vitest';
import { Duration, IpAddress, type Feature } from '../types.ts';
import { compileTest, testContext } from './test-env.test-suite.ts';

const IP_10_0_0_1 = new IpAddress(4, Uint8Array.of(10, 0, 0, 1), '10.0.0.1');

/** [what, comparison node, feature, matches?] */
type Row = readonly [string, Record<string, unknown>, Feature, boolean];

const ROWS: readonly Row[] = [
  ['match equal', { match: 'example.com' }, 'example.com', true],
  ['match differs', { match: 'example.com' }, 'example.org', false],
  ['match is case-sensitive', { match: 'example.com' }, 'Example.com', false],
  ['match<nc> ignores case', { 'match<nc>': 'Example.COM' }, 'eXample.com', true],
  ['match<nc> still needs equality', { 'match<nc>': 'Example.COM' }, 'example.co', false],
  ['match empty string', { match: '' }, '', true],
  ['match list: any value', { match: ['a', 'b', 'c'] }, 'b', true],
  ['match list: none', { match: ['a', 'b', 'c'] }, 'd', false],
  ['match<nc> list', { 'match<nc>': ['A', 'B'] }, 'b', true],
  ['match a number literal against text', { match: 200 }, '200', true],
  ['match a boolean literal against text', { match: true }, 'true', true],
  ['match an integer feature by its text', { match: '200' }, 200, true],
  ['match a boolean feature by its text', { match: 'false' }, false, true],
  ['match an IP address feature by its text', { match: '10.0.0.1' }, IP_10_0_0_1, true],
  ['match a duration feature by its text', { match: '30 ms' }, new Duration(30), true],
  ['match never matches null', { match: '' }, null, false],
  ['match never matches a tuple', { match: 'a' }, ['a'], false],
  ['prefix', { prefix: '/api/' }, '/api/users', true],
  ['prefix equal', { prefix: '/api/' }, '/api/', true],
  ['prefix not', { prefix: '/api/' }, '/apx/users', false],
  ['prefix longer than feature', { prefix: '/api/' }, '/api', false],
  ['prefix list', { prefix: ['/api/', '/v2/'] }, '/v2/x', true],
  ['prefix<nc>', { 'prefix<nc>': '/API/' }, '/Api/x', true],
  ['prefix empty always', { prefix: '' }, 'anything', true],
  ['suffix', { suffix: '.js' }, '/app.js', true],
  ['suffix not', { suffix: '.js' }, '/app.json', false],
  ['suffix<nc>', { 'suffix<nc>': '.JS' }, '/app.Js', true],
  ['suffix list', { suffix: ['.css', '.js'] }, '/a.css', true],
  ['contains', { contains: 'zreb' }, 'potzrebie', true],
  ['contains not', { contains: 'zri' }, 'potzrebie', false],
  ['contains<nc>', { 'contains<nc>': 'ZREB' }, 'potzrebie', true],
  ['tld the name itself', { tld: 'example.com' }, 'example.com', true],
  ['tld a name under it', { tld: 'example.com' }, 'a.example.com', true],
  ['tld deeper', { tld: 'example.com' }, 'a.b.example.com', true],
  ['tld not a label boundary', { tld: 'example.com' }, 'badexample.com', false],
  ['tld other domain', { tld: 'example.com' }, 'example.org', false],
  ['tld shorter feature', { tld: 'example.com' }, 'com', false],
  ['tld with a leading dot value', { tld: '.example.com' }, 'example.com', true],
  ['tld is case-sensitive', { tld: 'example.com' }, 'a.EXAMPLE.com', false],
  ['tld<nc>', { 'tld<nc>': 'Example.Com' }, 'a.EXAMPLE.com', true],
  ['tld list', { tld: ['example.org', 'example.com'] }, 'www.example.com', true],
  ['path exact', { path: '/api' }, '/api', true],
  ['path trailing slash', { path: '/api' }, '/api/', true],
  ['path not a longer name', { path: '/api' }, '/apix', false],
  ['path not below', { path: '/api' }, '/api/users', false],
  ['path not two slashes', { path: '/api' }, '/api//', false],
  ['path value with its slash', { path: '/api/' }, '/api', true],
  ['path value with its slash, feature too', { path: '/api/' }, '/api/', true],
  ['path<nc>', { 'path<nc>': '/API' }, '/Api/', true],
  ['path list', { path: ['/a', '/b'] }, '/b/', true],
  ['rxp', { rxp: '^/users/(\\d+)$' }, '/users/42', true],
  ['rxp no match', { rxp: '^/users/(\\d+)$' }, '/users/x', false],
  ['rxp is unanchored', { rxp: 'b+' }, 'abbbc', true],
  ['rxp is case-sensitive', { rxp: '^abc$' }, 'ABC', false],
  ['rxp<nc>', { 'rxp<nc>': '^abc$' }, 'ABC', true],
  ['rxp with braces is literal', { rxp: '^a{2,3}$' }, 'aaa', true],
  ['rxp list', { rxp: ['^x', '^y'] }, 'yes', true],
  ['rxp on an integer feature', { rxp: '^2\\d\\d$' }, 204, true],
  ['rxp never matches null', { rxp: '.*' }, null, false],
];

describe('string comparisons', () => {
  test.each(ROWS)('%s', (_what, node, feature, expected) => {
    expect(compileTest(node)(feature, testContext())).toBe(expected);
  });

  test('rxp sets the captures: the whole match, then each group, an unmatched group as ""', () => {
    const ctx = testContext();
    expect(compileTest({ rxp: '^/users/(\\d+)(/edit)?(?:/(x))?' })('/users/42/edit/more', ctx)).toBe(true);
    expect(ctx.captures).toEqual(['/users/42/edit', '42', '/edit', '']);
  });

  test('rxp leaves the captures alone when it does not match', () => {
    const ctx = testContext();
    ctx.captures = ['before'];
    expect(compileTest({ rxp: '^(z)' })('abc', ctx)).toBe(false);
    expect(ctx.captures).toEqual(['before']);
  });

  test('rxp list: the first pattern that matches sets the captures', () => {
    const ctx = testContext();
    expect(compileTest({ rxp: ['^(a)(b)', '^(a)'] })('ab', ctx)).toBe(true);
    expect(ctx.captures).toEqual(['ab', 'a', 'b']);
    expect(compileTest({ rxp: ['^(z)', '^(a)'] })('ab', ctx)).toBe(true);
    expect(ctx.captures).toEqual(['a', 'a']);
  });

  test('the other string comparisons do not touch the captures', () => {
    const ctx = testContext();
    ctx.captures = ['kept'];
    expect(compileTest({ prefix: 'a' })('abc', ctx)).toBe(true);
    expect(ctx.captures).toEqual(['kept']);
  });

  test('a compiled rxp is reusable: no lastIndex state between calls', () => {
    const compiled = compileTest({ rxp: 'a' });
    const ctx = testContext();
    for (let i = 0; i < 3; i++) expect(compiled('a', ctx)).toBe(true);
  });
});

describe('string comparisons with feature expressions as values', () => {
  /** [what, node, variables, feature, matches?] */
  const DYNAMIC: readonly (readonly [
    string,
    Record<string, unknown>,
    Record<string, Feature>,
    Feature,
    boolean,
  ])[] = [
    ['match a variable', { match: '{var<host>}' }, { host: 'example.com' }, 'example.com', true],
    [
      'match a variable that differs',
      { match: '{var<host>}' },
      { host: 'example.org' },
      'example.com',
      false,
    ],
    ['match an unset variable (null) never', { match: '{var<host>}' }, {}, '', false],
    [
      'match<nc> folds the value per call',
      { 'match<nc>': '{var<host>}' },
      { host: 'EXAMPLE.com' },
      'example.COM',
      true,
    ],
    ['prefix built from text and a variable', { prefix: '/{var<v>}/' }, { v: 'v2' }, '/v2/users', true],
    ['tld of a variable', { tld: '{var<zone>}' }, { zone: 'example.com' }, 'a.example.com', true],
    ['path of a variable', { path: '{var<p>}' }, { p: '/api/' }, '/api', true],
    [
      'a list mixing literals and variables',
      { suffix: ['.css', '{var<ext>}'] },
      { ext: '.js' },
      'a.js',
      true,
    ],
    ['an integer variable as text', { match: '{var<n>}' }, { n: 7 }, '7', true],
    [
      'an expression with a modifier in a list',
      { match: [['{var<h>}', 'lower']] },
      { h: 'ABC' },
      'abc',
      true,
    ],
    ['a constant expression is folded', { prefix: '{const<ab>}' }, {}, 'abc', true],
  ];
  test.each(DYNAMIC)('%s', (_what, node, variables, feature, expected) => {
    expect(compileTest(node)(feature, testContext(variables))).toBe(expected);
  });

  test('the same compiled comparison follows the variable from one transaction to the next', () => {
    const compiled = compileTest({ match: '{var<host>}' });
    expect(compiled('a', testContext({ host: 'a' }))).toBe(true);
    expect(compiled('a', testContext({ host: 'b' }))).toBe(false);
  });
});
