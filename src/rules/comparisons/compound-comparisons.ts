/**
 * Comparisons of comparisons: `any-of`, `all-of`, `none-of` (a list of comparisons on the same
 * feature), `for-any`, `for-all`, `for-none` (one comparison on each element of a tuple feature; any
 * other feature counts as a one-element tuple) and `as-tuple` (a list of comparisons, one per element
 * in order). A comparison that does not match leaves `ctx.captures` as it was, so captures always
 * come from the comparisons that made the whole one match.
 */
import type { CompileEnv, CompiledComparison, Feature, RuleContext } from '../types.ts';
import { describeValue } from './operands.ts';
import type { ComparisonSpec } from './spec.ts';

/** The nested comparisons of a list value; a single mapping is a list of one. */
function compileList(name: string, node: unknown, env: CompileEnv): CompiledComparison[] {
  if (Array.isArray(node)) {
    if (node.length === 0) env.fail(`${name} needs at least one comparison`);
    return node.map((element, i) => env.at(i).comparison(element));
  }
  if (node !== null && typeof node === 'object') return [env.comparison(node)];
  return env.fail(`${name} needs a list of comparisons, not ${describeValue(node)}`);
}

/** Runs `test`, putting `ctx.captures` back when it does not match. */
function keepCapturesOnFailure(test: CompiledComparison): CompiledComparison {
  return (feature, ctx) => {
    const before = ctx.captures;
    if (test(feature, ctx)) return true;
    ctx.captures = before;
    return false;
  };
}

function anyOf(list: readonly CompiledComparison[]): CompiledComparison {
  return (feature, ctx) => {
    for (const comparison of list) if (comparison(feature, ctx)) return true;
    return false;
  };
}

function allOf(list: readonly CompiledComparison[]): CompiledComparison {
  return keepCapturesOnFailure((feature, ctx) => {
    for (const comparison of list) if (!comparison(feature, ctx)) return false;
    return true;
  });
}

function noneOf(list: readonly CompiledComparison[]): CompiledComparison {
  return keepCapturesOnFailure((feature, ctx) => {
    for (const comparison of list) if (comparison(feature, ctx)) return false;
    return true;
  });
}

function elements(feature: Feature): readonly Feature[] {
  return Array.isArray(feature) ? (feature as readonly Feature[]) : [feature];
}

function forAny(each: CompiledComparison): CompiledComparison {
  return (feature, ctx) => {
    for (const element of elements(feature)) if (each(element, ctx)) return true;
    return false;
  };
}

function forAll(each: CompiledComparison): CompiledComparison {
  return keepCapturesOnFailure((feature, ctx) => {
    for (const element of elements(feature)) if (!each(element, ctx)) return false;
    return true;
  });
}

function forNone(each: CompiledComparison): CompiledComparison {
  return keepCapturesOnFailure((feature, ctx) => {
    for (const element of elements(feature)) if (each(element, ctx)) return false;
    return true;
  });
}

/** Element i against comparison i; extra elements or comparisons are ignored. */
function asTuple(list: readonly CompiledComparison[]): CompiledComparison {
  return keepCapturesOnFailure((feature: Feature, ctx: RuleContext) => {
    const tuple = elements(feature);
    const count = Math.min(tuple.length, list.length);
    for (let i = 0; i < count; i++) if (!list[i]!(tuple[i]!, ctx)) return false;
    return true;
  });
}

function compileOne(name: string, node: unknown, env: CompileEnv): CompiledComparison {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    return env.fail(`${name} needs one comparison (a mapping like { match: … }), not ${describeValue(node)}`);
  }
  return env.comparison(node);
}

export const COMPOUND_COMPARISONS: readonly ComparisonSpec[] = [
  {
    name: 'any-of',
    summary: 'any of the comparisons matches the feature (or)',
    takes: 'a list of comparisons',
    arg: 'none',
    compile: (_arg, value, env) => anyOf(compileList('any-of', value, env)),
  },
  {
    name: 'all-of',
    summary: 'every one of the comparisons matches the feature (and)',
    takes: 'a list of comparisons',
    arg: 'none',
    compile: (_arg, value, env) => allOf(compileList('all-of', value, env)),
  },
  {
    name: 'none-of',
    summary: 'none of the comparisons matches the feature (not)',
    takes: 'a list of comparisons',
    arg: 'none',
    compile: (_arg, value, env) => noneOf(compileList('none-of', value, env)),
  },
  {
    name: 'for-any',
    summary: 'the comparison matches some element of the tuple feature',
    takes: 'a comparison',
    arg: 'none',
    compile: (_arg, value, env) => forAny(compileOne('for-any', value, env)),
  },
  {
    name: 'for-all',
    summary: 'the comparison matches every element of the tuple feature',
    takes: 'a comparison',
    arg: 'none',
    compile: (_arg, value, env) => forAll(compileOne('for-all', value, env)),
  },
  {
    name: 'for-none',
    summary: 'the comparison matches no element of the tuple feature',
    takes: 'a comparison',
    arg: 'none',
    compile: (_arg, value, env) => forNone(compileOne('for-none', value, env)),
  },
  {
    name: 'as-tuple',
    summary: 'each comparison matches the tuple element at its position',
    takes: 'a list of comparisons',
    arg: 'none',
    compile: (_arg, value, env) => asTuple(compileList('as-tuple', value, env)),
  },
];
