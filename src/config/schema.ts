/**
 * The zod schema of the config file (snake_case, as users write it). It checks shapes, ranges and
 * per-value syntax and turns values into their final form (durations to ms, sizes to bytes, host
 * patterns and backend addresses parsed). Defaults and renaming happen later, in build-config.ts;
 * checks that span entries (references, duplicates) are in check-references.ts.
 *
 * Messages are predicates ("must be at most 10, got 11"): issue-messages.ts prefixes the key.
 */
import * as z from 'zod';
import { isListenAddress, parseHostPattern, parseHostPort } from './addresses.ts';
import {
  DEFAULT_MAX_HEAD_BYTES,
  DEFAULT_MAX_REQUEST_LINE_BYTES,
  MAX_BACKEND_WEIGHT,
  MAX_HEAD_BYTES,
  MAX_HEADER_COUNT,
  MAX_MAX_CONNECTIONS,
  MAX_RETRY_ATTEMPTS,
  MIN_HEAD_BYTES,
} from './defaults.ts';
import { describeValue } from './describe-value.ts';
import { didYouMean } from './edit-distance.ts';
import type { StrategyPlugin } from '../strategies/index.ts';
import type { PathMatch } from './types.ts';
import { parseDurationMs, parseSizeBytes } from './units.ts';

/**
 * zod's unrecognized_keys issue does not say which keys were allowed, so strictObject() puts them in
 * the message behind this marker and issue-messages.ts turns them into "did you mean" suggestions.
 */
export const ALLOWED_KEYS_MARKER = '\u0000allowed-keys:';

type Shape = Record<string, z.ZodType>;

