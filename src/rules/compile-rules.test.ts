/**
 * The compiler's structure over a tiny stand-in vocabulary: when/do blocks, the order of load-time
 * rules, nested when, with/select with defaults and continue, and errors with their paths.
 */
import { describe, expect, test } from 'vitest';
import type { TxnContext, TxnHook, TxnHookName } from '../hooks/index.ts';
import { compileRules, type RuleLanguage, type RuleSources } from './compile-rules.ts';
import { RuleError, type CompileEnv, type DirectiveSpec, type Feature, type RuleContext } from './types.ts';

/** Directives that log what they do; `say: text` at any hook, `early: x` only at read-request. */
function language(log: string[]): RuleLanguage {
  const say: DirectiveSpec = {
    name: 'say',
    arg: 'optional',
    compile(arg, value, env) {
      const feature = env.expression(value);
      return (ctx) => log.push(`${arg ?? ''}${String(feature.evaluate(ctx))}`);
    },
  };
  const early: DirectiveSpec = {
    name: 'early',
    arg: 'none',
    hooks: new Set(['read-request']),
    compile: () => () => log.push('early'),
  };
  const define: DirectiveSpec = {
    name: 'define',
    arg: 'none',
    hooks: new Set(['post-load']),
    compile(_arg, value, env) {
      env.resources.defineStat(String(value), 0);
      log.push(`defined ${String(value)}`);
      return () => undefined;
    },
  };
  return {
    directives: new Map([
      ['say', say],
      ['early', early],
      ['define', define],
    ]),
    compileExpression(node: unknown, env: CompileEnv) {
      if (node === '{path}') return { type: 'string', evaluate: (ctx: RuleContext) => ctx.txn.request.path };
      if (typeof node === 'string' && node.startsWith('{')) env.fail(`unknown extractor ${node}`);
      return { type: 'any', constant: node as Feature, evaluate: () => node as Feature };
    },
    compileComparison(node: unknown, env: CompileEnv) {
      const record = node as Record<string, unknown>;
      if ('prefix' in record) {
        const prefix = String(record['prefix']);
        return (feature) => String(feature).startsWith(prefix);
      }
      return env.fail(`unknown comparison ${Object.keys(record).join()}`);
    },
  };
}

function resources() {
  const stats = new Map<string, { name: string; value: number }>();
  return {
    ipSpace: () => undefined,
    textBlock: () => undefined,
    stat: (name: string) => stats.get(name),
    defineIpSpace: () => undefined,
    defineTextBlock: () => undefined,
    defineStat: (name: string, value: number) => {
      const stat = { name, value };
      stats.set(name, stat);
      return stat;
    },
    stats: () => [...stats.values()],
    dispose: () => undefined,
    onReloadError: undefined,
    onReload: undefined,
  };
}

function compile(global: unknown, routes: RuleSources['routes'] = [], log: string[] = []) {
  return compileRules(
    { global: global === undefined ? [] : [{ node: global, path: ['rules'] }], routes },
    { language: language(log), resources: resources(), baseDir: '.' },
  );
}

/** A transaction stand-in with a path and a place for added hooks. */
function txn(path: string) {
  const added: [TxnHookName, TxnHook][] = [];
  const context = {
    request: { path },
    addHook: (name: TxnHookName, hook: TxnHook) => added.push([name, hook]),
  } as unknown as TxnContext;
  const ctx: RuleContext = {
    txn: context,
    session: {} as RuleContext['session'],
    captures: [],
    terminal: false,
    active: null,
    now: () => 0,
  };
  return { ctx, added };
}

function errorOf(run: () => unknown): { message: string; path: readonly (string | number)[] } {
  try {
    run();
  } catch (error) {
    if (error instanceof RuleError) return { message: error.message, path: error.path };
    throw error;
  }
  throw new Error('expected a RuleError');
}

