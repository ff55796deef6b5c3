/**
 * Turning directive values into typed closures at load time: feature expressions compiled once,
 * checked as far as their constant parts allow, and converted per transaction without lookups.
 */
import { featureToString, parseDuration } from '../features/index.ts';
import {
  Duration,
  IpAddress,
  type CompileEnv,
  type CompiledFeature,
  type Feature,
  type RuleContext,
} from '../types.ts';

export type Eval<T> = (ctx: RuleContext) => T;

/** A YAML mapping (not a list, not a feature object). */
export function isMapping(node: unknown): node is Readonly<Record<string, unknown>> {
  return (
    typeof node === 'object' &&
    node !== null &&
    !Array.isArray(node) &&
    !(node instanceof IpAddress) &&
    !(node instanceof Duration)
  );
}

/**
 * A list value that is a tuple of expressions (`[404, "Gone"]`), not an expression with modifiers
 * (`["{ua-req-field<X>}", { else: "y" }]`): modifiers are mappings, tuple elements never are.
 */
export function tupleElements(node: unknown): readonly unknown[] | undefined {
  if (!Array.isArray(node)) return undefined;
  return node.some(isMapping) ? undefined : (node as unknown[]);
}

/** A whole number from an integer feature or decimal text; undefined otherwise. */
export function featureInteger(feature: Feature): number | undefined {
  if (typeof feature === 'number') return Number.isSafeInteger(feature) ? feature : undefined;
  if (typeof feature === 'string' && /^\s*[-+]?\d{1,15}\s*$/.test(feature)) return Number(feature);
  return undefined;
}

/** Text as the rules write it: integers and booleans in decimal, addresses canonical, tuples joined. */
export { featureToString };

/** Milliseconds from a duration feature, an integer (ms) or text like `500ms`, `30s`, `1h 30m`. */
export function featureDurationMs(feature: Feature): number | undefined {
  if (feature instanceof Duration) return feature.ms;
  if (typeof feature === 'number') return Number.isSafeInteger(feature) && feature >= 0 ? feature : undefined;
  return typeof feature === 'string' ? parseDuration(feature) : undefined;
}

/** A short description of a value for messages. */
export function describe(feature: unknown): string {
  if (feature === null || feature === undefined) return 'null';
  if (typeof feature === 'string') {
    const text = feature.length > 60 ? `${feature.slice(0, 57)}...` : feature;
    return `'${text.replace(/[\r\n\0]/g, (c) => (c === '\r' ? '\\r' : c === '\n' ? '\\n' : '\\0'))}'`;
  }
  if (typeof feature === 'number' || typeof feature === 'boolean') return String(feature);
  if (feature instanceof IpAddress) return `the address ${feature.text}`;
  if (feature instanceof Duration) return `the duration ${feature.ms}ms`;
  if (Array.isArray(feature)) return 'a list';
  return 'a mapping';
}

/** A directive's value went wrong for one transaction: the message names the directive. */
export class DirectiveRunError extends Error {
  constructor(directive: string, message: string) {
    super(`${directive}: ${message}`);
    this.name = 'DirectiveRunError';
  }
}

/**
 * Compiles `node` as a feature expression and converts each result with `convert` (undefined: the
 * value is wrong; `expected` says what it must be, as in "the status must be an integer", or
 * explains what is wrong with one value). A constant is converted once, here, and a wrong one is a
 * load-time error, as is an expression whose type `acceptsType` refuses. A wrong value at run time
 * throws a DirectiveRunError.
 */
export function compileConverted<T>(
  env: CompileEnv,
  node: unknown,
  directive: string,
  convert: (feature: Feature) => T | undefined,
  expected: string | ((feature: Feature) => string),
  acceptsType: (type: CompiledFeature['type']) => boolean = () => true,
): Eval<T> {
  const explain =
    typeof expected === 'string' ? (feature: Feature) => `${expected}, got ${describe(feature)}` : expected;
  const compiled = env.expression(node);
  if (compiled.constant !== undefined) {
    const constant = compiled.constant;
    const value = convert(constant);
    if (value === undefined) env.fail(explain(constant));
    return () => value;
  }
  if (typeof expected === 'string' && !acceptsType(compiled.type)) {
    env.fail(`${expected}, but the value is always ${articled(compiled.type)}`);
  }
  const evaluate = compiled.evaluate;
  return (ctx) => {
    const feature = evaluate(ctx);
    const value = convert(feature);
    if (value === undefined) throw new DirectiveRunError(directive, explain(feature));
    return value;
  };
}

function articled(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Text from any feature (null is ''); a constant is rendered once. */
export function compileText(env: CompileEnv, node: unknown): Eval<string> {
  const compiled = env.expression(node);
  if (compiled.constant !== undefined) {
    const text = featureToString(compiled.constant);
    return () => text;
  }
  const evaluate = compiled.evaluate;
  return (ctx) => featureToString(evaluate(ctx));
}

/** Text that may not contain a line break or NUL (it goes into a message head). */
export function compileHeadText(
  env: CompileEnv,
  node: unknown,
  directive: string,
  what: string,
): Eval<string> {
  return compileConverted(
    env,
    node,
    directive,
    (feature) => {
      const text = featureToString(feature);
      return UNSAFE_TEXT.test(text) ? undefined : text;
    },
    `${what} must not contain a line break or NUL`,
  );
}

export const UNSAFE_TEXT = /[\r\n\0]/;

/** A non-empty name (route, cluster, strategy, backend id, variable). */
export function compileName(env: CompileEnv, node: unknown, directive: string, what: string): Eval<string> {
  return compileConverted(
    env,
    node,
    directive,
    (feature) => {
      if (feature === null || typeof feature === 'boolean' || Array.isArray(feature)) return undefined;
      const text = featureToString(feature).trim();
      return text === '' ? undefined : text;
    },
    `${what} must be a non-empty name`,
    (type) => type !== 'boolean' && type !== 'null' && type !== 'tuple',
  );
}

/** The keys of a mapping value, checked against the ones the directive knows. */
export function checkKeys(
  env: CompileEnv,
  value: Readonly<Record<string, unknown>>,
  known: readonly string[],
  directive: string,
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      env.fail(`${directive} does not take '${key}'; it takes ${known.map((k) => `'${k}'`).join(', ')}`, key);
    }
  }
}

/** The literal text of a load-time key (no extractors there: there is no transaction yet). */
export function literalString(env: CompileEnv, node: unknown, key: string, what: string): string {
  if (typeof node !== 'string' || node.trim() === '') env.fail(`${what} must be a non-empty string`, key);
  return node;
}