type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** A mapping that rejects unknown keys; `typeProblem` replaces the message when the value is not a mapping. */
function strictObject<T extends Shape>(shape: T, typeProblem?: string) {
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
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

/** A single value or a list of them; the single value is normalised to a one-entry list. */
function oneOrMany<T extends z.ZodType>(item: T, typeProblem: string) {
  return z.preprocess(
    (value) => (typeof value === 'string' ? [value] : value),
    z
      .array(item, { error: (issue) => `${typeProblem}, got ${describeValue(issue.input)}` })
      .min(1, 'must not be empty'),
  );
}

function integer(min: number, max: number) {
  const error = (issue: { readonly input?: unknown }) =>
    `must be a whole number from ${min} to ${max}, got ${describeValue(issue.input)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A value with its own syntax, parsed by `parse`; its problem becomes the issue message. */
function parsed<In, Out>(input: z.ZodType<In>, parse: (value: In) => ParseResult<Out>) {
  return input.transform((value, ctx) => {
    const result = parse(value);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.problem, input: value });
      return z.NEVER;
    }
    return result.value;
  });
}

function duration(minMs: number) {
  return parsed<unknown, number>(z.unknown(), (value) => {
    const result = parseDurationMs(value);
    return result.ok && result.value < minMs
      ? { ok: false, problem: `must be at least ${minMs} ms` }
      : result;
  });
}

function size(minBytes: number, maxBytes: number) {
  return parsed<unknown, number>(z.unknown(), (value) => {
    const result = parseSizeBytes(value);
    if (!result.ok) return result;
    return result.value < minBytes || result.value > maxBytes
      ? { ok: false, problem: `must be from ${minBytes} to ${maxBytes} bytes, got ${result.value}` }
      : result;
  });
}

const nonEmptyString = z.string().min(1, 'must not be empty');

/** Compiles the pattern once here so a bad one is a config error, not a crash at request time. */
const regexSource = parsed<string, string>(z.string(), (source) => {
  try {
    RegExp(source);
    return { ok: true, value: source };
  } catch (error) {
    // V8 repeats the pattern in its message ("Invalid regular expression: /x/: reason"); keep the reason.
    const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return { ok: false, problem: `is not a valid regular expression: ${reason}` };
  }
});

const urlPath = z.string().refine((value) => value.startsWith('/'), {
  error: (issue) => `must start with '/', got ${describeValue(issue.input)}`,
});

/** RFC 9110 token: the characters allowed in methods and header field names. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const listener = strictObject(
  {
    name: optional(nonEmptyString),
    address: optional(
      z.string().refine(isListenAddress, {
        error: (issue) =>
          `must be an IP address or host name (IPv6 without brackets), got ${describeValue(issue.input)}`,
      }),
    ),
    port: integer(0, 65535),
    max_connections: optional(integer(1, MAX_MAX_CONNECTIONS)),
  },
  'must be a mapping with at least a port',
);

function exactlyOne(keys: readonly string[], what: string) {
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

const pathMatch = z.preprocess(
  (value) => (typeof value === 'string' ? { prefix: value } : value),
  strictObject(
    { prefix: optional(urlPath), exact: optional(urlPath), regex: optional(regexSource) },
    'must be a path prefix, or a mapping with one of prefix, exact, regex',
  )
    .superRefine(exactlyOne(['prefix', 'exact', 'regex'], 'a path match'))
    .transform((value): PathMatch =>
      value.exact !== undefined
        ? { kind: 'exact', value: value.exact }
        : value.regex !== undefined
          ? { kind: 'regex', value: value.regex }
          : { kind: 'prefix', value: value.prefix ?? '/' },
    ),
);

/** A header condition; a bare string means an exact value. */
const headerCondition = z.preprocess(
  (value) => (typeof value === 'string' ? { exact: value } : value),
  strictObject(
    {
      exact: optional(z.string()),
      regex: optional(regexSource),
      present: optional(z.literal(true, 'must be true (a header cannot be required to be absent)')),
    },
    'must be a string (quote numbers, as in "1"), {regex: \'...\'} or {present: true}',
  ).superRefine(exactlyOne(['exact', 'regex', 'present'], 'a header condition')),
);

const routeMatch = strictObject(
  {
    host: optional(oneOrMany(parsed(z.string(), parseHostPattern), 'must be a host name or a list of them')),
    path: optional(pathMatch),
    method: optional(
      oneOrMany(
        z
          .string()
          .regex(TOKEN, 'must be an HTTP method such as GET')
          .transform((method) => method.toUpperCase()),
        'must be a method or a list of them',
      ),
    ),
    headers: optional(
      z.record(z.string().regex(TOKEN, 'is not a valid header name'), headerCondition, {
        error: (issue) =>
          issue.code === 'invalid_type'
            ? `must be a mapping of header names to conditions, got ${describeValue(issue.input)}`
            : undefined,
      }),
    ),
  },
  'must be a mapping with host, path, method or headers',
);

const route = strictObject(
  { name: optional(nonEmptyString), match: optional(routeMatch), cluster: nonEmptyString },
  'must be a mapping with at least a cluster',
);

const backend = z.preprocess(
  (value) => (typeof value === 'string' ? { address: value } : value),
  strictObject(
    {
      address: parsed(z.string(), parseHostPort),
      weight: optional(integer(1, MAX_BACKEND_WEIGHT)),
      id: optional(nonEmptyString),
    },
    "must be 'host:port' or a mapping with an address",
  ),
);

export interface SchemaOptions {
  /** The strategy kinds a cluster may name. */
  readonly strategyKinds: ReadonlySet<string>;
  /** The plugin whose parseOptions() checks a kind's options, when one is known. */
  readonly strategyPlugin: (kind: string) => StrategyPlugin | undefined;
}

/** Runs the plugin's own option check; its thrown message becomes the problem. */
function checkStrategyOptions(options: SchemaOptions) {
  return ({ kind, ...rest }: { kind: string } & Record<string, unknown>, ctx: z.RefinementCtx) => {
    const plugin = options.strategyPlugin(kind);
    if (plugin === undefined) return;
    try {
      plugin.parseOptions(rest);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    }
  };
}

function strategy(options: SchemaOptions) {
  const kinds = options.strategyKinds;
  const kind = z.string().superRefine((value, ctx) => {
    if (!kinds.has(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown strategy kind '${value}'${didYouMean(value, kinds)} (known: ${[...kinds].join(', ')})`,
      });
    }
  });
  // Loose: every key but `kind` is an option of the strategy plugin, which validates it.
  return z.preprocess(
    (value) => (typeof value === 'string' ? { kind: value } : value),
    z
      .looseObject(
        { kind },
        {
          error: (issue) =>
            issue.code === 'invalid_type'
              ? `must be a strategy kind or a mapping with a kind, got ${describeValue(issue.input)}`
              : undefined,
        },
      )
      .superRefine(checkStrategyOptions(options)),
  );
}

