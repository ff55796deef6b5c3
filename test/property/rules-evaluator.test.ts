/**
 * Property test of the rule compiler: random rule sets from a small grammar (with/select over a few
 * extractors, string comparisons and their compounds, defaults, `continue` on the with and TxnBox's
 * no-return rule, nested selects, nested when, route rules in remap mode; directives that set
 * variables and request fields, repeated fields as tuples, paths without the leading `/`) are compiled
 * with the real compiler and language and run against a fake transaction, and the variables and
 * fields they leave must be those a straightforward reference interpreter, written here over the
 * same rule structure, computes. Time-boxed; the seed is printed. Replay or widen a run with
 * JUNCTION_FC_SEED=<seed> and JUNCTION_FC_RUNS=<n>.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { TxnHookName } from '../../src/hooks/index.ts';
import { FakeTxn, ruleContext } from '../../src/rules/directives/fake-txn.test-suite.ts';
import { compileRules, createRuleResources, RULE_LANGUAGE, type RuleSources } from '../../src/rules/index.ts';

const SEED = process.env['JUNCTION_FC_SEED'] ? Number(process.env['JUNCTION_FC_SEED']) : Date.now() % 2 ** 31;
const RUNS = process.env['JUNCTION_FC_RUNS'] ? Number(process.env['JUNCTION_FC_RUNS']) : 400;
const TIME_LIMIT_MS = process.env['JUNCTION_FC_RUNS'] ? 10 * 60_000 : 3_000;
console.log(`[rules evaluator properties] seed=${SEED} runs=${RUNS} (replay with JUNCTION_FC_SEED=${SEED})`);

function params<T>(numRuns = RUNS): fc.Parameters<T> {
  return { seed: SEED, numRuns, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS) as fc.Plugin<T>] };
}

// ---------------------------------------------------------------------------------------------------------
// The grammar, as the plain values YAML would give the compiler.

type Node = Record<string, unknown>;

const VARS = ['a', 'b', 'c'] as const;
const FIELDS = ['x-a', 'x-b', 'x-c'] as const;
/** Hooks top-level rules are generated for, in order, with the names rules use. */
const TOP_HOOKS = [
  ['ua-req', 'read-request'],
  ['pre-remap', 'pre-remap'],
  ['post-remap', 'post-remap'],
] as const;
/** The hooks the driver runs, in order (remap: the route's rules). */
const RUN_ORDER: readonly TxnHookName[] = [
  'read-request',
  'pre-remap',
  'remap',
  'post-remap',
  'send-request',
];
const RULE_NAME: Readonly<Partial<Record<TxnHookName, string>>> = {
  'pre-remap': 'pre-remap',
  'post-remap': 'post-remap',
  'send-request': 'proxy-req',
};

/** Short strings over a small alphabet (no braces: those would be expressions), so matches happen. */
const word = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '/'), maxLength: 3 });

/** A field name as a rule may spell it: case does not matter. */
const fieldName = fc
  .tuple(fc.constantFrom(...FIELDS), fc.boolean())
  .map(([name, upper]) => (upper ? name.toUpperCase() : name));

/** An extractor: what the reference reads. */
const extractor = fc.oneof(
  fc.constant('{ua-req-path}'),
  fieldName.map((name) => `{ua-req-field<${name}>}`),
  fc.constantFrom(...VARS).map((name) => `{var<${name}>}`),
);

/**
 * A feature expression: an extractor alone (its own type: string or null), text around one (a
 * string), a literal, `{...}` inside a select, or an extractor with `else`.
 */
function feature(inSelect: boolean): fc.Arbitrary<unknown> {
  const choices: fc.Arbitrary<unknown>[] = [
    extractor,
    fc.tuple(word, extractor, word).map(([a, x, b]) => `${a}${x}${b}`),
    word,
    fc.tuple(extractor, word).map(([x, fallback]) => [x, { else: fallback }]),
  ];
  if (inSelect) choices.push(fc.constant('{...}'), fc.constant('[{...}]'));
  return fc.oneof(...choices);
}

const STRING_COMPARISONS = ['match', 'prefix', 'suffix', 'contains'] as const;

