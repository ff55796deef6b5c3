/**
 * String comparisons: `match`, `prefix`, `suffix`, `contains`, `tld`, `path` and `rxp`, each with a
 * `<nc>` (no case) variant. A value may be a list: the comparison matches when any value does.
 * Features that are not strings compare through their text (integers, booleans, IP addresses,
 * durations); null and tuples never match.
 */
import { isWrappedWord, literalValue } from '../literal.ts';
import { pcreSource } from '../features/pcre.ts';
import type { CompileEnv, CompiledComparison, Feature, RuleContext } from '../types.ts';
import { compileOperands, describeValue, featureText, valueNodes, type Operand } from './operands.ts';
import type { ComparisonSpec } from './spec.ts';

/** How one string comparison tests a feature's text against one (prepared) value. */
interface TextComparison {
  readonly name: string;
  readonly summary: string;
  /** Normalises a value once (after case folding): `tld` drops a leading dot, `path` a trailing slash. */
  readonly prepare?: (value: string) => string;
  readonly test: (text: string, value: string) => boolean;
  /** What the match left over (TxnBox's `{*}`), from the feature's text and the value that matched. */
  readonly rest?: (text: string, value: string) => string;
}

const TEXT_COMPARISONS: readonly TextComparison[] = [
  {
    name: 'match',
    summary: 'the feature equals the value',
    test: (text, value) => text === value,
    rest: () => '',
  },
  {
    name: 'prefix',
    summary: 'the feature starts with the value',
    test: (text, value) => text.startsWith(value),
    rest: (text, value) => text.slice(value.length),
  },
  {
    name: 'suffix',
    summary: 'the feature ends with the value',
    test: (text, value) => text.endsWith(value),
    rest: (text, value) => text.slice(0, text.length - value.length),
  },
  {
    name: 'contains',
    summary: 'the value occurs in the feature',
    test: (text, value) => text.includes(value),
  },
  {
    name: 'tld',
    summary:
      'the feature is the domain name of the value or one under it (a.example.com is under example.com)',
    prepare: (value) => (value.startsWith('.') ? value.slice(1) : value),
    test: (text, value) =>
      text.length === value.length
        ? text === value
        : text.endsWith(value) && text.charCodeAt(text.length - value.length - 1) === DOT,
    rest: (text, value) => text.slice(0, Math.max(0, text.length - value.length - 1)),
  },
  {
    name: 'path',
    summary: 'the feature is the value, with or without one trailing slash',
    prepare: (value) => (value.endsWith('/') ? value.slice(0, -1) : value),
    test: (text, value) =>
      text.length === value.length
        ? text === value
        : text.length === value.length + 1 &&
          text.charCodeAt(value.length) === SLASH &&
          text.startsWith(value),
    rest: () => '',
  },
];

const DOT = 0x2e;
const SLASH = 0x2f;

function compileText(
  kind: TextComparison,
  arg: string | undefined,
  node: unknown,
  env: CompileEnv,
): CompiledComparison {
  const nc = arg === 'nc';
  const prepare = kind.prepare;
  const normalise = (text: string): string => {
    const folded = nc ? text.toLowerCase() : text;
    return prepare === undefined ? folded : prepare(folded);
  };
  const operands = compileOperands(
    node,
    env,
    kind.name,
    (value, at) => {
      const text = featureText(value);
      if (text === undefined) return at.fail(`${kind.name} needs a string, not ${describeValue(value)}`);
      return normalise(text);
    },
    (value) => {
      const text = featureText(value);
      return text === undefined ? undefined : normalise(text);
    },
  );
  const read: (feature: Feature) => string | undefined = nc
    ? (feature) => featureText(feature)?.toLowerCase()
    : (feature) => (typeof feature === 'string' ? feature : featureText(feature));
  const test = kind.test;
  const rest = kind.rest;
  if (rest !== undefined) return withRest(operands, read, test, rest);

  if (operands.every((o) => o.fixed)) {
    const values = operands.map((o) => o.value!);
    if (kind.name === 'match' && values.length > 1) {
      const set = new Set(values);
      return (feature) => {
        const text = read(feature);
        return text !== undefined && set.has(text);
      };
    }
    if (values.length === 1) {
      const value = values[0]!;
      return (feature) => {
        const text = read(feature);
        return text !== undefined && test(text, value);
      };
    }
    return (feature) => {
      const text = read(feature);
      if (text === undefined) return false;
      for (const value of values) if (test(text, value)) return true;
      return false;
    };
  }
  return (feature, ctx) => {
    const text = read(feature);
    if (text === undefined) return false;
    for (const operand of operands) {
      const value = valueOf(operand, ctx);
      if (value !== undefined && test(text, value)) return true;
    }
    return false;
  };
}

