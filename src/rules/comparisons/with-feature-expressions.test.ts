/**
 * Comparisons whose values are real feature expressions (features/compileExpression), evaluated
 * against the features module's fake transaction: the seam between the two modules.
 */
import { describe, expect, test } from 'vitest';
import { fakeContext, type FakeOptions } from '../features/test-context.test-suite.ts';
import { Duration, type Feature } from '../types.ts';
import { compileErrorOf, compileTest, testEnv } from './test-env.test-suite.ts';

const real = { realExpressions: true };

describe('comparison values from feature expressions', () => {
  /** [what, comparison node, transaction, feature, matches?] */
  const ROWS: readonly (readonly [string, Record<string, unknown>, FakeOptions, Feature, boolean])[] = [
    [
      'match the request host',
      { match: '{ua-req-host}' },
      { request: { host: 'example.com' } },
      'example.com',
      true,
    ],
    [
      'match another host',
      { match: '{ua-req-host}' },
      { request: { host: 'example.org' } },
      'example.com',
      false,
    ],
    ['escaped braces are a literal', { match: '{{literal}}' }, {}, '{literal}', true],
    ['a duration constant', { lt: '{duration<30s>}' }, {}, new Duration(29_999), true],
    ['a duration constant, not below', { lt: '{duration<30s>}' }, {}, new Duration(30_000), false],
    [
      'the client address',
      { eq: '{inbound-addr-remote}' },
      { session: { clientAddress: '192.0.2.7' } },
      '192.0.2.7',
      true,
    ],
    [
      'a transaction variable in a list',
      { prefix: ['/static/', '{var<p>}'] },
      { vars: { p: '/v2/' } },
      '/v2/x',
      true,
    ],
    ['an unset variable matches nothing', { prefix: '{var<p>}' }, {}, '/v2/x', false],
    ['a variable as a number', { gt: '{var<limit>}' }, { vars: { limit: 10 } }, 11, true],
  ];
  test.each(ROWS)('%s', (_what, node, options, feature, expected) => {
    expect(compileTest(node, real)(feature, fakeContext(options))).toBe(expected);
  });

  test('the examples of the reference: a tuple for as-tuple, as-bool for is-true, a modifier in a list', () => {
    const env = { realExpressions: true };
    const ctx = fakeContext({
      request: { method: 'GET', host: 'Example.COM', path: '/api/x', headers: ['X-Debug', 'yes'] },
    });
    const tuple = testEnv(env)
      .expression([['{ua-req-method}', '{ua-req-path}']])
      .evaluate(ctx);
    expect(compileTest({ 'as-tuple': [{ match: 'GET' }, { prefix: 'api/' }] }, env)(tuple, ctx)).toBe(true);
    const debug = testEnv(env)
      .expression(['{ua-req-field<X-Debug>}', { 'as-bool': null }])
      .evaluate(ctx);
    expect(compileTest({ 'is-true': null }, env)(debug, ctx)).toBe(true);
    expect(compileTest({ match: [['{ua-req-host}', { lower: null }]] }, env)('example.com', ctx)).toBe(true);
  });

  test('a mistake in the expression fails at the comparison value', () => {
    const error = compileErrorOf({ match: '{ua-req-hots}' }, real);
    expect(error.message).toMatch(/ua-req-hots.*did you mean 'ua-req-host'/);
    expect(error.path[0]).toBe('match');
  });

  test('in refuses a range built per transaction', () => {
    expect(compileErrorOf({ in: '{var<net>}' }, real).message).toBe(
      'in takes literal ranges, not a feature built per transaction',
    );
  });
});