/** A comparison mapping: one key. */
const comparison: fc.Arbitrary<Node> = fc.letrec<{ comparison: Node }>((tie) => ({
  comparison: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .tuple(
        fc.constantFrom(...STRING_COMPARISONS),
        fc.boolean(),
        fc.oneof(
          word,
          fc.array(word, { minLength: 1, maxLength: 3 }),
          extractor.filter((x) => x !== '{ua-req-path}'),
        ),
      )
      .map(([name, nc, value]) => ({ [nc ? `${name}<nc>` : name]: value })),
    fc.constantFrom({ 'is-empty': null }, { 'is-null': null }),
    fc
      .tuple(
        fc.constantFrom('any-of', 'all-of', 'none-of'),
        fc.array(tie('comparison'), { minLength: 1, maxLength: 3 }),
      )
      .map(([name, list]) => ({ [name]: list })),
  ),
})).comparison;

/** The hooks a nested when may name from `hook`: later ones. */
function laterHooks(hook: TxnHookName): TxnHookName[] {
  return RUN_ORDER.slice(RUN_ORDER.indexOf(hook) + 1).filter((h) => h !== 'remap');
}

/** A `do:` list at `hook`, `depth` levels of nesting left. */
function items(hook: TxnHookName, depth: number, inSelect: boolean): fc.Arbitrary<unknown[]> {
  const directive = fc.oneof(
    fc
      .tuple(fc.constantFrom(...VARS), fc.oneof(feature(inSelect), fc.constant(null)))
      .map(([name, value]) => ({ [`var<${name}>`]: value })),
    fc
      .tuple(
        fc.constantFrom('ua-req-field', 'ua-req-field-append'),
        fieldName,
        fc.oneof(feature(inSelect), fc.constant(null)),
      )
      .map(([name, field, value]) => ({ [`${name}<${field}>`]: value })),
  );
  const choices: fc.Arbitrary<unknown>[] = [directive];
  if (depth > 0) {
    choices.push(selection(hook, depth - 1));
    const later = laterHooks(hook);
    if (later.length > 0) {
      choices.push(
        fc
          .constantFrom(...later)
          .chain((next) =>
            items(next, depth - 1, false).map((body) => ({ when: RULE_NAME[next] ?? next, do: body })),
          ),
      );
    }
  }
  return fc.array(fc.oneof(...choices), { maxLength: 4 });
}

function selection(hook: TxnHookName, depth: number): fc.Arbitrary<Node> {
  const body = items(hook, depth, true);
  const matchCase = fc.tuple(comparison, body).map(([cmp, list]) => ({ ...cmp, do: list }));
  const defaultCase = body.map((list) => ({ do: list }));
  return fc
    .tuple(
      feature(false),
      fc.array(fc.oneof({ weight: 3, arbitrary: matchCase }, defaultCase), { maxLength: 4 }),
      // `continue` on the with: absent, or present (its value does not matter).
      fc.boolean(),
    )
    .map(([withFeature, cases, goOn]) =>
      goOn ? { with: withFeature, continue: null, select: cases } : { with: withFeature, select: cases },
    );
}

const topRule = fc
  .constantFrom(...TOP_HOOKS)
  .chain(([name, hook]) => items(hook, 2, false).map((body) => ({ when: name, do: body })));

const ruleSet = fc.record({
  global: fc.array(topRule, { maxLength: 3 }),
  route: fc.option(items('remap', 2, false), { nil: undefined }),
});

const request = fc.record({
  path: fc.constantFrom('/', '/a', '/ab/', '/b/a', '/A/b'),
  fields: fc.array(fc.tuple(fc.constantFrom('X-A', 'X-B'), word), { maxLength: 3 }),
});

// ---------------------------------------------------------------------------------------------------------
// The reference interpreter.

/** A feature as the reference knows them: text, null, or a tuple of texts (a repeated field). */
type Value = string | null | readonly string[];

interface State {
  readonly path: string;
  /** Field values by lower-case name. */
  readonly fields: Map<string, string[]>;
  readonly vars: Map<string, Value>;
  /** The feature of the innermost `with:` running. */
  active: Value;
  /** Directives a nested when scheduled, by hook. */
  readonly later: Map<TxnHookName, (() => void)[]>;
  /** TxnBox's no-return rule: a matched case ends the do lists up to the rule. */
  terminal: boolean;
}

const asText = (value: Value): string =>
  value === null ? '' : typeof value === 'string' ? value : value.join(', ');

