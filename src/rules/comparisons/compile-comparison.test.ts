import { describe, expect, test } from 'vitest';
import { RuleError, type RulePath } from '../types.ts';
import { compileComparison } from './compile-comparison.ts';
import { COMPARISONS } from './registry.ts';
import { compileErrorOf, testContext, testEnv } from './test-env.test-suite.ts';

/** [what, node, the message (or a pattern it matches), where: the path from the comparison] */
type ErrorRow = readonly [string, unknown, string | RegExp, RulePath];

const ERRORS: readonly ErrorRow[] = [
  // The node itself.
  ['not a mapping', 'match', "a comparison is a mapping: write 'match:' (with the colon)", []],
  ['a scalar', 42, 'a comparison is a mapping with one key, like { match: "example.com" }', []],
  ['a list', [{ match: 'a' }], 'a comparison is a mapping with one key, like { match: "example.com" }', []],
  ['null', null, 'a comparison is a mapping with one key, like { match: "example.com" }', []],
  ['no key', {}, 'a comparison needs a key, like { match: "example.com" }', []],
  [
    'two keys',
    { match: 'a', prefix: 'b' },
    "a comparison has exactly one key, found 'match', 'prefix'; combine several with all-of or any-of",
    ['prefix'],
  ],
  [
    'do inside a comparison',
    { match: 'a', do: [] },
    "'do' belongs to a select case, not inside a comparison",
    ['do'],
  ],
  // Names and args.
  [
    'unknown name with a suggestion',
    { prefx: '/a' },
    "unknown comparison 'prefx'; did you mean 'prefix'?",
    ['prefx'],
  ],
  ['unknown name, nothing close', { bananas: 1 }, "unknown comparison 'bananas'", ['bananas']],
  [
    'suggestion keeps the arg apart',
    { 'mtch<nc>': 'a' },
    "unknown comparison 'mtch'; did you mean 'match'?",
    ['mtch<nc>'],
  ],
  [
    'malformed key',
    { 'match<nc': 'a' },
    "'match<nc' is not a comparison key (name or name<arg>)",
    ['match<nc'],
  ],
  ['<nc> on eq', { 'eq<nc>': 1 }, 'eq has no case to ignore (<nc>)', ['eq<nc>']],
  ['<nc> on is-null', { 'is-null<nc>': null }, 'is-null has no case to ignore (<nc>)', ['is-null<nc>']],
  ['<nc> on any-of', { 'any-of<nc>': [] }, 'any-of has no case to ignore (<nc>)', ['any-of<nc>']],
  ['another arg on a comparison without one', { 'lt<x>': 1 }, 'lt takes no <argument>, got <x>', ['lt<x>']],
  [
    'an unknown option',
    { 'match<ci>': 'a' },
    'unknown option <ci> for match; the option is <nc> (ignore case)',
    ['match<ci>'],
  ],
  ['an empty name for in', { 'in<>': null }, 'in<> needs a name between the brackets', ['in<>']],
  // String values.
  ['match without a value', { match: null }, 'match needs a string, not nothing', ['match']],
  [
    'prefix with a mapping',
    { prefix: { a: 1 } },
    'prefix: a value is a string, a number, a boolean or a feature expression',
    ['prefix'],
  ],
  ['suffix with an empty list', { suffix: [] }, 'suffix needs at least one value', ['suffix']],
  ['a bad element in a list', { match: ['a', null] }, 'match needs a string, not nothing', ['match', 1]],
  ['an unknown extractor in a value', { match: '{nope}' }, "unknown extractor 'nope'", ['match']],
  // Regular expressions.
  [
    'invalid regex',
    { rxp: '^(unclosed' },
    /^invalid regular expression '\^\(unclosed': .*Unterminated group/,
    ['rxp'],
  ],
  [
    'invalid regex in a list',
    { rxp: ['ok', '[z-a]'] },
    /^invalid regular expression '\[z-a\]': /,
    ['rxp', 1],
  ],
  ['rxp without a pattern', { rxp: null }, 'rxp needs a regular expression (a string), not nothing', ['rxp']],
  ['rxp with an empty list', { rxp: [] }, 'rxp needs at least one pattern', ['rxp']],
  // Numbers.
  ['lt with text', { lt: 'abc' }, "lt needs an integer or a duration (like 30s), not 'abc'", ['lt']],
  ['ge with a boolean', { ge: true }, 'ge needs an integer or a duration (like 30s), not true', ['ge']],
  ['gt with a list', { gt: [1, 2] }, 'gt takes one value, not a list', ['gt']],
  ['le without a value', { le: null }, 'le needs an integer or a duration (like 30s), not nothing', ['le']],
  [
    'lt with a bad duration',
    { lt: '30x' },
    "lt needs an integer or a duration (like 30s), not '30x'",
    ['lt'],
  ],
  [
    'eq with text',
    { eq: 'abc' },
    "eq compares integers, durations, booleans and IP addresses, not 'abc'; for strings use match",
    ['eq'],
  ],
  ['eq with an empty list', { eq: [] }, 'eq needs at least one value', ['eq']],
  ['ne with a list', { ne: [1, 2] }, 'ne takes one value; for several use none-of with eq', ['ne']],
  // Ranges.
  ['in without a value', { in: null }, 'in needs a numeric range or an IP range, not nothing', ['in']],
  ['in with an empty list', { in: [] }, 'in needs at least one range', ['in']],
  ['in reversed numbers', { in: [20, 10] }, 'in: the range starts above its end (20 > 10)', ['in']],
  ['in reversed text range', { in: '20-10' }, 'in: the range starts above its end (20 > 10)', ['in']],
  ['in with words', { in: 'lots' }, "in: 'lots' is not a numeric range (10-20) or an IP range", ['in']],
  [
    'in an invalid CIDR',
    { in: '10.0.0.0/33' },
    "in: invalid IP range: '33' is not a prefix length for IPv4 (0 to 32)",
    ['in'],
  ],
  [
    'in an invalid address',
    { in: '10.0.0.256/8' },
    "in: invalid IP range: '10.0.0.256' is not an IP address",
    ['in'],
  ],
  [
    'in an invalid list element',
    { in: ['10.0.0.0/8', '300.0.0.0/8'] },
    "in: invalid IP range: '300.0.0.0' is not an IP address",
    ['in', 1],
  ],
  [
    'in a reversed IP range',
    { in: '10.0.0.9-10.0.0.1' },
    "in: invalid IP range: '10.0.0.9' is above '10.0.0.1'",
    ['in'],
  ],
  [
    'in a range built per transaction',
    { in: '{var<net>}' },
    'in takes literal ranges, not a feature built per transaction',
    ['in'],
  ],
  // Implied values.
  [
    'is-null with a value',
    { 'is-null': true },
    "is-null takes no value (write 'is-null:'), not true",
    ['is-null'],
  ],
  [
    'is-empty with a value',
    { 'is-empty': '' },
    "is-empty takes no value (write 'is-empty:'), not ''",
    ['is-empty'],
  ],
  // Compounds.
  [
    'any-of with a string',
    { 'any-of': 'prefix' },
    "any-of needs a list of comparisons, not 'prefix'",
    ['any-of'],
  ],
  ['all-of with an empty list', { 'all-of': [] }, 'all-of needs at least one comparison', ['all-of']],
  [
    'none-of without a value',
    { 'none-of': null },
    'none-of needs a list of comparisons, not nothing',
    ['none-of'],
  ],
  [
    'an error inside any-of',
    { 'any-of': [{ prefix: '/a' }, { lt: 'x' }] },
    "lt needs an integer or a duration (like 30s), not 'x'",
    ['any-of', 1, 'lt'],
  ],
  [
    'unknown name inside all-of',
    { 'all-of': [{ sufix: 'a' }] },
    "unknown comparison 'sufix'; did you mean 'suffix'?",
    ['all-of', 0, 'sufix'],
  ],
  [
    'for-all with a list',
    { 'for-all': [{ match: 'a' }] },
    'for-all needs one comparison (a mapping like { match: … }), not a list',
    ['for-all'],
  ],
  [
    'for-any with a string',
    { 'for-any': 'x' },
    "for-any needs one comparison (a mapping like { match: … }), not 'x'",
    ['for-any'],
  ],
  [
    'an error inside for-none',
    { 'for-none': { rxp: '(' } },
    /^invalid regular expression/,
    ['for-none', 'rxp'],
  ],
];

