import { describe, expect, test } from 'vitest';
import { Duration, IpAddress, type Feature, type IpSpaceLookup } from '../types.ts';
import { parseIpBytes } from './ip-range.ts';
import { compileErrorOf, compileTest, testContext } from './test-env.test-suite.ts';

function ip(text: string): IpAddress {
  const parsed = parseIpBytes(text)!;
  return new IpAddress(parsed.family, parsed.bytes, text);
}

/** [what, comparison node, feature, matches?] */
type Row = readonly [string, Record<string, unknown>, Feature, boolean];

const EQUALITY: readonly Row[] = [
  ['eq integer', { eq: 200 }, 200, true],
  ['eq integer differs', { eq: 200 }, 201, false],
  ['eq a numeric string feature', { eq: 200 }, '200', true],
  ['eq a non-numeric string never', { eq: 200 }, 'abc', false],
  ['eq a written integer value', { eq: '200' }, 200, true],
  ['eq list: any value', { eq: [200, 204] }, 204, true],
  ['eq list: none', { eq: [200, 204] }, 404, false],
  ['eq a duration value against integer ms', { eq: '30s' }, 30_000, true],
  ['eq a duration feature by ms', { eq: 1500 }, new Duration(1500), true],
  ['eq duration against duration', { eq: '1m30s' }, new Duration(90_000), true],
  ['eq boolean', { eq: true }, true, true],
  ['eq boolean differs', { eq: true }, false, false],
  ['eq boolean never matches a string', { eq: true }, 'true', false],
  ['eq IP address feature', { eq: '10.0.0.1' }, ip('10.0.0.1'), true],
  ['eq IP address as a string feature', { eq: '10.0.0.1' }, '10.0.0.1', true],
  ['eq IPv6 in another spelling', { eq: '::1' }, '0:0:0:0:0:0:0:1', true],
  ['eq IPv4 and its mapped IPv6 form', { eq: '10.0.0.1' }, '::ffff:10.0.0.1', true],
  ['eq IP differs', { eq: '10.0.0.1' }, ip('10.0.0.2'), false],
  ['eq null never', { eq: 0 }, null, false],
  ['eq a tuple never', { eq: 1 }, [1], false],
  ['ne integer', { ne: 200 }, 404, true],
  ['ne equal', { ne: 200 }, 200, false],
  ['ne a non-numeric string never', { ne: 200 }, 'abc', false],
  ['ne null never', { ne: 200 }, null, false],
  ['ne boolean', { ne: false }, true, true],
  ['ne IP', { ne: '10.0.0.1' }, '10.0.0.2', true],
];

const ORDERING: readonly Row[] = [
  ['lt below', { lt: 10 }, 9, true],
  ['lt equal', { lt: 10 }, 10, false],
  ['le equal', { le: 10 }, 10, true],
  ['le above', { le: 10 }, 11, false],
  ['gt above', { gt: 10 }, 11, true],
  ['gt equal', { gt: 10 }, 10, false],
  ['ge equal', { ge: 10 }, 10, true],
  ['ge below', { ge: 10 }, 9, false],
  ['lt negative', { lt: 0 }, -1, true],
  ['gt a numeric string feature', { gt: 99 }, '100', true],
  ['gt a non-numeric string never', { gt: 0 }, '1.5', false],
  ['lt a non-numeric string never', { lt: 1e9 }, 'abc', false],
  ['gt a duration value against a duration feature', { gt: '30s' }, new Duration(31_000), true],
  ['lt a duration value against integer ms', { lt: '1m' }, 59_999, true],
  ['ge a written integer value', { ge: '5' }, 5, true],
  ['lt null never', { lt: 10 }, null, false],
  ['lt boolean never', { lt: 10 }, false, false],
];