function read(extractorText: string, state: State): Value {
  if (extractorText === '{ua-req-path}') return state.path.replace(/^\//, '');
  if (extractorText === '{...}') return state.active;
  const field = /^\{ua-req-field<(.+)>\}$/.exec(extractorText);
  if (field) {
    const values = state.fields.get(field[1]!.toLowerCase()) ?? [];
    return values.length === 0 ? null : values.length === 1 ? values[0]! : [...values];
  }
  const variable = /^\{var<(.+)>\}$/.exec(extractorText);
  if (variable) return state.vars.get(variable[1]!) ?? null;
  throw new Error(`the reference does not know ${extractorText}`);
}

function evaluate(node: unknown, state: State): Value {
  if (node === null) return null;
  if (Array.isArray(node)) {
    const [inner, modifier] = node as [unknown, { else: string } | undefined];
    const value = evaluate(inner, state);
    if (modifier === undefined) return value;
    return value === null || value === '' || (typeof value !== 'string' && value.length === 0)
      ? modifier.else
      : value;
  }
  const text = node as string;
  const parts = text.split(/(\{[^}]*\})/).filter((part) => part !== '');
  // An extractor alone keeps its own type (null stays null); mixed with text, null reads as nothing.
  if (parts.length === 1 && parts[0]!.startsWith('{')) return read(parts[0]!, state);
  return parts.map((part) => (part.startsWith('{') ? asText(read(part, state)) : part)).join('');
}

function compare(node: Node, value: Value, state: State): boolean {
  const [key, operand] = Object.entries(node)[0]!;
  switch (key) {
    case 'is-null':
      return value === null;
    case 'is-empty':
      return value === null || value === '' || (typeof value !== 'string' && value.length === 0);
    case 'any-of':
      return (operand as Node[]).some((c) => compare(c, value, state));
    case 'all-of':
      return (operand as Node[]).every((c) => compare(c, value, state));
    case 'none-of':
      return !(operand as Node[]).some((c) => compare(c, value, state));
  }
  if (typeof value !== 'string') return false; // null and tuples match no string comparison
  const nc = key.endsWith('<nc>');
  const fold = (s: string) => (nc ? s.toLowerCase() : s);
  const name = nc ? key.slice(0, -4) : key;
  const operands = (Array.isArray(operand) ? operand : [operand]) as string[];
  return operands.some((raw) => {
    const wanted = evaluate(raw, state);
    if (typeof wanted !== 'string') return false;
    const [f, v] = [fold(value), fold(wanted)];
    if (name === 'match') return f === v;
    if (name === 'prefix') return f.startsWith(v);
    if (name === 'suffix') return f.endsWith(v);
    return f.includes(v);
  });
}

function runItems(list: readonly unknown[], state: State): void {
  for (const item of list) {
    runItem(item as Node, state);
    if (state.terminal) return;
  }
}

/** One rule (a when block, the route's list, a scheduled block): it starts afresh. */
function runRule(list: readonly unknown[], state: State): void {
  state.terminal = false;
  runItems(list, state);
  state.terminal = false;
}

function runItem(item: Node, state: State): void {
  if ('when' in item) {
    const hook = (Object.entries(RULE_NAME).find(([, name]) => name === item['when'])?.[0] ??
      item['when']) as TxnHookName;
    const body = item['do'] as unknown[];
    const list = state.later.get(hook) ?? [];
    list.push(() => {
      runRule(body, state);
    });
    state.later.set(hook, list);
    return;
  }
  if ('with' in item) {
    const value = evaluate(item['with'], state);
    const previous = state.active;
    state.active = value;
    state.terminal = false;
    for (const c of item['select'] as Node[]) {
      const { do: body, ...rest } = c;
      if (Object.keys(rest).length === 0 || compare(rest, value, state)) {
        runItems(body as unknown[], state);
        state.terminal = !('continue' in item);
        break;
      }
    }
    state.active = previous;
    return;
  }
  const [key, node] = Object.entries(item)[0]!;
  const [, name, arg] = /^([a-z-]+)<(.+)>$/.exec(key)!;
  const value = evaluate(node, state);
  if (name === 'var') {
    state.vars.set(arg!, value);
    return;
  }
  const field = arg!.toLowerCase();
  // A tuple is one field per element; null none.
  // A field value loses leading and trailing white space.
  const values = (value === null ? [] : typeof value === 'string' ? [value] : [...value]).map((v) =>
    v.replace(/^[ \t]+|[ \t]+$/g, ''),
  );
  if (name === 'ua-req-field') {
    if (values.length === 0) state.fields.delete(field);
    else state.fields.set(field, values);
  } else if (values.length > 0) {
    state.fields.set(field, [...(state.fields.get(field) ?? []), ...values]);
  }
}

