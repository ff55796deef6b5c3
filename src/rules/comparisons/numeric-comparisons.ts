/**
 * Numeric comparisons `eq`, `ne`, `lt`, `le`, `gt`, `ge` and the range comparison `in` (numbers and IP
 * addresses). Integers and durations compare by milliseconds; a string feature compares as a number
 * when it is a written integer (`"200"`) and never matches otherwise.
 */
import { parseIpAddress } from '../features/index.ts';
import { IpAddress, type CompileEnv, type CompiledComparison, type Feature } from '../types.ts';
import { featureIpBytes, ipEquals, ipInRange, parseIpRange, type IpBytes, type IpRange } from './ip-range.ts';
import { compileOperand, describeValue, featureNumber, literalNumber, valueNodes } from './operands.ts';
import type { ComparisonSpec } from './spec.ts';

/** What `eq`/`ne` compare against: a number, a boolean or an IP address. */
type EqValue =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'ip'; readonly value: IpBytes };

function eqValue(value: Feature): EqValue | undefined {
  if (typeof value === 'boolean') return { kind: 'boolean', value };
  const number = literalNumber(value);
  if (number !== undefined) return { kind: 'number', value: number };
  const ip = featureIpBytes(typeof value === 'string' ? value.trim() : value);
  if (ip !== undefined) return { kind: 'ip', value: ip };
  return undefined;
}

/** Whether the feature equals the value: true or false, or undefined when it is not of the value's kind. */
function equals(feature: Feature, value: EqValue): boolean | undefined {
  switch (value.kind) {
    case 'number': {
      const number = featureNumber(feature);
      return number === undefined ? undefined : number === value.value;
    }
    case 'boolean':
      return typeof feature === 'boolean' ? feature === value.value : undefined;
    case 'ip': {
      const ip = featureIpBytes(feature);
      return ip === undefined ? undefined : ipEquals(ip, value.value);
    }
  }
}

/**
 * `eq` (a value or a list: any of them) and `ne` (one value). A feature not of the value's kind
 * (a number, a boolean, an IP address) matches neither: `ne: 200` does not match "abc".
 */
function compileEquality(name: 'eq' | 'ne', node: unknown, env: CompileEnv): CompiledComparison {
  const wanted = name === 'eq';
  if (Array.isArray(node) && !wanted) env.fail('ne takes one value; for several use none-of with eq');
  const nodes = valueNodes(node, env);
  if (nodes.length === 0) env.fail(`${name} needs at least one value`);
  const tests = nodes.map(({ node: element, env: at }): CompiledComparison => {
    const operand = compileOperand(element, at, name);
    if (operand.fixed) {
      const value = eqValue(operand.value);
      if (value === undefined) {
        return at.fail(
          `${name} compares integers, durations, booleans and IP addresses, not ${describeValue(operand.value)}; for strings use match`,
        );
      }
      return (feature) => equals(feature, value) === wanted;
    }
    const evaluate = operand.evaluate;
    return (feature, ctx) => {
      const value = eqValue(evaluate(ctx));
      return value !== undefined && equals(feature, value) === wanted;
    };
  });
  if (tests.length === 1) return tests[0]!;
  return (feature, ctx) => {
    for (const test of tests) if (test(feature, ctx)) return true;
    return false;
  };
}

const ORDERINGS = {
  lt: (a: number, b: number) => a < b,
  le: (a: number, b: number) => a <= b,
  gt: (a: number, b: number) => a > b,
  ge: (a: number, b: number) => a >= b,
} as const;

/** `lt`, `le`, `gt`, `ge`: the feature (as a number) against one numeric value. */
function compileOrdering(name: keyof typeof ORDERINGS, node: unknown, env: CompileEnv): CompiledComparison {
  if (Array.isArray(node)) env.fail(`${name} takes one value, not a list`);
  const order = ORDERINGS[name];
  const operand = compileOperand(node, env, name);
  if (operand.fixed) {
    const value = literalNumber(operand.value);
    if (value === undefined) {
      return env.fail(
        `${name} needs an integer or a duration (like 30s), not ${describeValue(operand.value)}`,
      );
    }
    return (feature) => {
      const number = featureNumber(feature);
      return number !== undefined && order(number, value);
    };
  }
  const evaluate = operand.evaluate;
  return (feature, ctx) => {
    const number = featureNumber(feature);
    if (number === undefined) return false;
    const value = featureNumber(evaluate(ctx));
    return value !== undefined && order(number, value);
  };
}

/** A numeric range, inclusive. */
interface NumberRange {
  readonly low: number;
  readonly high: number;
}

const NUMBER_RANGE = /^([+-]?\d+)\s*-\s*([+-]?\d+)$/;

/** One written range of `in`: a number, `low-high`, or an IP address, network or range. */
function parseRange(value: Feature, env: CompileEnv): NumberRange | IpRange {
  const number = literalNumber(value);
  if (number !== undefined) return { low: number, high: number };
  if (typeof value !== 'string') {
    return env.fail(`in needs a numeric range or an IP range, not ${describeValue(value)}`);
  }
  const text = value.trim();
  const numbers = NUMBER_RANGE.exec(text);
  if (numbers !== null) return numberRange(Number(numbers[1]), Number(numbers[2]), env);
  const ip = parseIpRange(text);
  if (ip.ok) return ip.value;
  const looksLikeIp = /[.:]/.test(text);
  return env.fail(
    looksLikeIp
      ? `in: invalid IP range: ${ip.reason}`
      : `in: '${text}' is not a numeric range (10-20) or an IP range`,
  );
}

