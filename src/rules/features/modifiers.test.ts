import { describe, expect, test } from 'vitest';
import { DEFAULT_HASH_SEED, hashString } from '../../strategies/shared/hash.ts';
import { Duration, IpAddress, type Feature } from '../types.ts';
import { compileExpression } from './compile-expression.ts';
import { MODIFIERS } from './modifiers.ts';
import { TestEnv, compileError, evaluate, fakeContext, type FakeOptions } from './test-context.test-suite.ts';

const REQUEST: FakeOptions = {
  request: {
    path: '/Shop/Cart',
    query: '?q=x',
    headers: [
      'X-User',
      'ada',
      'X-Empty',
      '',
      'X-Num',
      ' 42 ',
      'X-Ip',
      '10.0.0.9',
      'X-Ttl',
      '1m 30s',
      'X-On',
      'Yes',
    ],
  },
  vars: { fallback: 'from-var', n: 7, tags: ['a', null, 'B'] },
};

const run = (node: unknown, options: FakeOptions = REQUEST): Feature => evaluate(node, options);

describe('else', () => {
  test.each<[unknown, Feature]>([
    [['{ua-req-field<X-User>}', { else: 'anonymous' }], 'ada'],
    [['{ua-req-field<X-Empty>}', { else: 'anonymous' }], 'anonymous'],
    [['{ua-req-field<X-None>}', { else: 'anonymous' }], 'anonymous'],
    [['{ua-req-field<X-None>}', { else: '{var<fallback>}' }], 'from-var'],
    [['{ua-req-field<X-None>}', { else: ['{var<none>}', { else: 'deep' }] }], 'deep'],
    [['{ua-req-field<X-None>}', { else: 0 }], 0],
    [[[], { else: 'no tuple' }], 'no tuple'],
  ])('%j → %j', (node, value) => {
    expect(run(node)).toEqual(value);
  });
});

describe('hash', () => {
  test('an integer in [0, N) from the stable string hash', () => {
    const expected = hashString('ada', DEFAULT_HASH_SEED) % 64;
    expect(run(['{ua-req-field<X-User>}', { hash: 64 }])).toBe(expected);
    expect(run(['{ua-req-field<X-User>}', { hash: 1 }])).toBe(0);
    expect(run(['{var<n>}', { hash: 1000 }])).toBe(hashString('7', DEFAULT_HASH_SEED) % 1000);
  });

  test('null stays null (so else can still apply after it)', () => {
    expect(run(['{ua-req-field<X-None>}', { hash: 10 }])).toBeNull();
    expect(run(['{ua-req-field<X-None>}', { hash: 10 }, { else: -1 }])).toBe(-1);
  });

  test.each([0, -1, 1.5, '10', 2 ** 32 + 1])('refuses %j buckets', (buckets) => {
    expect(compileError(['x', { hash: buckets }]).message).toContain('hash needs a whole number of buckets');
  });
});

describe('as-integer, as-ip-addr, as-duration, as-bool', () => {
  test.each<[unknown, Feature]>([
    [['{ua-req-field<X-Num>}', { 'as-integer': null }], 42],
    [['-7', { 'as-integer': null }], -7],
    [['4x', { 'as-integer': null }], null],
    [['4x', { 'as-integer': -1 }], -1],
    [['{ua-req-field<X-None>}', { 'as-integer': '{var<n>}' }], 7],
    [['99999999999999999999', { 'as-integer': 0 }], 0],
    [[true, { 'as-integer': null }], 1],
    [['{duration<2s>}', { 'as-integer': null }], 2000],
    [
      ['{ua-req-field<X-Ip>}', { 'as-ip-addr': null }],
      new IpAddress(4, new Uint8Array([10, 0, 0, 9]), '10.0.0.9'),
    ],
    [
      ['[::1]', { 'as-ip-addr': null }],
      new IpAddress(6, new Uint8Array([...new Array<number>(15).fill(0), 1]), '::1'),
    ],
    [['not an address', { 'as-ip-addr': null }], null],
    [[5, { 'as-ip-addr': null }], null],
    [['{ua-req-field<X-Ttl>}', { 'as-duration': null }], new Duration(90_000)],
    [[1500, { 'as-duration': null }], new Duration(1500)],
    [[['1s', 500], { 'as-duration': null }], new Duration(1500)],
    [[['1s', 'x'], { 'as-duration': null }], null],
    [['later', { 'as-duration': '{duration<1s>}' }], new Duration(1000)],
    [[-5, { 'as-duration': null }], null],
    [['{ua-req-field<X-On>}', { 'as-bool': null }], true],
    [['off', { 'as-bool': null }], false],
    [['', { 'as-bool': null }], false],
    [[0, { 'as-bool': null }], false],
    [[2, { 'as-bool': null }], true],
    [['maybe', { 'as-bool': null }], false],
  ])('%j → %j', (node, value) => {
    expect(run(node)).toEqual(value);
  });

  test('an address or a duration already of the type passes unchanged', () => {
    const address = run('{inbound-addr-remote}');
    expect(run(['{inbound-addr-remote}', { 'as-ip-addr': null }])).toEqual(address);
    expect(run(['{duration<3s>}', { 'as-duration': null }])).toEqual(new Duration(3000));
  });
});