describe('load-time errors', () => {
  test.each(ERRORS)('%s', (_what, node, message, path) => {
    const error = compileErrorOf(node);
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
    expect(error.path).toEqual(path);
  });

  test('errors are positioned below where the comparison sits', () => {
    const env = testEnv().at('rules').at(3).at('select').at(0);
    let caught: unknown;
    try {
      compileComparison({ eq: 'abc' }, env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RuleError);
    expect((caught as RuleError).path).toEqual(['rules', 3, 'select', 0, 'eq']);
  });
});

describe('the registry', () => {
  test('holds every comparison of the language, each with a summary and a value description', () => {
    expect([...COMPARISONS.keys()].sort()).toEqual(
      [
        'match',
        'prefix',
        'suffix',
        'contains',
        'tld',
        'path',
        'rxp',
        'is-null',
        'is-empty',
        'is-true',
        'is-false',
        'eq',
        'ne',
        'lt',
        'le',
        'gt',
        'ge',
        'in',
        'any-of',
        'all-of',
        'none-of',
        'for-any',
        'for-all',
        'for-none',
        'as-tuple',
        'otherwise',
      ].sort(),
    );
    for (const spec of COMPARISONS.values()) {
      expect(spec.summary.length).toBeGreaterThan(10);
      expect(spec.takes.length).toBeGreaterThan(5);
    }
  });

  test('exactly the string comparisons take <nc>', () => {
    const withNc = [...COMPARISONS.values()].filter((spec) => spec.arg === 'nc').map((spec) => spec.name);
    expect(withNc).toEqual(['match', 'prefix', 'suffix', 'contains', 'tld', 'path', 'rxp']);
  });

  test('a key with whitespace in its arg is trimmed', () => {
    expect(compileComparison({ 'match< nc >': 'A' }, testEnv())('a', testContext())).toBe(true);
  });
});
