import { describe, expect, test } from 'vitest';
import { IpAddress, RuleError, type Feature } from '../types.ts';
import { compileExpression } from './compile-expression.ts';
import { TestEnv, compileError, evaluate, fakeContext } from './test-context.test-suite.ts';

const compile = (node: unknown) => compileExpression(node, new TestEnv());

describe('literals', () => {
  test.each<[unknown, Feature, string]>([
    [42, 42, 'integer'],
    [-1, -1, 'integer'],
    [true, true, 'boolean'],
    [null, null, 'null'],
    [undefined, null, 'null'],
    ['plain text', 'plain text', 'string'],
    ['', '', 'string'],
    ['{{not an extractor}}', '{not an extractor}', 'string'],
  ])('%j is the constant %j (%s)', (node, value, type) => {
    const compiled = compile(node);
    expect(compiled.constant).toEqual(value);
    expect(compiled.type).toBe(type);
    expect(compiled.evaluate(fakeContext())).toEqual(value);
  });

  test('numbers must be whole', () => {
    expect(compileError(1.5).message).toBe(
      '1.5 is not a whole number; integer features are whole numbers (write "1.5" for text)',
    );
    expect(compileError(Number.NaN).message).toContain('is not a whole number');
  });

  test('a mapping is not an expression', () => {
    expect(compileError({ a: 1 }).message).toContain('a feature expression is a string');
  });
});

describe('feature strings', () => {
  const request = {
    request: { host: 'shop.example', path: '/cart', headers: ['X-Id', '7'] },
    session: { clientAddress: '10.1.1.1' },
  };

  test('one extractor alone yields its typed value, not text', () => {
    expect(evaluate('{ua-req-port}', request)).toBe(80);
    expect(evaluate('{inbound-addr-remote}', request)).toBeInstanceOf(IpAddress);
    expect(compile('{ua-req-port}').type).toBe('integer');
    expect(compile('{inbound-addr-remote}').type).toBe('ip');
  });

  test('literal text with extractors yields a string', () => {
    expect(evaluate('{ua-req-host}:{ua-req-path}', request)).toBe('shop.example:cart');
    expect(evaluate('port {ua-req-port}', request)).toBe('port 80');
    expect(evaluate('from {inbound-addr-remote}', request)).toBe('from 10.1.1.1');
    expect(evaluate('[{ua-req-field<X-None>}]', request)).toBe('[]');
    expect(evaluate('{ua-req-host}{ua-req-path}{ua-req-port}', request)).toBe('shop.examplecart80');
    expect(evaluate('<{ua-req-host}|{ua-req-path}>', request)).toBe('<shop.example|cart>');
    expect(compile('id={ua-req-field<X-Id>}').type).toBe('string');
  });

  test('escaped braces around extractors', () => {
    expect(evaluate('{{{ua-req-host}}}', request)).toBe('{shop.example}');
    expect(evaluate('{{ua-req-host}}', request)).toBe('{ua-req-host}');
  });

  test('a format makes text: width, alignment, fill, precision, s', () => {
    expect(evaluate('[{ua-req-path:>8}]', request)).toBe('[    cart]');
    expect(evaluate('[{ua-req-port:5}]', request)).toBe('[   80]');
    expect(evaluate('{ua-req-host:*^16}', request)).toBe('**shop.example**');
    expect(evaluate('{ua-req-host:.4}', request)).toBe('shop');
    expect(evaluate('{ua-req-port:s}', request)).toBe('80');
    expect(evaluate('{inbound-addr-remote:}', request)).toBe('10.1.1.1');
    expect(compile('{ua-req-port:s}').type).toBe('string');
  });

  test('constant extractors fold into the literal text', () => {
    const compiled = compile('wait {duration<2s>} then {duration<1m>:>9}');
    expect(compiled.constant).toBe('wait 2 s then       1 m');
  });

  test('syntax errors say where, and quote the string', () => {
    const error = compileError('a } b', new TestEnv('read-request', undefined, ['rules', 0, 'do', 1]));
    expect(error).toBeInstanceOf(RuleError);
    expect(error.message).toBe(`a single '}' at offset 2; write '}}' for a literal brace, in "a } b"`);
    expect(error.path).toEqual(['rules', 0, 'do', 1]);
    expect(compileError('{ua-req-host').message).toContain("'{' at offset 0 is not closed");
    expect(compileError('{}').message).toContain('an empty placeholder');
  });

  test('an unknown extractor suggests the closest name', () => {
    expect(compileError('{ua-req-hots}').message).toBe(
      "unknown extractor 'ua-req-hots' in '{ua-req-hots}'; did you mean 'ua-req-host'?",
    );
    expect(compileError('x {inbound-adr-remote} y').message).toContain("did you mean 'inbound-addr-remote'?");
    expect(compileError('{banana}').message).toBe(
      "unknown extractor 'banana' in '{banana}'; an unquoted value is an extractor (as in TxnBox): for the text, quote it ('banana')",
    );
  });
});