describe('join, concat', () => {
  test.each<[unknown, Feature]>([
    [[['a', 'b', 'c'], { join: null }], 'a,b,c'],
    [[['a', 'b', 'c'], { join: ' / ' }], 'a / b / c'],
    [['{var<tags>}', { join: '-' }], 'a-B'],
    [[[1, [['x', 'y']], true], { join: '|' }], '1|x|y|true'],
    [['scalar', { join: '+' }], 'scalar'],
    [['{ua-req-field<X-None>}', { join: '+' }], ''],
    [['{ua-req-path}', { concat: ['?', '{ua-req-query}'] }], 'Shop/Cart?q=x'],
    [['/path', { concat: ['?', '{ua-req-field<X-None>}'] }], '/path'],
    [['a,', { concat: [',', 'b'] }], 'a,b'],
    [['', { concat: [',', 'b'] }], 'b'],
    [['{ua-req-field<X-None>}', { concat: [',', 'b'] }], 'b'],
    [['a', { concat: [',', 'b'] }, { concat: [',', 'c'] }], 'a,b,c'],
  ])('%j → %j', (node, value) => {
    expect(run(node)).toEqual(value);
  });

  test('bad arguments', () => {
    expect(compileError(['x', { join: 5 }]).message).toContain("join's separator must be a string");
    expect(compileError(['x', { concat: 'y' }]).message).toContain('concat takes a list of two');
    expect(compileError(['x', { concat: [1, 'y'] }]).message).toContain('concat takes a list of two');
    expect(compileError(['x', { concat: [',', '{nope}'] }]).path).toEqual([1, 'concat', 1]);
  });
});

describe('text modifiers: lower, upper, trim, url-encode, url-decode, length', () => {
  test.each<[unknown, Feature]>([
    [['{ua-req-path}', { lower: null }], 'shop/cart'],
    [['{ua-req-path}', { upper: null }], 'SHOP/CART'],
    [
      [['Ab', 3, 'cD'], { lower: null }],
      ['ab', 3, 'cd'],
    ],
    [['{ua-req-field<X-None>}', { lower: null }], null],
    [[5, { upper: null }], 5],
    [['{ua-req-field<X-Num>}', { trim: null }], '42'],
    [['a b&c/d', { 'url-encode': null }], 'a%20b%26c%2Fd'],
    [['a%20b%26c', { 'url-decode': null }], 'a b&c'],
    [['100%', { 'url-decode': null }], '100%'],
    [['{ua-req-field<X-None>}', { 'url-encode': null }], null],
    [['{ua-req-field<X-None>}', { 'url-decode': null }], null],
    [['héllo', { length: null }], 5],
    [[['a', 'b'], { length: null }], 2],
    [['{ua-req-field<X-None>}', { length: null }], 0],
    [[12345, { length: null }], 5],
  ])('%j → %j', (node, value) => {
    expect(run(node)).toEqual(value);
  });

  test('a modifier that takes no argument refuses one', () => {
    expect(compileError(['x', { lower: 'yes' }]).message).toBe(
      'lower takes no argument: write { lower: null }',
    );
    expect(run(['X', { lower: '' }])).toBe('x');
  });
});

describe('modifier mappings', () => {
  test('an unknown modifier suggests the closest one, at its key', () => {
    const error = compileError(['x', { uper: null }]);
    expect(error.message).toBe("unknown modifier 'uper'; did you mean 'upper'?");
    expect(error.path).toEqual([1, 'uper']);
    expect(compileError(['x', { 'as-integr': null }]).message).toContain("did you mean 'as-integer'?");
  });

  test('a required argument must be given', () => {
    expect(compileError(['x', { else: null }]).message).toBe('else needs an argument (feature expression)');
    expect(compileError(['x', { hash: null }]).message).toContain('hash needs an argument');
  });

  test('a modifier is a one-key mapping', () => {
    expect(compileError(['x', { lower: null }, 'y']).message).toContain(
      'a modifier is a mapping { name: argument }',
    );
    expect(compileError(['x', { lower: null }, 'y']).message).toContain(
      'for a tuple write [[a, b], modifiers…]',
    );
    expect(compileError(['x', { lower: null, upper: null }]).message).toContain('got lower, upper');
    expect(compileError(['x', {}]).message).toContain('got none');
    expect(compileError(['x', { lower: null }, null]).message).toContain('a modifier is a mapping');
  });

  test('constant expressions stay constant through pure modifiers, and are folded at load time', () => {
    const folded = compileExpression(['Hello', { upper: null }, { concat: ['-', 'x'] }], new TestEnv());
    expect(folded.constant).toBe('HELLO-x');
    expect(folded.type).toBe('string');
    const hashed = compileExpression(['ada', { hash: 64 }], new TestEnv());
    expect(hashed.constant).toBe(hashString('ada', DEFAULT_HASH_SEED) % 64);
    const notFolded = compileExpression(['', { else: '{ua-req-host}' }], new TestEnv());
    expect(notFolded.constant).toBeUndefined();
    expect(notFolded.evaluate(fakeContext())).toBe('example.com');
  });

  test('result types follow the modifiers', () => {
    const typeOf = (node: unknown) => compileExpression(node, new TestEnv()).type;
    expect(typeOf(['{ua-req-host}', { hash: 10 }])).toBe('integer');
    expect(typeOf(['{ua-req-host}', { 'as-ip-addr': null }])).toBe('ip');
    expect(typeOf(['{ua-req-host}', { 'as-integer': '{ua-req-port}' }])).toBe('any');
    expect(typeOf(['{ua-req-host}', { lower: null }])).toBe('string');
    expect(typeOf(['{ua-req-host}', { else: 'x' }])).toBe('string');
    expect(typeOf(['{ua-req-host}', { else: 1 }])).toBe('any');
    expect(typeOf([['{ua-req-host}'], { join: null }])).toBe('string');
  });

  test('every modifier has a name and, when it takes one, a description of its argument', () => {
    for (const [name, spec] of MODIFIERS) {
      expect(spec.name).toBe(name);
      if (spec.arg !== 'none') expect(spec.argName, name).toBeTruthy();
    }
  });
});
