/**
 * Compiles one comparison node, a mapping with exactly one key `name` or `name<arg>` (`match<nc>`,
 * `in<office>`), into a closure. Everything is checked here, at load time: the name (with a
 * suggestion), the arg, and the value (each comparison's compile()).
 */
import { didYouMean } from '../../util/edit-distance.ts';
import type { CompileEnv, CompiledComparison } from '../types.ts';
import { COMPARISONS } from './registry.ts';

const KEY = /^([A-Za-z][\w-]*)(?:<([^<>]*)>)?$/;

/** Keys a select case carries beside its comparison; the compiler removes them before calling here. */
const CASE_KEYS = new Set(['do', 'continue']);

export function compileComparison(node: unknown, env: CompileEnv): CompiledComparison {
  if (typeof node === 'string' && COMPARISONS.has(node)) {
    env.fail(`a comparison is a mapping: write '${node}:' (with the colon)`);
  }
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    env.fail('a comparison is a mapping with one key, like { match: "example.com" }');
  }
  const keys = Object.keys(node);
  if (keys.length === 0) env.fail('a comparison needs a key, like { match: "example.com" }');
  if (keys.length > 1) {
    const misplaced = keys.find((key) => CASE_KEYS.has(key));
    if (misplaced !== undefined) {
      env.fail(`'${misplaced}' belongs to a select case, not inside a comparison`, misplaced);
    }
    env.fail(
      `a comparison has exactly one key, found ${keys.map((k) => `'${k}'`).join(', ')}; combine several with all-of or any-of`,
      keys[1],
    );
  }
  const key = keys[0]!;
  const value = (node as Record<string, unknown>)[key];
  const at = env.at(key);
  const parts = KEY.exec(key);
  if (parts === null) env.fail(`'${key}' is not a comparison key (name or name<arg>)`, key);
  const name = parts[1]!;
  const arg = parts[2]?.trim();
  const spec = COMPARISONS.get(name);
  if (spec === undefined) {
    env.fail(`unknown comparison '${name}'${didYouMean(name, COMPARISONS.keys())}`, key);
  }
  if (arg !== undefined) {
    switch (spec.arg) {
      case 'none':
        env.fail(
          arg === 'nc' ? `${name} has no case to ignore (<nc>)` : `${name} takes no <argument>, got <${arg}>`,
          key,
        );
        break;
      case 'nc':
        if (arg !== 'nc')
          env.fail(`unknown option <${arg}> for ${name}; the option is <nc> (ignore case)`, key);
        break;
      case 'name':
        if (arg === '') env.fail(`${name}<> needs a name between the brackets`, key);
        break;
    }
  }
  return spec.compile(arg, value ?? null, at);
}