interface Outcome {
  readonly vars: Record<string, Value | undefined>;
  readonly fields: Record<string, string[]>;
}

interface Generated {
  readonly global: readonly { when: string; do: unknown[] }[];
  readonly route: unknown[] | undefined;
}

function reference(rules: Generated, req: { path: string; fields: [string, string][] }): Outcome {
  const state: State = {
    path: req.path,
    fields: new Map(),
    vars: new Map(),
    active: null,
    later: new Map(),
    terminal: false,
  };
  for (const [name, value] of req.fields) {
    const key = name.toLowerCase();
    state.fields.set(key, [...(state.fields.get(key) ?? []), value]);
  }
  for (const hook of RUN_ORDER) {
    if (hook === 'remap') {
      if (rules.route !== undefined) runRule(rules.route, state);
    } else {
      const name = TOP_HOOKS.find(([, h]) => h === hook)?.[0];
      for (const rule of rules.global) if (rule.when === name) runRule(rule.do, state);
    }
    for (const scheduled of state.later.get(hook) ?? []) scheduled();
  }
  return {
    vars: Object.fromEntries(
      VARS.map((name) => [name, state.vars.has(name) ? state.vars.get(name) : undefined]),
    ),
    fields: Object.fromEntries(FIELDS.map((name) => [name, state.fields.get(name) ?? []])),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The compiled rules on a fake transaction, driven hook by hook like the reference.

function compiled(rules: Generated, req: { path: string; fields: [string, string][] }): Outcome {
  const sources: RuleSources = {
    global: [{ node: rules.global, path: ['rules'] }],
    routes:
      rules.route === undefined ? [] : [{ route: 'main', node: rules.route, path: ['routes', 0, 'rules'] }],
  };
  const compiledRules = compileRules(sources, {
    language: RULE_LANGUAGE,
    resources: createRuleResources(),
    baseDir: process.cwd(),
  });
  try {
    const txn = new FakeTxn({ path: req.path, headers: req.fields });
    const ctx = ruleContext(txn);
    for (const hook of RUN_ORDER) {
      txn.hook = hook;
      // As rule-hooks.ts runs them: each rule starts afresh.
      const blocks =
        hook === 'remap' ? [compiledRules.routes.get('main')] : (compiledRules.global.get(hook) ?? []);
      for (const block of blocks) {
        ctx.terminal = false;
        block?.(ctx);
      }
      for (const [name, added] of [...txn.added]) if (name === hook) void added(txn);
    }
    return {
      vars: Object.fromEntries(
        VARS.map((name) => [name, txn.vars.has(name) ? (txn.vars.get(name) as Value) : undefined]),
      ),
      fields: Object.fromEntries(FIELDS.map((name) => [name, txn.request.headers.getAll(name)])),
    };
  } finally {
    compiledRules.dispose();
  }
}

describe('compiled rules agree with a reference interpreter', () => {
  test('random rule sets on random requests: the same variables and request fields', () => {
    fc.assert(
      fc.property(ruleSet, request, (rules, req) => {
        const fields = req.fields.map(([name, value]) => [name, value] as [string, string]);
        expect(compiled(rules, { path: req.path, fields })).toEqual(
          reference(rules, { path: req.path, fields }),
        );
      }),
      params(),
    );
  });

  test('the generator reaches what it is meant to: matches, misses, continue, nested when', () => {
    // A sanity check on the grammar: over many rule sets, selections both match and miss,
    // fall through, and schedule later hooks; otherwise the property above proves little.
    const seen = { matched: 0, missed: 0, continued: 0, later: 0, route: 0 };
    fc.assert(
      fc.property(ruleSet, (rules) => {
        const text = JSON.stringify(rules);
        if (text.includes('"continue"')) seen.continued++;
        if (text.includes('"when":"p')) seen.later++;
        if (rules.route !== undefined && rules.route.length > 0) seen.route++;
        const state: State = {
          path: '/a',
          fields: new Map(),
          vars: new Map(),
          active: null,
          later: new Map(),
          terminal: false,
        };
        for (const rule of rules.global) {
          for (const item of rule.do as Node[]) {
            if (!('with' in item)) continue;
            const value = evaluate(item['with'], state);
            for (const c of item['select'] as Node[]) {
              const rest = Object.fromEntries(Object.entries(c).filter(([key]) => key !== 'do'));
              if (Object.keys(rest).length === 0) continue;
              if (compare(rest, value, state)) seen.matched++;
              else seen.missed++;
            }
          }
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(5);
  });
});