describe('lists: modifiers and tuples', () => {
  test('[expression, modifier…] applies the modifiers in order', () => {
    const node = ['{ua-req-field<x-user>}', { else: 'anonymous' }, { upper: null }];
    expect(evaluate(node, { request: { headers: ['X-User', 'ada'] } })).toBe('ADA');
    expect(evaluate(node, {})).toBe('ANONYMOUS');
  });

  test('[[a, b], modifier…] is a tuple', () => {
    const ctx = { request: { host: 'h.example', path: '/p' } };
    expect(evaluate([['{ua-req-host}', '{ua-req-path}', 3]], ctx)).toEqual(['h.example', 'p', 3]);
    expect(evaluate([['{ua-req-host}', '{ua-req-path}'], { join: '|' }], ctx)).toBe('h.example|p');
    expect(compile([['{ua-req-host}']]).type).toBe('tuple');
  });

  test('a tuple element may carry its own modifiers; a tuple of constants is constant', () => {
    expect(evaluate([[['{ua-req-host}', { upper: null }], 'x']], { request: { host: 'h' } })).toEqual([
      'H',
      'x',
    ]);
    expect(compile([['a', 1, null]]).constant).toEqual(['a', 1, null]);
    expect(compile([[]]).constant).toEqual([]);
  });

  test('the example from the rules: a user id or anonymous, hashed into 64 buckets', () => {
    const compiled = compile(['{ua-req-field<x-user>}', { else: 'anonymous' }, { hash: 64 }]);
    expect(compiled.type).toBe('integer');
    const value = compiled.evaluate(fakeContext({ request: { headers: ['x-user', 'ada'] } }));
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThan(64);
  });

  test('errors point into the list', () => {
    expect(compileExpression([], new TestEnv()).constant).toBeNull(); // TxnBox: [] is null
    expect(compileError(['a', 'b', { lower: null }]).message).toContain('not both');
    expect(compileError(['{nope}']).path).toEqual([0]);
    expect(compileError([['ok', '{nope}']]).path).toEqual([0, 1]);
    expect(compileError(['x', { lower: null }, { nope: 1 }]).path).toEqual([2, 'nope']);
    expect(compileError(['x', { else: '{nope}' }]).path).toEqual([1, 'else']);
  });
});

describe('load-time checks use the hook of the environment', () => {
  test('an extractor valid at a later hook fails at an earlier one, and compiles there', () => {
    expect(() => compileExpression('{proxy-rsp-status}', new TestEnv('send-response'))).not.toThrow();
    expect(compileError('{proxy-rsp-status}', new TestEnv('read-request')).message).toContain(
      'proxy-rsp-status is not available at ua-req; it is valid at proxy-rsp, txn-close',
    );
  });

  test('a modifier argument is checked at the same hook', () => {
    expect(
      compileError(['x', { else: '{upstream-rsp-status}' }], new TestEnv('pre-remap')).message,
    ).toContain('not available at pre-remap');
  });

  test('capture groups and {...} are valid anywhere, post-load included', () => {
    expect(() => compileExpression('{1}{...}', new TestEnv('post-load'))).not.toThrow();
  });
});
