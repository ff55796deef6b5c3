/**
 * Feature expressions → closures, once at load time. The forms:
 * - a number (a whole one), boolean or null: that literal;
 * - a string: a feature string (format-string.ts). Exactly one placeholder without a format yields
 *   the extractor's own typed value; literal text mixed with placeholders yields a string; no
 *   placeholder at all is a literal string;
 * - a list `[expression, { modifier: argument }, …]`: the expression, then each modifier in turn.
 *   When the first element is itself a list, its elements are expressions making a tuple:
 *   `[[ "{ua-req-host}", "{ua-req-path}" ], { join: "/" }]`.
 *
 * Every name is resolved and every argument checked here; a wrong one fails through env.fail with
 * the closest valid name, or the hooks where the extractor would be valid.
 */
import { TXNBOX_HOOK_NAMES } from '../../hooks/index.ts';
import { didYouMean } from '../../util/edit-distance.ts';
import type { CompileEnv, CompiledFeature, Feature, FeatureType, RuleContext } from '../types.ts';
import { EXTRACTORS } from './extractors.ts';
import { applyFormat, parseFormatString, type Placeholder } from './format-string.ts';
import { featureToString, typeOfFeature } from './feature.ts';
import { compileModifier } from './modifiers.ts';
import { refusal, REFUSED_EXTRACTORS } from '../refused.ts';

type Evaluate = (ctx: RuleContext) => Feature;

/**
 * What a pure step or a constant extractor is called with at load time. They never read it; reading
 * it anyway is a bug in this module, and fails loudly rather than with a wrong value.
 */
const NO_CONTEXT = new Proxy({} as RuleContext, {
  get(_target, key) {
    throw new Error(`a constant feature read the context (${String(key)}) at load time`);
  },
});

/** Extractors of the client request, which has not been read at txn-open (in TxnBox). */
const BEFORE_REQUEST = /^(?:ua-req-|pre-remap-|pristine-)/;

/** Compiles a feature expression (see the module comment), failing through `env` on any mistake. */
export function compileExpression(node: unknown, env: CompileEnv): CompiledFeature {
  if (node === null || node === undefined) return constant(null);
  if (typeof node === 'string') return compileFeatureString(node, env);
  if (typeof node === 'boolean') return constant(node);
  if (typeof node === 'number') {
    if (!Number.isSafeInteger(node)) {
      env.fail(
        `${node} is not a whole number; integer features are whole numbers (write "${node}" for text)`,
      );
    }
    return constant(node);
  }
  if (Array.isArray(node)) return compileList(node, env);
  env.fail(
    'a feature expression is a string (with {extractor}s), a number, true/false, null, or a list [expression, modifiers…]',
  );
}

function constant(value: Feature): CompiledFeature {
  return { evaluate: () => value, type: typeOfFeature(value), constant: value };
}

// ---------------------------------------------------------------------------------------------------
// Lists: tuples and modifiers.

function isModifierNode(node: unknown): boolean {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/**
 * A list, as TxnBox reads one: `[]` is null, `[x]` is x, `[x, { modifier }, …]` is x through the
 * modifiers, and a list without modifiers (`[a, b]`) a tuple of its elements; `[[a, b], …]` is a tuple
 * with modifiers.
 */
function compileList(list: readonly unknown[], env: CompileEnv): CompiledFeature {
  if (list.length === 0) return constant(null);
  if (list.length > 1 && !isModifierNode(list[1])) {
    const misplaced = list.findIndex(isModifierNode);
    if (misplaced !== -1) {
      env.fail(
        'a list is a tuple [a, b, …] or an expression with modifiers [expression, { modifier }, …], not both; for a tuple with modifiers write [[a, b], { modifier }]',
        misplaced,
      );
    }
    return compileTuple(list, env);
  }
  const first: unknown = list[0];
  let feature = Array.isArray(first) ? compileTuple(first, env.at(0)) : env.at(0).expression(first);
  for (let i = 1; i < list.length; i++) {
    const modifier = compileModifier(list[i], env.at(i), feature.type);
    if (feature.constant !== undefined && modifier.pure) {
      feature = constantOrTyped(modifier.apply(feature.constant, NO_CONTEXT), modifier.type);
      continue;
    }
    const previous = feature.evaluate;
    const apply = modifier.apply;
    feature = { evaluate: (ctx) => apply(previous(ctx), ctx), type: modifier.type };
  }
  return feature;
}

/** A folded constant keeps the modifier's declared type unless the value says more. */
function constantOrTyped(value: Feature, declared: FeatureType): CompiledFeature {
  const folded = constant(value);
  return declared === 'any' ? folded : { ...folded, type: value === null ? declared : folded.type };
}

function compileTuple(items: readonly unknown[], env: CompileEnv): CompiledFeature {
  const elements = items.map((item, index) => env.at(index).expression(item));
  if (elements.every((element) => element.constant !== undefined)) {
    return constant(elements.map((element) => element.constant as Feature));
  }
  const evaluators = elements.map((element) => element.evaluate);
  return { evaluate: (ctx) => evaluators.map((evaluate) => evaluate(ctx)), type: 'tuple' };
}

// ---------------------------------------------------------------------------------------------------
// Feature strings.

interface CompiledPlaceholder {
  readonly evaluate: Evaluate;
  readonly type: FeatureType;
  /** Set when the value is known at load time. */
  readonly constant?: Feature | undefined;
}

function compileFeatureString(text: string, env: CompileEnv): CompiledFeature {
  const parsed = parseFormatString(text);
  if (!parsed.ok) env.fail(`${parsed.problem}, in ${JSON.stringify(text)}`);
  const parts = parsed.parts;
  if (parts.length === 0) return constant('');

  // One placeholder alone, without a format: the extractor's typed value.
  const only = parts[0]!;
  if (parts.length === 1 && typeof only !== 'string' && only.format === undefined) {
    const compiled = compilePlaceholder(only, env, 1);
    return compiled.constant !== undefined ? constant(compiled.constant) : compiled;
  }

  // Otherwise text: literal pieces and placeholders rendered as strings.
  const pieces: (string | ((ctx: RuleContext) => string))[] = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      appendLiteral(pieces, part);
      continue;
    }
    const compiled = compilePlaceholder(part, env);
    const format = part.format;
    if (compiled.constant !== undefined) {
      const value = compiled.constant;
      appendLiteral(pieces, format === undefined ? featureToString(value) : applyFormat(value, format));
      continue;
    }
    const evaluate = compiled.evaluate;
    pieces.push(
      format === undefined
        ? (ctx) => featureToString(evaluate(ctx))
        : (ctx) => applyFormat(evaluate(ctx), format),
    );
  }
  if (pieces.length === 1 && typeof pieces[0] === 'string') return constant(pieces[0]);
  return { evaluate: render(pieces), type: 'string' };
}