/**
 * A comparison that records what its match left over in `ctx.remainder` (TxnBox's `{*}`): the text
 * after a prefix, before a suffix or a domain, '' for match and path.
 */
function withRest(
  operands: readonly Operand<string | undefined>[],
  read: (feature: Feature) => string | undefined,
  test: (text: string, value: string) => boolean,
  rest: (text: string, value: string) => string,
): CompiledComparison {
  const original = (feature: Feature): string =>
    typeof feature === 'string' ? feature : featureText(feature)!;
  const only = operands.length === 1 ? operands[0]! : undefined;
  if (only?.fixed === true && only.value !== undefined) {
    const value = only.value;
    return (feature, ctx) => {
      const text = read(feature);
      if (text === undefined || !test(text, value)) return false;
      ctx.remainder = rest(original(feature), value);
      return true;
    };
  }
  return (feature, ctx) => {
    const text = read(feature);
    if (text === undefined) return false;
    for (const operand of operands) {
      const value = valueOf(operand, ctx);
      if (value !== undefined && test(text, value)) {
        ctx.remainder = rest(original(feature), value);
        return true;
      }
    }
    return false;
  };
}

function valueOf<T>(operand: Operand<T>, ctx: RuleContext): T {
  return operand.fixed ? operand.value : operand.evaluate(ctx);
}

/**
 * `rxp`: the feature matches a regular expression (JavaScript syntax, unanchored unless the pattern
 * says `^`/`$`). Patterns are always literal (braces are regex syntax here, not extractors) and are
 * compiled once. On a match, `ctx.captures` becomes [whole match, group 1, …], an unmatched group
 * being ''.
 */
function compileRxp(arg: string | undefined, node: unknown, env: CompileEnv): CompiledComparison {
  const nodes = valueNodes(node, env);
  if (nodes.length === 0) env.fail('rxp needs at least one pattern');
  const patterns = nodes.map(({ node: pattern, env: at }) => {
    if (typeof pattern !== 'string' && typeof pattern !== 'number') {
      return at.fail(`rxp needs a regular expression (a string), not ${describeValue(pattern)}`);
    }
    if (isWrappedWord(pattern)) {
      return at.fail(
        `rxp takes a quoted pattern: unquoted, '${pattern.slice(1, -1)}' would be an extractor (as in TxnBox)`,
      );
    }
    try {
      // TxnBox writes a pattern as a feature string: `{{`/`}}` are literal braces.
      return new RegExp(pcreSource(String(literalValue(pattern))), arg === 'nc' ? 'i' : '');
    } catch (error) {
      return at.fail(`invalid regular expression '${pattern}': ${(error as Error).message}`);
    }
  });
  const capture = (text: string, ctx: RuleContext, pattern: RegExp): boolean => {
    const found = pattern.exec(text);
    if (found === null) return false;
    ctx.captures = Array.from(found, (group: string | undefined) => group ?? '');
    return true;
  };
  if (patterns.length === 1) {
    const pattern = patterns[0]!;
    return (feature, ctx) => {
      const text = typeof feature === 'string' ? feature : featureText(feature);
      return text !== undefined && capture(text, ctx, pattern);
    };
  }
  return (feature, ctx) => {
    const text = typeof feature === 'string' ? feature : featureText(feature);
    if (text === undefined) return false;
    for (const pattern of patterns) if (capture(text, ctx, pattern)) return true;
    return false;
  };
}

export const STRING_COMPARISONS: readonly ComparisonSpec[] = [
  ...TEXT_COMPARISONS.map((kind): ComparisonSpec => ({
    name: kind.name,
    summary: kind.summary,
    takes: 'a string or feature expression, or a list of them',
    arg: 'nc',
    compile: (arg, value, env) => compileText(kind, arg, value, env),
  })),
  {
    name: 'rxp',
    summary: 'the feature matches the regular expression; sets the capture groups',
    takes: 'a regular expression, or a list of them',
    arg: 'nc',
    compile: compileRxp,
  },
];
