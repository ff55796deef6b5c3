/**
 * TxnBox's meaning of `with` (the no-return rule, `continue` on the with, `do`, `for-each`,
 * `otherwise`, single-mapping forms) and of paths, run through the real language on a fake transaction.
 */
import { describe, expect, test } from 'vitest';
import { HOOK_INDEX } from '../hooks/index.ts';
import { compileRules, type CompiledRules, type RuleSources } from './compile-rules.ts';
import { createRuleResources } from './directives/index.ts';
import { FakeTxn, ruleContext } from './directives/fake-txn.test-suite.ts';
import { RULE_LANGUAGE } from './language.ts';
import { RuleError } from './types.ts';

function compile(global: unknown, routes: RuleSources['routes'] = []): CompiledRules {
  return compileRules(
    { global: [{ node: global, path: ['rules'] }], routes },
    { language: RULE_LANGUAGE, resources: createRuleResources(), baseDir: '.' },
  );
}

/** Runs the ua-req rules on a request for `path`; the request's fields afterwards. */
function run(rules: unknown, path: string, headers: [string, string][] = []): Record<string, string> {
  const compiled = compile(rules);
  const txn = new FakeTxn({ path, headers });
  const ctx = ruleContext(txn);
  for (const block of compiled.global.get('read-request') ?? []) {
    ctx.terminal = false;
    block(ctx);
  }
  compiled.dispose();
  return Object.fromEntries(txn.request.headers.entries().filter(([name]) => name.startsWith('x-')));
}

function failure(rules: unknown): string {
  try {
    compile(rules).dispose();
  } catch (error) {
    if (error instanceof RuleError) return error.message;
    throw error;
  }
  throw new Error('expected the rules to be refused');
}

const selectOnPath = (extra: Record<string, unknown> = {}) => ({
  with: '{ua-req-path}',
  ...extra,
  select: [
    { prefix: 'api/', do: [{ 'ua-req-field<x-api>': 'yes' }] },
    { match: 'home', do: [{ 'ua-req-field<x-home>': 'yes' }] },
  ],
});

describe("TxnBox's with", () => {
  test('paths have no leading slash', () => {
    expect(run([{ when: 'ua-req', do: [selectOnPath()] }], '/api/users')).toEqual({ 'x-api': 'yes' });
    expect(run([{ when: 'ua-req', do: [{ 'ua-req-field<x-path>': '{ua-req-path}' }] }], '/')).toEqual({
      'x-path': '',
    });
  });

  test('a matched case ends the do list (no return), up to the rule', () => {
    const rules = [
      {
        when: 'ua-req',
        do: [
          { with: '{ua-req-method}', select: [{ match: 'GET', do: [selectOnPath()] }] },
          { 'ua-req-field<x-after>': 'ran' },
        ],
      },
      { when: 'ua-req', do: [{ 'ua-req-field<x-next-rule>': 'ran' }] },
    ];
    expect(run(rules, '/api/x')).toEqual({ 'x-api': 'yes', 'x-next-rule': 'ran' });
    // No case matched: the with has no effect and the list goes on.
    const unmatched = [{ when: 'ua-req', do: [selectOnPath(), { 'ua-req-field<x-after>': 'ran' }] }];
    expect(run(unmatched, '/other')).toEqual({ 'x-after': 'ran' });
  });

  test('continue on the with lets the directives after it run', () => {
    const rules = [
      { when: 'ua-req', do: [selectOnPath({ continue: null }), { 'ua-req-field<x-after>': 'ran' }] },
    ];
    expect(run(rules, '/home')).toEqual({ 'x-home': 'yes', 'x-after': 'ran' });
  });

  test('do runs before the cases with {...}; for-each once per element', () => {
    const rules = [
      {
        when: 'ua-req',
        do: [
          {
            with: '{ua-req-field<x-in>}',
            'for-each': [{ 'ua-req-field-append<x-each>': '<{...}>' }],
            continue: null,
            select: [{ 'for-any': { match: 'b' }, do: [{ 'ua-req-field<x-b>': 'found' }] }],
          },
          { with: '{ua-req-path}', do: { 'ua-req-field<x-pre>': '{...}' }, select: { otherwise: null } },
        ],
      },
    ];
    expect(
      run(rules, '/p', [
        ['x-in', 'a'],
        ['x-in', 'b'],
      ]),
    ).toMatchObject({
      'x-each': '<b>',
      'x-b': 'found',
      'x-pre': 'p',
    });
  });

  test('otherwise and a case of only do: are the default; a case without do counts as a match', () => {
    const rules = [
      {
        when: 'ua-req',
        do: [
          {
            with: '{ua-req-path}',
            select: [{ match: 'quiet' }, { otherwise: null, do: [{ 'ua-req-field<x-d>': '1' }] }],
          },
          { 'ua-req-field<x-after>': 'ran' },
        ],
      },
    ];
    expect(run(rules, '/quiet')).toEqual({});
    expect(run(rules, '/loud')).toEqual({ 'x-d': '1' });
  });

  test('{*} is what a string comparison left over', () => {
    const rest = (comparison: Record<string, unknown>, path: string) =>
      run(
        [
          {
            when: 'ua-req',
            do: [
              {
                with: '{ua-req-path}',
                select: [{ ...comparison, do: [{ 'ua-req-field<x-rest>': '[{*}]' }] }],
              },
            ],
          },
        ],
        path,
      )['x-rest'];
    expect(rest({ prefix: 'shop/' }, '/shop/cart/1')).toBe('[cart/1]');
    expect(rest({ 'suffix<nc>': '.JPG' }, '/img/a.jpg')).toBe('[img/a]');
    expect(rest({ match: 'x' }, '/x')).toBe('[]');
    expect(rest({ tld: 'b.c' }, '/a.b.c')).toBe('[a]');
  });

  test('continue on a case is refused, saying where it belongs', () => {
    const message = failure([
      { when: 'ua-req', do: [{ with: '{ua-req-path}', select: [{ match: 'a', continue: true, do: [] }] }] },
    ]);
    expect(message).toContain('continue belongs on the with');
    expect(
      failure([{ when: 'ua-req', do: [{ with: '{ua-req-path}', continue: false, select: [] }] }]),
    ).toContain('continue takes no value');
  });

  test('one rule may be a mapping, and so may do:', () => {
    expect(run({ when: 'ua-req', do: { 'ua-req-field<x-one>': 'yes' } }, '/')).toEqual({ 'x-one': 'yes' });
  });

  test('refused TxnBox names say why and what to use', () => {
    expect(failure([{ when: 'ua-req', do: [{ 'did-remap': true }] }])).toContain('Junction refuses it');
    expect(failure([{ when: 'ua-req', do: [{ 'ua-req-field<x>': '{remap-replacement-url}' }] }])).toContain(
      'remap rule',
    );
    expect(failure([{ when: 'ua-req', do: [{ 'ua-req-field<x>': '{canary}' }] }])).toContain('quote it');
  });
});