const RANGES: readonly Row[] = [
  ['in [low, high] inside', { in: [10, 20] }, 15, true],
  ['in [low, high] low end', { in: [10, 20] }, 10, true],
  ['in [low, high] high end', { in: [10, 20] }, 20, true],
  ['in [low, high] below', { in: [10, 20] }, 9, false],
  ['in [low, high] above', { in: [10, 20] }, 21, false],
  ['in [8, 8]', { in: [8, 8] }, 8, true],
  ['in "10-20"', { in: '10-20' }, 12, true],
  ['in "10 - 20" outside', { in: '10 - 20' }, 30, false],
  ['in a single number', { in: 7 }, 7, true],
  ['in a numeric string feature', { in: '200-299' }, '204', true],
  ['in a non-numeric string never', { in: '200-299' }, 'abc', false],
  ['in durations by ms', { in: ['1s', '5s'] }, new Duration(2000), true],
  ['in a list of numeric ranges', { in: ['1-2', '5-6', 9] }, 9, true],
  ['in negative numbers', { in: '-10--5' }, -7, true],
  [
    'in [first, last] addresses (TxnBox)',
    { in: ['192.168.56.1', '192.168.56.99'] },
    ip('192.168.56.50'),
    true,
  ],
  [
    'in [first, last] addresses, past the last',
    { in: ['192.168.56.1', '192.168.56.99'] },
    ip('192.168.56.100'),
    false,
  ],
  ['in CIDR', { in: '10.0.0.0/8' }, ip('10.200.3.4'), true],
  ['in CIDR outside', { in: '10.0.0.0/8' }, ip('11.0.0.0'), false],
  ['in CIDR, a string feature', { in: '10.0.0.0/8' }, '10.1.2.3', true],
  ['in CIDR, a bracketed IPv6 string', { in: '::1/128' }, '[::1]', true],
  ['in CIDR /0 holds everything of its family', { in: '0.0.0.0/0' }, '255.255.255.255', true],
  ['in CIDR with host bits ignored', { in: '192.168.1.77/24' }, '192.168.1.3', true],
  ['in IPv6 CIDR', { in: '2001:db8::/32' }, '2001:db8:ffff::1', true],
  ['in IPv6 CIDR outside', { in: '2001:db8::/32' }, '2001:db9::1', false],
  ['in ::1/128', { in: '::1/128' }, ip('::1'), true],
  ['in a dash range', { in: '192.168.56.1-192.168.56.99' }, '192.168.56.50', true],
  ['in a dash range end', { in: '192.168.56.1-192.168.56.99' }, '192.168.56.99', true],
  ['in a dash range outside', { in: '192.168.56.1-192.168.56.99' }, '192.168.56.100', false],
  ['in a single address', { in: '172.16.23.8' }, '172.16.23.8', true],
  ['in a list of networks', { in: ['10.0.0.0/8', '192.168.0.0/16'] }, '192.168.9.9', true],
  ['in a list of networks, none', { in: ['10.0.0.0/8', '192.168.0.0/16'] }, '172.16.0.1', false],
  ['in IPv4 range holds the mapped IPv6 form', { in: '10.0.0.0/8' }, '::ffff:10.9.9.9', true],
  ['in mapped IPv6 range holds the IPv4 form', { in: '::ffff:10.0.0.0/104' }, '10.9.9.9', true],
  ['in ::/0 holds IPv4 addresses too (as their mapped form)', { in: '::/0' }, '10.0.0.1', true],
  ['in an IPv6 range outside ::ffff:0:0/96 never holds IPv4', { in: '2001:db8::/32' }, '10.0.0.1', false],
  ['in an IPv4 range never holds other IPv6', { in: '0.0.0.0/0' }, '2001:db8::1', false],
  ['in mixing numeric and IP ranges: number', { in: ['10.0.0.0/8', '1-5'] }, 3, true],
  ['in mixing numeric and IP ranges: address', { in: ['10.0.0.0/8', '1-5'] }, '10.0.0.3', true],
  ['in IP ranges never hold a number', { in: '10.0.0.0/8' }, 10, false],
  ['in never holds null', { in: [0, 10] }, null, false],
  ['in a constant expression', { in: '{const<10.0.0.0/8>}' }, '10.0.0.1', true],
];

describe('numeric comparisons', () => {
  test.each([...EQUALITY, ...ORDERING, ...RANGES])('%s', (_what, node, feature, expected) => {
    expect(compileTest(node)(feature, testContext())).toBe(expected);
  });
});

describe('numeric comparisons with feature expressions as values', () => {
  const DYNAMIC: readonly (readonly [
    string,
    Record<string, unknown>,
    Record<string, Feature>,
    Feature,
    boolean,
  ])[] = [
    ['eq a variable', { eq: '{var<n>}' }, { n: 5 }, 5, true],
    ['eq a variable holding a numeric string', { eq: '{var<n>}' }, { n: '5' }, 5, true],
    ['eq a variable holding an address', { eq: '{var<a>}' }, { a: '10.0.0.1' }, ip('10.0.0.1'), true],
    ['eq a variable holding a boolean', { eq: '{var<b>}' }, { b: true }, true, true],
    ['eq an unset variable never', { eq: '{var<n>}' }, {}, 0, false],
    ['eq a variable holding text never', { eq: '{var<n>}' }, { n: 'abc' }, 'abc', false],
    ['ne a variable', { ne: '{var<n>}' }, { n: 5 }, 6, true],
    ['lt a variable', { lt: '{var<limit>}' }, { limit: 10 }, 9, true],
    ['lt a variable, not below', { lt: '{var<limit>}' }, { limit: 10 }, 10, false],
    ['gt a duration expression', { gt: '{duration<30s>}' }, {}, new Duration(30_001), true],
    ['le a variable holding text never', { le: '{var<limit>}' }, { limit: 'x' }, 1, false],
  ];
  test.each(DYNAMIC)('%s', (_what, node, variables, feature, expected) => {
    expect(compileTest(node)(feature, testContext(variables))).toBe(expected);
  });
});

describe('in<space>: a named IP space', () => {
  const office: IpSpaceLookup = {
    lookup: (address) => (address.family === 4 && address.bytes[0] === 10 ? ['office'] : undefined),
  };
  const options = { ipSpaces: { office } };

  test.each([
    ['an address in the space', ip('10.1.1.1'), true],
    ['an address outside', ip('11.1.1.1'), false],
    ['a string address in the space', '10.2.2.2', true],
    ['a string that is not an address', 'ten', false],
    ['null', null, false],
  ] as const)('%s', (_what, feature, expected) => {
    expect(compileTest({ 'in<office>': null }, options)(feature, testContext())).toBe(expected);
  });

  test('an unknown space is a load-time error', () => {
    expect(compileErrorOf({ 'in<lab>': null }, options).message).toBe(
      "no IP space named 'lab' (ip-space-define at post-load defines one)",
    );
  });

  test('the space takes no value', () => {
    expect(compileErrorOf({ 'in<office>': '10.0.0.0/8' }, options).message).toMatch(/takes no value/);
  });
});
