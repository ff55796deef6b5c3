/**
 * Turns zod issues into config issues with messages people can act on: the key first, what was
 * expected, what was found, and for an unknown key the closest valid one.
 */
import type * as z from 'zod';
import { keyName, valueIssue, type ConfigIssue, type KeyPath } from './config-issue.ts';
import { describeValue } from './describe-value.ts';
import { didYouMean } from './edit-distance.ts';
import { ALLOWED_KEYS_MARKER } from './schema-toolkit.ts';

/**
 * The message zod gets for every issue the schema did not word itself (pass `error: () =>
 * GENERIC_MESSAGE` to safeParse), so those can be told apart and worded here from the issue's fields.
 */
export const GENERIC_MESSAGE = '\u0000generic';

const NOUNS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How far `path` reaches into the converted YAML, and the deepest value it reached. */
function lookup(data: unknown, path: KeyPath): { exists: boolean; depth: number; deepest: unknown } {
  let value = data;
  let depth = 0;
  for (const segment of path) {
    if (
      typeof segment === 'number'
        ? Array.isArray(value) && segment < value.length
        : isRecord(value) && Object.hasOwn(value, segment)
    ) {
      value = (value as Record<string | number, unknown>)[segment];
      depth++;
    } else {
      return { exists: false, depth, deepest: value };
    }
  }
  return { exists: true, depth, deepest: value };
}

function genericProblem(issue: z.core.$ZodIssue): string {
  const got = issue.input === undefined ? '' : `, got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${NOUNS[issue.expected] ?? issue.expected}${got}`;
    case 'too_small':
      if (issue.origin === 'array' || issue.origin === 'string' || issue.origin === 'set') {
        return Number(issue.minimum) <= 1
          ? 'must not be empty'
          : `must have at least ${issue.minimum} entries`;
      }
      return `must be at least ${issue.minimum}${got}`;
    case 'too_big':
      if (issue.origin === 'array' || issue.origin === 'string' || issue.origin === 'set') {
        return `must have at most ${issue.maximum} entries`;
      }
      return `must be at most ${issue.maximum}${got}`;
    case 'invalid_value':
      return `must be ${issue.values.map((value) => describeValue(value)).join(' or ')}${got}`;
    case 'invalid_format':
      return `has an invalid format${got}`;
    case 'not_multiple_of':
    case 'unrecognized_keys':
    case 'invalid_union':
    case 'invalid_key':
    case 'invalid_element':
    case 'custom':
      return `is not valid${got}`;
  }
}

function problemOf(issue: z.core.$ZodIssue): string {
  return issue.message === GENERIC_MESSAGE ? genericProblem(issue) : issue.message;
}

/** Config issues for every zod issue, in zod's order. `data` is the value that was validated. */
export function issuesFromZod(issues: readonly z.core.$ZodIssue[], data: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path: KeyPath = issue.path.map((segment) =>
      typeof segment === 'number' ? segment : String(segment),
    );
    if (issue.code === 'unrecognized_keys') {
      const allowed = issue.message.startsWith(ALLOWED_KEYS_MARKER)
        ? issue.message.slice(ALLOWED_KEYS_MARKER.length).split('\u0000')
        : [];
      for (const key of issue.keys) {
        out.push({
          path: [...path, key],
          target: 'key',
          message: `unknown key '${key}'${didYouMean(key, allowed)}`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      const inner = issue.issues[0];
      const problem = inner === undefined ? 'is not a valid key' : problemOf(inner);
      out.push({ path, target: 'key', message: `'${keyName(path)}' ${problem}` });
      continue;
    }
    const found = lookup(data, path);
    const last = path.at(-1);
    if (
      !found.exists &&
      found.depth === path.length - 1 &&
      isRecord(found.deepest) &&
      typeof last === 'string'
    ) {
      out.push({ path, target: 'container', message: `missing required key '${last}'` });
      continue;
    }
    // A preprocessor may have expanded the value (`host: a` → `[a]`); name what the user wrote.
    out.push(valueIssue(path.slice(0, found.depth), problemOf(issue)));
  }
  return out;
}
