/**
 * A stub CompileEnv for the comparison tests: positions and RuleErrors like the compiler's, and a
 * tiny expression compiler with a few fake extractors, so comparisons can be tested without the
 * features module:
 * - `{var<name>}`: the test context's variable `name` (null when unset), evaluated per call;
 * - `{const<text>}`: the string `text`, folded (`constant`);
 * - `{duration<30s>}`: a Duration, folded; `{ip<10.0.0.1>}`: an IpAddress, folded;
 * - text around extractors is concatenated; `[expression, 'lower' | 'upper']` applies a modifier.
 */
import type { TxnContext } from '../../hooks/index.ts';
import {
  Duration,
  IpAddress,
  RuleError,
  type CompileEnv,
  type CompiledComparison,
  type CompiledFeature,
  type Feature,
  type IpSpaceLookup,
  type RuleContext,
  type RulePath,
  type RuleResources,
  type SessionView,
  type StatCounter,
} from '../types.ts';
import { compileComparison } from './compile-comparison.ts';
import { parseIpBytes } from './ip-range.ts';
import { compileExpression, parseDuration } from '../features/index.ts';
import { featureText } from './operands.ts';

const VARIABLES = new WeakMap<RuleContext, Record<string, Feature>>();

/** A rule context whose `{var<name>}` values are `variables`. */
export function testContext(variables: Record<string, Feature> = {}): RuleContext {
  const ctx: RuleContext = {
    txn: {} as TxnContext,
    session: {} as SessionView,
    captures: [],
    terminal: false,
    active: null,
    now: () => 0,
  };
  VARIABLES.set(ctx, variables);
  return ctx;
}

export interface TestEnvOptions {
  readonly ipSpaces?: Readonly<Record<string, IpSpaceLookup>>;
  /** Compile values with the real compileExpression (features/) instead of the fake extractors. */
  readonly realExpressions?: boolean;
}

/** Test resources: IP spaces given up front, the rest in maps. */
function testResources(options: TestEnvOptions): RuleResources {
  const spaces = new Map(Object.entries(options.ipSpaces ?? {}));
  const blocks = new Map<string, () => string>();
  const stats = new Map<string, StatCounter>();
  return {
    ipSpace: (name) => spaces.get(name),
    textBlock: (name) => blocks.get(name),
    stat: (name) => stats.get(name),
    defineIpSpace: (name, space) => spaces.set(name, space),
    defineTextBlock: (name, text) => blocks.set(name, text),
    defineStat: (name, initial) => {
      const counter = { name, value: initial };
      stats.set(name, counter);
      return counter;
    },
    stats: () => [...stats.values()],
  };
}

class TestEnv implements CompileEnv {
  readonly hook = 'read-request' as const;
  readonly path: RulePath;
  readonly resources: RuleResources;
  readonly baseDir = '.';
  readonly #realExpressions: boolean;

  constructor(path: RulePath, resources: RuleResources, realExpressions: boolean) {
    this.path = path;
    this.resources = resources;
    this.#realExpressions = realExpressions;
  }

  at(key: string | number): CompileEnv {
    return new TestEnv([...this.path, key], this.resources, this.#realExpressions);
  }

  expression(node: unknown): CompiledFeature {
    return this.#realExpressions ? compileExpression(node, this) : compileTestExpression(node, this);
  }

  comparison(node: unknown): CompiledComparison {
    return compileComparison(node, this);
  }

  require(): void {
    // the test contexts keep every fact
  }

  onDispose(): void {
    // Nothing to clean up in tests.
  }

  fail(message: string, key?: string | number): never {
    throw new RuleError(message, key === undefined ? this.path : [...this.path, key]);
  }
}

/** A stub environment at the rules root. */
export function testEnv(options: TestEnvOptions = {}): CompileEnv {
  return new TestEnv([], testResources(options), options.realExpressions ?? false);
}

type Part = { readonly constant: Feature } | { readonly evaluate: (ctx: RuleContext) => Feature };

function extractor(name: string, arg: string, env: CompileEnv): Part {
  switch (name) {
    case 'var':
      return { evaluate: (ctx) => VARIABLES.get(ctx)?.[arg] ?? null };
    case 'const':
      return { constant: arg };
    case 'duration': {
      const ms = parseDuration(arg);
      return ms === undefined ? env.fail(`bad duration '${arg}'`) : { constant: new Duration(ms) };
    }
    case 'ip': {
      const ip = parseIpBytes(arg);
      return ip === undefined
        ? env.fail(`bad address '${arg}'`)
        : { constant: new IpAddress(ip.family, ip.bytes, arg) };
    }
    default:
      return env.fail(`unknown extractor '${name}'`);
  }
}

function compileTestExpression(node: unknown, env: CompileEnv): CompiledFeature {
  if (Array.isArray(node)) {
    const [inner, ...modifiers] = node as unknown[];
    let compiled = compileTestExpression(inner, env.at(0));
    for (const modifier of modifiers) {
      if (modifier !== 'lower' && modifier !== 'upper') env.fail(`unknown modifier ${String(modifier)}`);
      const apply = (value: Feature): Feature =>
        typeof value === 'string'
          ? modifier === 'lower'
            ? value.toLowerCase()
            : value.toUpperCase()
          : value;
      const before = compiled;
      compiled =
        before.constant !== undefined
          ? constantFeature(apply(before.constant))
          : { type: 'any', evaluate: (ctx) => apply(before.evaluate(ctx)) };
    }
    return compiled;
  }
  if (typeof node !== 'string') return constantFeature(node as Feature);
  const parts: Part[] = [];
  let last = 0;
  for (const found of node.matchAll(/\{([a-z-]+)(?:<([^>]*)>)?\}/g)) {
    if (found.index > last) parts.push({ constant: node.slice(last, found.index) });
    parts.push(extractor(found[1]!, found[2] ?? '', env));
    last = found.index + found[0].length;
  }
  if (last < node.length) parts.push({ constant: node.slice(last) });
  if (parts.every((part) => 'constant' in part)) {
    const values = parts.map((part) => (part as { constant: Feature }).constant);
    return constantFeature(
      values.length === 1 ? values[0]! : values.map((v) => featureText(v) ?? '').join(''),
    );
  }
  if (parts.length === 1) {
    const only = parts[0] as { evaluate: (ctx: RuleContext) => Feature };
    return { type: 'any', evaluate: only.evaluate };
  }
  return {
    type: 'string',
    evaluate: (ctx) =>
      parts
        .map((part) => featureText('constant' in part ? part.constant : part.evaluate(ctx)) ?? '')
        .join(''),
  };
}

function constantFeature(value: Feature): CompiledFeature {
  return { type: 'any', constant: value, evaluate: () => value };
}

/** Compiles a comparison node in a fresh stub environment. */
export function compileTest(node: unknown, options: TestEnvOptions = {}): CompiledComparison {
  return compileComparison(node, testEnv(options));
}

/** The RuleError compiling `node` throws (fails the test when it compiles). */
export function compileErrorOf(node: unknown, options: TestEnvOptions = {}): RuleError {
  try {
    compileTest(node, options);
  } catch (error) {
    if (error instanceof RuleError) return error;
    throw error;
  }
  throw new Error(`expected a RuleError compiling ${JSON.stringify(node)}`);
}
