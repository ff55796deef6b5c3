/**
 * The schema toolkit every section schema is built with: strict mappings whose unknown keys get "did
 * you mean" suggestions, empty-means-absent, one-or-many lists, ranges, durations, sizes, percentages,
 * and `parsed()` for values with their own syntax. Messages are predicates ("must be …, got …").
 */
import * as z from 'zod';
import { describeValue } from './describe-value.ts';
import { parseDurationMs, parseSizeBytes } from './units.ts';

/**
 * zod's unrecognized_keys issue does not say which keys were allowed, so strictObject() puts them in
 * the message behind this marker and issue-messages.ts turns them into "did you mean" suggestions.
 */
export const ALLOWED_KEYS_MARKER = '\u0000allowed-keys:';

type Shape = Record<string, z.ZodType>;

export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** A mapping that rejects unknown keys; `typeProblem` replaces the message when the value is not a mapping. */
export function strictObject<T extends Shape>(shape: T, typeProblem?: string) {
  const allowed = ALLOWED_KEYS_MARKER + Object.keys(shape).join('\u0000');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return allowed;
      if (typeProblem !== undefined) {
        return `${typeProblem}, got ${describeValue(issue.input)}`;
      }
      return undefined;
    },
  });
}

/** An empty value (`key:` with nothing after it) means the same as leaving the key out. */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

/** A single value or a list of them; the single value is normalised to a one-entry list. */
export function oneOrMany<T extends z.ZodType>(item: T, typeProblem: string) {
  return z.preprocess(
    (value) => (typeof value === 'string' ? [value] : value),
    z
      .array(item, { error: (issue) => `${typeProblem}, got ${describeValue(issue.input)}` })
      .min(1, 'must not be empty'),
  );
}

export function integer(min: number, max: number) {
  const error = (issue: { readonly input?: unknown }) =>
    `must be a whole number from ${min} to ${max}, got ${describeValue(issue.input)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A value with its own syntax, parsed by `parse`; its problem becomes the issue message. */
export function parsed<In, Out>(input: z.ZodType<In>, parse: (value: In) => ParseResult<Out>) {
  return input.transform((value, ctx) => {
    const result = parse(value);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.problem, input: value });
      return z.NEVER;
    }
    return result.value;
  });
}

export function duration(minMs: number) {
  return parsed<unknown, number>(z.unknown(), (value) => {
    const result = parseDurationMs(value);
    return result.ok && result.value < minMs
      ? { ok: false, problem: `must be at least ${minMs} ms` }
      : result;
  });
}

export function size(minBytes: number, maxBytes: number) {
  return parsed<unknown, number>(z.unknown(), (value) => {
    const result = parseSizeBytes(value);
    if (!result.ok) return result;
    return result.value < minBytes || result.value > maxBytes
      ? { ok: false, problem: `must be from ${minBytes} to ${maxBytes} bytes, got ${result.value}` }
      : result;
  });
}

export const nonEmptyString = z.string().min(1, 'must not be empty');

/** Compiles the pattern once here so a bad one is a config error, not a crash at request time. */
export const regexSource = parsed<string, string>(z.string(), (source) => {
  try {
    RegExp(source);
    return { ok: true, value: source };
  } catch (error) {
    // V8 repeats the pattern in its message ("Invalid regular expression: /x/: reason"); keep the reason.
    const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return { ok: false, problem: `is not a valid regular expression: ${reason}` };
  }
});

export const urlPath = z.string().refine((value) => value.startsWith('/'), {
  error: (issue) => `must start with '/', got ${describeValue(issue.input)}`,
});

/** RFC 9110 token: the characters allowed in methods and header field names. */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function exactlyOne(keys: readonly string[], what: string) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const present = keys.filter((key) => value[key] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `${what} needs exactly one of ${keys.join(', ')}, got ${present.length === 0 ? 'none' : present.join(' and ')}`,
      });
    }
  };
}

/** `"20%"` → 0.2. */
export const percent = parsed<unknown, number>(z.unknown(), (value) => {
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*%$/.exec(value.trim()) : null;
  const ratio = match === null ? NaN : Number(match[1]) / 100;
  return ratio >= 0 && ratio <= 1
    ? { ok: true, value: ratio }
    : { ok: false, problem: `must be a percentage from 0% to 100%, like '20%', got ${describeValue(value)}` };
});