function cluster(options: SchemaOptions) {
  return strictObject(
    {
      strategy: optional(strategy(options)),
      retry_attempts: optional(integer(1, MAX_RETRY_ATTEMPTS)),
      backends: z
        .array(backend, { error: (issue) => `must be a list of backends, got ${describeValue(issue.input)}` })
        .min(1, 'a cluster needs at least one backend'),
    },
    'must be a mapping with at least backends',
  );
}

const timeouts = strictObject(
  {
    connect: optional(duration(1)),
    client_head: optional(duration(1)),
    client_idle: optional(duration(1)),
    backend_response: optional(duration(1)),
    backend_idle: optional(duration(1)),
    // Zero is meaningful here: cut in-flight transactions at once.
    shutdown_grace: optional(duration(0)),
  },
  'must be a mapping of timeout names to durations',
);

const limits = strictObject(
  {
    max_head_size: optional(size(MIN_HEAD_BYTES, MAX_HEAD_BYTES)),
    max_header_count: optional(integer(1, MAX_HEADER_COUNT)),
    max_request_line: optional(size(64, MAX_HEAD_BYTES)),
  },
  'must be a mapping of limit names to values',
).superRefine((value, ctx) => {
  // The request line is part of the head, so a larger line limit could never be reached.
  const line = value.max_request_line ?? DEFAULT_MAX_REQUEST_LINE_BYTES;
  const head = value.max_head_size ?? DEFAULT_MAX_HEAD_BYTES;
  if (line > head) {
    ctx.addIssue({
      code: 'custom',
      path: value.max_request_line === undefined ? ['max_head_size'] : ['max_request_line'],
      message: `max_request_line (${line} bytes) must not exceed max_head_size (${head} bytes)`,
    });
  }
});

const forwarded = strictObject(
  {
    x_forwarded_for: optional(z.boolean()),
    x_forwarded_proto: optional(z.boolean()),
    x_forwarded_host: optional(z.boolean()),
  },
  'must be a mapping of header names to true or false',
);

/** Built per parse because the known strategy kinds are an input. Cheap next to reading a file. */
export function createConfigSchema(options: SchemaOptions) {
  return strictObject(
    {
      listeners: z
        .array(listener, {
          error: (issue) => `must be a list of listeners, got ${describeValue(issue.input)}`,
        })
        .min(1, 'at least one listener is required'),
      routes: optional(
        z.array(route, { error: (issue) => `must be a list of routes, got ${describeValue(issue.input)}` }),
      ),
      clusters: optional(
        z.record(z.string().min(1, 'cluster names must not be empty'), cluster(options), {
          error: (issue) =>
            issue.code === 'invalid_type'
              ? `must be a mapping of cluster names to clusters, got ${describeValue(issue.input)}`
              : undefined,
        }),
      ),
      timeouts: optional(timeouts),
      limits: optional(limits),
      forwarded: optional(forwarded),
    },
    'must be a mapping with at least listeners',
  );
}

export type RawConfig = z.output<ReturnType<typeof createConfigSchema>>;