function numberRange(low: number, high: number, env: CompileEnv): NumberRange {
  if (low > high) env.fail(`in: the range starts above its end (${low} > ${high})`);
  return { low, high };
}

/** The text of a single IP address (not a network or a range), or undefined. */
function singleAddress(value: Feature): string | undefined {
  if (value instanceof IpAddress) return value.text;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return parseIpAddress(text) === undefined ? undefined : text;
}

/** The literal value of an element of `in`, or a load-time error for one built per transaction. */
function literalOf(node: unknown, env: CompileEnv): Feature {
  const operand = compileOperand(node, env, 'in');
  if (!operand.fixed) env.fail('in takes literal ranges, not a feature built per transaction');
  return operand.value;
}

/**
 * `in`: the feature is in a range. `[low, high]` (two numbers or durations) is one numeric range;
 * otherwise the value is a range or a list of ranges (any of them): numbers (`15`, `"10-20"`) and IP
 * ranges (`10.0.0.0/8`, `::1/128`, `10.0.0.1-10.0.0.9`, `192.168.1.7`). Integer and duration features
 * test the numeric ranges; IP address features, and strings that are addresses, the IP ranges.
 */
function compileIn(node: unknown, env: CompileEnv): CompiledComparison {
  // Ranges written unquoted stay text (none can be an extractor's name), as TxnBox reads them.
  let numeric: NumberRange[] = [];
  const ip: IpRange[] = [];
  if (Array.isArray(node)) {
    if (node.length === 0) env.fail('in needs at least one range');
    const values = node.map((element, i) => literalOf(element, env.at(i)));
    const pair = values.length === 2 ? values.map(literalNumber) : [];
    const addresses = values.length === 2 ? values.map(singleAddress) : [];
    if (pair.length === 2 && pair[0] !== undefined && pair[1] !== undefined) {
      numeric = [numberRange(pair[0], pair[1], env)];
    } else if (addresses.length === 2 && addresses[0] !== undefined && addresses[1] !== undefined) {
      // TxnBox: [first, last] is the range between two addresses, both included.
      const range = parseIpRange(`${addresses[0]}-${addresses[1]}`);
      if (!range.ok) env.fail(`in: invalid IP range: ${range.reason}`);
      ip.push(range.value);
    } else {
      values.forEach((value, i) => {
        const range = parseRange(value, env.at(i));
        if ('family' in range) ip.push(range);
        else numeric.push(range);
      });
    }
  } else {
    const range = parseRange(literalOf(node, env), env);
    if ('family' in range) ip.push(range);
    else numeric.push(range);
  }
  const inNumeric =
    numeric.length === 0
      ? undefined
      : (value: number): boolean => {
          for (const range of numeric) if (range.low <= value && value <= range.high) return true;
          return false;
        };
  const inIp =
    ip.length === 0
      ? undefined
      : (address: IpBytes): boolean => {
          for (const range of ip) if (ipInRange(address, range)) return true;
          return false;
        };
  return (feature) => {
    if (inNumeric !== undefined) {
      const number = featureNumber(feature);
      if (number !== undefined) return inNumeric(number);
    }
    if (inIp !== undefined) {
      const address = featureIpBytes(feature);
      if (address !== undefined) return inIp(address);
    }
    return false;
  };
}

/** `in<space>`: the feature (an address) has a row in the IP space `ip-space-define` loaded. */
function compileInSpace(name: string, node: unknown, env: CompileEnv): CompiledComparison {
  if (node !== null)
    env.fail(`in<${name}> takes no value (write 'in<${name}>:'), not ${describeValue(node)}`);
  const space = env.resources.ipSpace(name);
  if (space === undefined) env.fail(`no IP space named '${name}' (ip-space-define at post-load defines one)`);
  return (feature) => {
    if (feature instanceof IpAddress) return space.lookup(feature) !== undefined;
    if (typeof feature !== 'string') return false;
    const address = parseIpAddress(feature);
    return address !== undefined && space.lookup(address) !== undefined;
  };
}

export const NUMERIC_COMPARISONS: readonly ComparisonSpec[] = [
  {
    name: 'eq',
    summary: 'the feature equals the value (integers, durations, booleans, IP addresses)',
    takes: 'an integer, duration, boolean or IP address, or a list of them',
    arg: 'none',
    compile: (_arg, value, env) => compileEquality('eq', value, env),
  },
  {
    name: 'ne',
    summary: 'the feature is of the value’s kind and differs from it',
    takes: 'an integer, duration, boolean or IP address',
    arg: 'none',
    compile: (_arg, value, env) => compileEquality('ne', value, env),
  },
  ...(['lt', 'le', 'gt', 'ge'] as const).map((name): ComparisonSpec => ({
    name,
    summary: {
      lt: 'the feature is less than the value',
      le: 'the feature is less than or equal to the value',
      gt: 'the feature is greater than the value',
      ge: 'the feature is greater than or equal to the value',
    }[name],
    takes: 'an integer or a duration',
    arg: 'none',
    compile: (_arg, value, env) => compileOrdering(name, value, env),
  })),
  {
    name: 'in',
    summary: 'the feature is in a numeric or IP range, or (in<space>) in a named IP space',
    takes: '[low, high], a range (10-20, a CIDR network, low-high addresses) or a list of ranges',
    arg: 'name',
    compile: (arg, value, env) =>
      arg === undefined ? compileIn(value, env) : compileInSpace(arg, value, env),
  },
];
