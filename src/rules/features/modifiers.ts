/**
 * The modifiers: `[expression, { modifier: argument }, …]` transforms a feature step by step. Each
 * checks its argument at load time and returns the step that runs per transaction. An argument is a
 * feature expression where that makes sense (`else`, `concat`'s value, the `as-*` fallbacks), so it
 * may itself read the transaction.
 *
 * Null in, null out for the text modifiers (`lower`, `upper`, `trim`, `url-encode`, `url-decode`) and
 * `hash`, so that an `else` further down still sees a missing value as missing.
 */
import { DEFAULT_HASH_SEED, hashString } from '../../strategies/shared/hash.ts';
import { didYouMean } from '../../util/edit-distance.ts';
import { Duration, IpAddress, type CompileEnv, type Feature, type FeatureType } from '../types.ts';
import { parseDuration } from './duration.ts';
import { featureToString, isEmptyFeature, joinFeatures, TUPLE_SEPARATOR } from './feature.ts';
import { parseIpAddress } from './ip-address.ts';
import { literalValue } from '../literal.ts';

import type { CompiledModifier, ModifierSpec } from './modifier-spec.ts';
import { TXNBOX_MODIFIERS } from './txnbox-modifiers.ts';

export type { CompiledModifier, ModifierSpec } from './modifier-spec.ts';

const specs: ModifierSpec[] = [];

function define(spec: ModifierSpec): void {
  specs.push(spec);
}

/** A modifier without an argument and without context: `step` maps the feature. */
function simple(
  name: string,
  type: (input: FeatureType) => FeatureType,
  step: (feature: Feature) => Feature,
): void {
  define({
    name,
    arg: 'none',
    compile: (_arg, _env, input) => ({ apply: step, type: type(input), pure: true }),
  });
}

/** Applies a string function to a string, or to each string of a tuple; other features pass unchanged. */
function onStrings(map: (text: string) => string): (feature: Feature) => Feature {
  const step = (feature: Feature): Feature => {
    if (typeof feature === 'string') return map(feature);
    if (Array.isArray(feature)) return (feature as readonly Feature[]).map(step);
    return feature;
  };
  return step;
}

const same = (input: FeatureType): FeatureType => input;

/** A YAML value for an error message. */
function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** The argument as a compiled expression (null when absent). */
function argument(arg: unknown, env: CompileEnv) {
  return env.expression(arg ?? null);
}

// ---------------------------------------------------------------------------------------------------

define({
  name: 'else',
  arg: 'required',
  argName: 'feature expression',
  compile(arg: unknown, env: CompileEnv, input: FeatureType) {
    const fallback = argument(arg, env);
    const type = fallback.type === input ? input : 'any';
    if (fallback.constant !== undefined) {
      const value = fallback.constant;
      return { apply: (feature) => (isEmptyFeature(feature) ? value : feature), type, pure: true };
    }
    const evaluate = fallback.evaluate;
    return {
      apply: (feature, ctx) => (isEmptyFeature(feature) ? evaluate(ctx) : feature),
      type,
      pure: false,
    };
  },
});

define({
  name: 'hash',
  arg: 'required',
  argName: 'number of buckets N',
  compile(arg: unknown, env: CompileEnv) {
    if (typeof arg !== 'number' || !Number.isSafeInteger(arg) || arg < 1 || arg > 2 ** 32) {
      env.fail(`hash needs a whole number of buckets from 1 to 2^32, got ${describe(arg)}`);
    }
    const buckets = arg;
    return {
      apply: (feature) =>
        feature === null ? null : hashString(featureToString(feature), DEFAULT_HASH_SEED) % buckets,
      type: 'integer',
      pure: true,
    };
  },
});

/** `as-*`: convert, or give the argument (null when omitted) when the feature does not convert. */
function conversion(
  name: string,
  type: FeatureType,
  convert: (feature: Feature) => Feature | undefined,
): void {
  define({
    name,
    arg: 'optional',
    argName: 'fallback feature expression',
    compile(arg: unknown, env: CompileEnv) {
      const fallback = argument(arg, env);
      if (fallback.constant !== undefined) {
        const value = fallback.constant;
        return { apply: (feature) => convert(feature) ?? value, type, pure: true };
      }
      const evaluate = fallback.evaluate;
      return { apply: (feature, ctx) => convert(feature) ?? evaluate(ctx), type: 'any', pure: false };
    },
  });
}

const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;

conversion('as-integer', 'integer', (feature) => {
  if (typeof feature === 'number') return Number.isFinite(feature) ? Math.trunc(feature) : undefined;
  if (typeof feature === 'string') {
    if (!INTEGER_TEXT.test(feature)) return undefined;
    const value = Number(feature);
    return Number.isSafeInteger(value) ? value : undefined;
  }
  if (typeof feature === 'boolean') return feature ? 1 : 0;
  if (feature instanceof Duration) return feature.ms;
  return undefined;
});

conversion('as-ip-addr', 'ip', (feature) => {
  if (feature instanceof IpAddress) return feature;
  if (typeof feature === 'string') return parseIpAddress(feature.trim());
  return undefined;
});

function toDuration(feature: Feature): Duration | undefined {
  if (feature instanceof Duration) return feature;
  if (typeof feature === 'number')
    return Number.isSafeInteger(feature) && feature >= 0 ? new Duration(feature) : undefined;
  if (typeof feature === 'string') {
    const ms = parseDuration(feature);
    return ms === undefined ? undefined : new Duration(ms);
  }
  if (Array.isArray(feature)) {
    // A tuple of durations is their sum.
    let total = 0;
    for (const element of feature as readonly Feature[]) {
      const duration = toDuration(element);
      if (duration === undefined) return undefined;
      total += duration.ms;
    }
    return new Duration(total);
  }
  return undefined;
}