describe('pre-remap', () => {
  test('the URL as it was before the route rules rewrote it', async () => {
    const { ruleHookTables } = await import('./rule-hooks.ts');
    const compiled = compile(
      [{ when: 'proxy-rsp', do: [{ 'proxy-rsp-field<x-pre>': '{pre-remap-path}' }] }],
      [{ route: 'r', node: [{ 'ua-req-path': 'rewritten' }], path: ['routes', 0, 'rules'] }],
    );
    expect(compiled.preRemap).toBe(true);
    const tables = ruleHookTables(compiled);
    const txn = new FakeTxn({ path: '/original' });
    txn.hook = 'remap';
    for (const entry of tables.routes.get('r')![HOOK_INDEX.remap] ?? []) await entry.hook(txn);
    expect(txn.request.path).toBe('/rewritten');
    txn.hook = 'send-response';
    txn.setResponse({ status: 200 });
    for (const entry of tables.global![HOOK_INDEX['send-response']] ?? []) await entry.hook(txn);
    expect(txn.response?.headers.get('x-pre')).toBe('original');
    compiled.dispose();
  });
});

describe("TxnBox's txn-open", () => {
  test('rules run there; the request counts as not read (its extractors are empty)', () => {
    const compiled = compile([
      {
        when: 'txn-open',
        do: [
          { 'timeout<backend-body>': '9s' },
          { with: '{ua-req-path}', select: [{ 'is-empty': null, do: [{ 'var<seen>': 'no request yet' }] }] },
        ],
      },
    ]);
    const txn = new FakeTxn({ path: '/1', hook: 'txn-start' });
    const ctx = ruleContext(txn);
    for (const block of compiled.global.get('txn-start') ?? []) block(ctx);
    compiled.dispose();
    expect(txn.vars.get('seen')).toBe('no request yet');
    expect(txn.timeouts.backendBodyMs).toBe(9000);
  });

  test('the request cannot be changed there', () => {
    expect(failure([{ when: 'txn-open', do: [{ 'ua-req-field<x>': 'y' }] }])).toMatch(/txn-open/);
  });
});
