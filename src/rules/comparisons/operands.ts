/**
 * The values comparisons compare against: literals, fixed at load time, or feature expressions,
 * evaluated per transaction; plus the conversions of features to text and to numbers that the
 * comparisons share.
 */
import { featureToString, parseDuration } from '../features/index.ts';
import { Duration, IpAddress, type CompileEnv, type Feature, type RuleContext } from '../types.ts';

/** A comparison value: fixed (a literal, or an expression without extractors) or evaluated per call. */
export type Operand<T> =
  | { readonly fixed: true; readonly value: T }
  | { readonly fixed: false; readonly evaluate: (ctx: RuleContext) => T };

/**
 * Compiles one value node. Strings containing `{` or `}` (extractors, or the `{{`/`}}` escapes) and
 * lists (`[expression, modifier…]`) are feature expressions; other scalars are literals. A mapping is not a value. Expressions the compiler can
 * fold (`constant`) become fixed.
 */
export function compileOperand(node: unknown, env: CompileEnv, what: string): Operand<Feature> {
  if (typeof node === 'string' && (node.includes('{') || node.includes('}')))
    return fromExpression(node, env);
  if (Array.isArray(node)) return fromExpression(node, env);
  if (node === null || typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') {
    return { fixed: true, value: node };
  }
  return env.fail(`${what}: a value is a string, a number, a boolean or a feature expression`);
}

function fromExpression(node: unknown, env: CompileEnv): Operand<Feature> {
  const compiled = env.expression(node);
  if (compiled.constant !== undefined) return { fixed: true, value: compiled.constant };
  return { fixed: false, evaluate: compiled.evaluate };
}

/**
 * Compiles a value that may be a list of values (any of them may match): each element through
 * `convert`, which turns a fixed value into the comparison's form or fails. A list must not be empty.
 */
export function compileOperands<T>(
  node: unknown,
  env: CompileEnv,
  what: string,
  convert: (value: Feature, env: CompileEnv) => T,
  dynamic: (value: Feature) => T | undefined,
): Operand<T | undefined>[] {
  const nodes = valueNodes(node, env);
  if (nodes.length === 0) env.fail(`${what} needs at least one value`);
  return nodes.map(({ node: element, env: at }) => {
    // Inside a list, a list element is an expression with modifiers.
    const operand = compileOperand(element, at, what);
    if (operand.fixed) return { fixed: true, value: convert(operand.value, at) };
    const evaluate = operand.evaluate;
    return { fixed: false, evaluate: (ctx: RuleContext) => dynamic(evaluate(ctx)) };
  });
}

/** The elements of a list value, each with its environment; a value that is not a list is a list of one. */
export function valueNodes(node: unknown, env: CompileEnv): { node: unknown; env: CompileEnv }[] {
  if (!Array.isArray(node)) return [{ node, env }];
  return (node as unknown[]).map((element, i) => ({ node: element, env: env.at(i) }));
}

/**
 * A feature's text for the string comparisons: strings as they are; integers, booleans, IP
 * addresses and durations in their canonical text. Null and tuples have none (undefined).
 */
export function featureText(feature: Feature): string | undefined {
  if (typeof feature === 'string') return feature;
  return feature === null || Array.isArray(feature) ? undefined : featureToString(feature);
}

const INTEGER = /^[+-]?\d+$/;

/**
 * A feature as a number for the numeric comparisons: integers as they are, durations in
 * milliseconds, strings that are written integers (`"200"`, `"-3"`). Anything else is undefined and
 * never matches.
 */
export function featureNumber(feature: Feature): number | undefined {
  if (typeof feature === 'number') return Number.isNaN(feature) ? undefined : feature;
  if (typeof feature === 'string') return INTEGER.test(feature) ? Number(feature) : undefined;
  if (feature instanceof Duration) return feature.ms;
  return undefined;
}

/**
 * A literal numeric value: a number, a written integer (`"-3"`) or a written duration (`30s`,
 * `1h 30m`, as `{duration<…>}` reads them), in milliseconds; undefined otherwise.
 */
export function literalNumber(value: Feature): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    return INTEGER.test(text) ? Number(text) : parseDuration(text);
  }
  if (value instanceof Duration) return value.ms;
  return undefined;
}

/** How a value reads in an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof IpAddress || value instanceof Duration) return `'${value.toString()}'`;
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : typeof value;
}