conversion('as-duration', 'duration', toDuration);

/** The strings TxnBox reads as true (any case); every other string is false. */
const TRUE_TEXT = new Set(['true', '1', 'on', 'enable', 'y', 'yes']);

/**
 * TxnBox's `as-bool`: always a boolean. A string is true only when it is one of `true`, `1`, `on`,
 * `enable`, `Y`, `yes` (any case); an integer or a duration when not zero; an address always; a tuple
 * when not empty; null never.
 */
export function asBool(feature: Feature): boolean {
  if (typeof feature === 'boolean') return feature;
  if (typeof feature === 'number') return feature !== 0;
  if (typeof feature === 'string') return TRUE_TEXT.has(feature.trim().toLowerCase());
  if (feature === null) return false;
  if (feature instanceof IpAddress) return true;
  if (feature instanceof Duration) return feature.ms !== 0;
  return feature.length > 0;
}

simple('as-bool', () => 'boolean', asBool);

define({
  name: 'join',
  arg: 'optional',
  argName: 'separator',
  compile(arg: unknown, env: CompileEnv) {
    const text = literalValue(arg);
    if (text !== null && text !== undefined && typeof text !== 'string') {
      env.fail(`join's separator must be a string, got ${JSON.stringify(arg)}`);
    }
    const separator = text ?? TUPLE_SEPARATOR;
    return {
      apply: (feature) =>
        Array.isArray(feature)
          ? joinFeatures(feature as readonly Feature[], separator)
          : featureToString(feature),
      type: 'string',
      pure: true,
    };
  },
});

define({
  name: 'concat',
  arg: 'required',
  argName: '[separator, feature expression]',
  compile(arg: unknown, env: CompileEnv) {
    if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') {
      env.fail('concat takes a list of two: [separator, value], such as [ "?", "{ua-req-query}" ]');
    }
    const separator: string = arg[0];
    const value = env.at(1).expression(arg[1]);
    const step = (feature: Feature, addition: Feature): Feature => {
      const text = featureToString(feature);
      const tail = featureToString(addition);
      if (tail === '') return text;
      if (text === '') return tail;
      return text.endsWith(separator) ? text + tail : text + separator + tail;
    };
    if (value.constant !== undefined) {
      const addition = value.constant;
      return { apply: (feature) => step(feature, addition), type: 'string', pure: true };
    }
    const evaluate = value.evaluate;
    return { apply: (feature, ctx) => step(feature, evaluate(ctx)), type: 'string', pure: false };
  },
});

simple(
  'lower',
  same,
  onStrings((text) => text.toLowerCase()),
);
simple(
  'upper',
  same,
  onStrings((text) => text.toUpperCase()),
);
simple(
  'trim',
  same,
  onStrings((text) => text.trim()),
);
simple(
  'url-encode',
  () => 'string',
  (feature) => (feature === null ? null : encodeURIComponent(featureToString(feature))),
);
simple(
  'url-decode',
  () => 'string',
  (feature) => {
    if (feature === null) return null;
    const text = featureToString(feature);
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  },
);
simple(
  'length',
  () => 'integer',
  (feature) => (Array.isArray(feature) ? feature.length : featureToString(feature).length),
);

// ---------------------------------------------------------------------------------------------------

/** Every modifier, by name. */
export const MODIFIERS: ReadonlyMap<string, ModifierSpec> = new Map(
  [...specs, ...TXNBOX_MODIFIERS].map((spec) => [spec.name, spec]),
);

const MODIFIER_KEY = /^([a-z][a-z0-9-]*)(?:<([^<>]*)>)?$/;

/**
 * Compiles `{ name: argument }` (one key) against the feature type it receives, or fails with a
 * suggestion for an unknown name. `env` is at the mapping.
 */
export function compileModifier(node: unknown, env: CompileEnv, input: FeatureType): CompiledModifier {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    env.fail(
      `a modifier is a mapping { name: argument }, got ${describe(node)}; for a tuple write [[a, b], modifiers…]`,
    );
  }
  const keys = Object.keys(node);
  if (keys.length !== 1) {
    env.fail(
      `a modifier is a mapping with one key (its name), got ${keys.length === 0 ? 'none' : keys.join(', ')}`,
    );
  }
  const key = keys[0]!;
  const parts = MODIFIER_KEY.exec(key);
  const name = parts?.[1] ?? key;
  const option = parts?.[2];
  const spec = MODIFIERS.get(name);
  if (spec === undefined) env.fail(`unknown modifier '${name}'${didYouMean(name, MODIFIERS.keys())}`, key);
  const takes = spec.option ?? 'none';
  if (option !== undefined && takes === 'none') env.fail(`${name} takes no <option>`, key);
  if (option === undefined && takes === 'required') env.fail(`${name} needs an <option>: ${name}<…>`, key);
  const arg: unknown = (node as Record<string, unknown>)[key];
  const absent = arg === null || arg === undefined;
  if (spec.arg === 'none' && !absent && arg !== '') {
    env.fail(`${name} takes no argument: write { ${name}: null }`, key);
  }
  if (spec.arg === 'required' && absent) {
    env.fail(`${name} needs an argument (${spec.argName ?? 'a value'})`, key);
  }
  return spec.compile(arg, env.at(key), input, option);
}