describe('compileRules', () => {
  test('when blocks group by hook (TxnBox and Junction names), in file order', () => {
    const log: string[] = [];
    const rules = compile(
      [
        { when: 'ua-req', do: [{ say: 'a' }] },
        { when: 'proxy-rsp', do: [{ say: 'c' }] },
        { when: 'read-request', do: [{ say: 'b' }, { 'say<x:>': '{path}' }] },
      ],
      [],
      log,
    );
    expect([...rules.global.keys()]).toEqual(['read-request', 'send-response']);
    const { ctx } = txn('/p');
    for (const block of rules.global.get('read-request')!) block(ctx);
    expect(log).toEqual(['a', 'b', 'x:/p']);
    expect(rules.directiveCount).toBe(4);
  });

  test('post-load rules compile first, so later rules can use what they define', () => {
    const log: string[] = [];
    const rules = compile(
      [
        { when: 'ua-req', do: [{ say: 'x' }] },
        { when: 'post-load', do: [{ define: 'hits' }] },
      ],
      [],
      log,
    );
    expect(log).toEqual(['defined hits']);
    expect(rules.resources.stat('hits')).toEqual({ name: 'hits', value: 0 });
  });

  test('with/select: first match wins, a case without comparison is the default, no return after a match', () => {
    const log: string[] = [];
    const rules = compile(
      [
        {
          when: 'ua-req',
          do: [
            {
              with: '{path}',
              select: [
                { prefix: '/api/v2', do: [{ say: 'v2' }] },
                { prefix: '/', do: [{ say: 'root' }] },
                { do: [{ say: 'default' }] },
              ],
            },
            { say: 'after' },
            { with: '{path}', continue: null, select: [{ prefix: '/', do: [{ say: 'again' }] }] },
            { say: 'last' },
          ],
        },
      ],
      [],
      log,
    );
    const run = (path: string) => {
      log.length = 0;
      for (const block of rules.global.get('read-request')!) {
        const { ctx } = txn(path);
        block(ctx);
      }
      return [...log];
    };
    expect(run('/api/v2/x')).toEqual(['v2']);
    expect(run('/other')).toEqual(['root']);
    expect(run('other')).toEqual(['default']);
  });

  test('continue on the with runs what follows it; a with nothing matched does not stop the list', () => {
    const log: string[] = [];
    const rules = compile(
      [
        {
          when: 'ua-req',
          do: [
            { with: '{path}', continue: null, select: [{ prefix: '/', do: [{ say: 'slash' }] }] },
            { with: '{path}', select: [{ prefix: '/nothing', do: [{ say: 'never' }] }] },
            { say: 'last' },
          ],
        },
      ],
      [],
      log,
    );
    for (const block of rules.global.get('read-request')!) block(txn('/x').ctx);
    expect(log).toEqual(['slash', 'last']);
  });

  test('route rules run in remap mode; a nested when schedules directives for a later hook', () => {
    const log: string[] = [];
    const rules = compile(
      undefined,
      [
        {
          route: 'r',
          node: [{ say: 'now' }, { when: 'proxy-rsp', do: [{ say: 'later' }] }],
          path: ['routes', 0, 'rules'],
        },
      ],
      log,
    );
    const { ctx, added } = txn('/x');
    rules.routes.get('r')!(ctx);
    expect(log).toEqual(['now']);
    expect(added.map(([name]) => name)).toEqual(['send-response']);
    void added[0]![1](ctx.txn);
    expect(log).toEqual(['now', 'later']);
  });

  test.each<[string, unknown, string, readonly (string | number)[]]>([
    [
      'unknown hook',
      [{ when: 'ua-rq', do: [] }],
      "unknown hook 'ua-rq'; did you mean 'ua-req'?",
      ['rules', 0, 'when'],
    ],
    [
      'unknown directive',
      [{ when: 'ua-req', do: [{ sya: 1 }] }],
      "unknown directive 'sya'; did you mean 'say'?",
      ['rules', 0, 'do', 0, 'sya'],
    ],
    [
      'directive at a hook where it is not valid',
      [{ when: 'proxy-rsp', do: [{ early: null }] }],
      'early cannot be used in proxy-rsp; it is valid in ua-req',
      ['rules', 0, 'do', 0, 'early'],
    ],
    [
      'two keys in a directive',
      [{ when: 'ua-req', do: [{ say: 1, early: 2 }] }],
      'a directive is one key, got say, early',
      ['rules', 0, 'do', 0],
    ],
    [
      'nested when for an earlier hook',
      [{ when: 'proxy-rsp', do: [{ when: 'ua-req', do: [] }] }],
      'a nested when must name a later hook than proxy-rsp, got ua-req',
      ['rules', 0, 'do', 0, 'when'],
    ],
    [
      'remap at the top level',
      [{ when: 'remap', do: [] }],
      'remap rules belong to a route (its rules: key), not the top-level rules',
      ['rules', 0, 'when'],
    ],
    [
      'select without with',
      [{ when: 'ua-req', do: [{ select: [] }] }],
      'select needs a with: feature to compare',
      ['rules', 0, 'do', 0, 'select'],
    ],
    [
      'an error inside a case',
      [{ when: 'ua-req', do: [{ with: '{path}', select: [{ prefix: '/', do: [{ say: '{nope}' }] }] }] }],
      'unknown extractor {nope}',
      ['rules', 0, 'do', 0, 'select', 0, 'do', 0, 'say'],
    ],
  ])('%s is a load-time error at its path', (_name, rules, message, path) => {
    expect(errorOf(() => compile(rules))).toEqual({ message, path });
  });
});