function appendLiteral(pieces: (string | ((ctx: RuleContext) => string))[], text: string): void {
  const last = pieces.length - 1;
  if (last >= 0 && typeof pieces[last] === 'string') pieces[last] += text;
  else pieces.push(text);
}

/** The closure that renders the pieces: the common short shapes without a loop. */
function render(pieces: readonly (string | ((ctx: RuleContext) => string))[]): Evaluate {
  const [a, b, c] = pieces;
  if (pieces.length === 1 && typeof a === 'function') return a;
  if (pieces.length === 2) {
    if (typeof a === 'string' && typeof b === 'function') return (ctx) => a + b(ctx);
    if (typeof a === 'function' && typeof b === 'string') return (ctx) => a(ctx) + b;
  }
  if (pieces.length === 3 && typeof a === 'function' && typeof b === 'string' && typeof c === 'function') {
    return (ctx) => a(ctx) + b + c(ctx);
  }
  return (ctx) => {
    let out = '';
    for (const piece of pieces) out += typeof piece === 'string' ? piece : piece(ctx);
    return out;
  };
}

function hookName(hook: CompileEnv['hook']): string {
  return hook === 'post-load' ? 'post-load' : TXNBOX_HOOK_NAMES[hook];
}

function compilePlaceholder(placeholder: Placeholder, env: CompileEnv, parts = 0): CompiledPlaceholder {
  const { name, arg, source, format } = placeholder;
  if (name === '...') {
    if (arg !== undefined) env.fail(`'${source}': {...} takes no argument`);
    return { evaluate: (ctx) => ctx.active, type: 'any' };
  }
  if (name === '*') {
    if (arg !== undefined) env.fail(`'${source}': {*} takes no argument`);
    return { evaluate: (ctx) => ctx.remainder ?? null, type: 'string' };
  }
  if (/^\d+$/.test(name)) {
    if (arg !== undefined) env.fail(`'${source}': a capture group takes no argument`);
    const index = Number(name);
    return { evaluate: (ctx) => ctx.captures[index] ?? null, type: 'string' };
  }
  const spec = EXTRACTORS.get(name);
  if (spec === undefined) {
    const refused = refusal(REFUSED_EXTRACTORS, name);
    if (refused !== undefined) env.fail(refused);
    // An unquoted word is an extractor (as in TxnBox), so `cluster: canary` lands here.
    const hint = didYouMean(name, EXTRACTORS.keys());
    const unquoted =
      parts === 1 && format === undefined && hint === ''
        ? `; an unquoted value is an extractor (as in TxnBox): for the text, quote it ('${source.slice(1, -1)}')`
        : '';
    env.fail(`unknown extractor '${name}' in '${source}'${hint}${unquoted}`);
  }
  if (spec.arg === 'none' && arg !== undefined)
    env.fail(`'${source}': ${name} takes no argument; write {${name}}`);
  if (spec.arg === 'required' && arg === undefined) {
    env.fail(`'${source}': ${name} needs an argument: {${name}<${spec.argName ?? 'argument'}>}`);
  }
  if (spec.hooks !== undefined && !spec.hooks.has(env.hook)) {
    const valid = [...spec.hooks].map(hookName).join(', ');
    env.fail(`${name} is not available at ${hookName(env.hook)}; it is valid at ${valid}`);
  }
  // TxnBox's txn-open comes before the request is read: the request's extractors read null there.
  if (env.hook === 'txn-start' && BEFORE_REQUEST.test(name))
    return { evaluate: () => null, type: 'any', constant: null };
  const evaluate = spec.compile(arg, env);
  if (spec.constant === true) {
    const value = evaluate(NO_CONTEXT);
    return { evaluate: () => value, type: spec.type, constant: value };
  }
  return { evaluate, type: spec.type };
}
