/**
 * The zod schema of the config file (snake_case, as users write it). It checks shapes, ranges and
 * per-value syntax and turns values into their final form (durations to ms, sizes to bytes, host
 * patterns and backend addresses parsed). Defaults and renaming happen later, in build-config.ts;
 * checks that span entries (references, duplicates) are in check-references.ts.
 *
 * Messages are predicates ("must be at most 10, got 11"): issue-messages.ts prefixes the key.
 */
import * as z from 'zod';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import {
  addressProblem,
  isListenAddress,
  isLoopbackAddress,
  parseBackendAddress,
  parseHostPattern,
} from './addresses.ts';
import {
  DEFAULT_ADMIN_ADDRESS,
  MAX_WORKERS,
  MAX_ACCEPT_QUEUE_SIZE,
  DEFAULT_MAX_HEAD_BYTES,
  DEFAULT_MAX_REQUEST_LINE_BYTES,
  MAX_BACKEND_WEIGHT,
  MAX_BODY_BYTES,
  MAX_HEAD_BYTES,
  MAX_HEADER_COUNT,
  MAX_MAX_CONNECTIONS,
  MAX_POOL_CONNECTIONS,
  MAX_RETRY_ATTEMPTS,
  MIN_HEAD_BYTES,
} from './defaults.ts';
import { describeValue } from './describe-value.ts';
import { didYouMean } from './edit-distance.ts';
import type { PluginConfig, PluginDefinition } from '../plugins/index.ts';
import type { StrategyPlugin } from '../strategies/index.ts';
import type { PathMatch } from './types.ts';
import { parseDurationMs, parseSizeBytes } from './units.ts';
import { hsts, httpsRedirect, listenerTls, sniMatch } from './tls-schema.ts';
import { compileTemplate } from '../access-log/template.ts';
import type { AccessLogSetting } from './types.ts';
import { checkTcpListener, clusterProxyProtocol, tcpListenerKeys } from './tcp-config.ts';
import { cacheSection, routeCache } from './cache-schema.ts';

/**
 * zod's unrecognized_keys issue does not say which keys were allowed, so strictObject() puts them in
 * the message behind this marker and issue-messages.ts turns them into "did you mean" suggestions.
 */
export const ALLOWED_KEYS_MARKER = '\u0000allowed-keys:';

type Shape = Record<string, z.ZodType>;

type ParseResult<T> =
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

function size(minBytes: number, maxBytes: number) {
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

const accessLogFilter = strictObject(
  {
    min_status: optional(integer(100, 599)),
    errors: optional(z.boolean()),
  },
  'must be a mapping with min_status and/or errors',
);

/**
 * `access_log`: false (none here), true (JSON to stdout), or `{ path, format, filter, sample }`. A
 * relative path resolves against the config's directory; a template is compiled here so a mistake has
 * a position, and built again (cheaply) where it runs.
 */
function accessLog(baseDir: string) {
  const settings = strictObject(
    {
      path: optional(nonEmptyString),
      format: optional(
        parsed<string, string>(z.string(), (format) => {
          if (format === 'json') return { ok: true, value: format };
          const compiled = compileTemplate(format);
          return compiled.ok ? { ok: true, value: format } : { ok: false, problem: compiled.problem };
        }),
      ),
      filter: optional(accessLogFilter),
      sample: optional(
        z
          .number({ error: (issue) => `must be a number from 0 to 1, got ${describeValue(issue.input)}` })
          .min(0, 'must be from 0 to 1')
          .max(1, 'must be from 0 to 1'),
      ),
    },
    'must be false, true, or a mapping with path, format, filter, sample',
  );
  return z
    .preprocess(
      (value) => (value === true ? {} : value),
      z.union([z.literal(false), settings], {
        error: (issue) =>
          `must be false, true, or a mapping with path, format, filter, sample, got ${describeValue(issue.input)}`,
      }),
    )
    .transform((value): AccessLogSetting => {
      if (value === false) return false;
      const path = value.path ?? 'stdout';
      return {
        path: path === 'stdout' || path === 'stderr' || isAbsolute(path) ? path : resolvePath(baseDir, path),
        format: value.format ?? 'json',
        minStatus: value.filter?.min_status ?? 0,
        errorsOnly: value.filter?.errors ?? false,
        sample: value.sample ?? 1,
      };
    });
}

/** `request_id`: the header carrying request IDs. */
const requestId = strictObject(
  {
    header: optional(
      z.string().refine((name) => TOKEN.test(name), {
        error: (issue) => `must be a header field name, got ${describeValue(issue.input)}`,
      }),
    ),
  },
  'must be a mapping with a header',
);

/** `tracing`: whether traces start here, and OpenTelemetry spans. */
const tracing = strictObject(
  {
    start_traces: optional(z.boolean()),
    opentelemetry: optional(z.boolean()),
  },
  'must be a mapping with start_traces and/or opentelemetry',
);

function listener(options: SchemaOptions) {
  return strictObject(
    {
      name: optional(nonEmptyString),
      address: optional(
        z.string().refine(isListenAddress, {
          error: (issue) =>
            typeof issue.input === 'string' && /^[\d.]+$/.test(issue.input)
              ? addressProblem(issue.input)
              : `must be an IP address or host name (IPv6 without brackets), got ${describeValue(issue.input)}`,
        }),
      ),
      port: integer(0, 65535),
      max_connections: optional(integer(1, MAX_MAX_CONNECTIONS)),
      accept_queue_timeout: optional(duration(1)),
      // Zero: no queue, sockets over max_connections are closed at once.
      accept_queue_size: optional(integer(0, MAX_ACCEPT_QUEUE_SIZE)),
      // Zero: no cap.
      max_connections_per_client: optional(integer(0, MAX_MAX_CONNECTIONS)),
      tls: optional(listenerTls(options.baseDir)),
      redirect_to_https: optional(httpsRedirect()),
      access_log: optional(accessLog(options.baseDir)),
      trust_request_id: optional(z.boolean()),
      // protocol, cluster, sni_routes, idle_timeout, proxy_protocol
      ...tcpListenerKeys({ optional, strictObject, duration }),
    },
    'must be a mapping with at least a port',
  ).superRefine((value, ctx) => {
    checkTcpListener(value, ctx);
    if (value.tls !== undefined && value.redirect_to_https !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['redirect_to_https'],
        message: 'an HTTPS listener cannot redirect to HTTPS; set it on the plain HTTP listener',
      });
    }
    if (value.protocol === 'tcp' && value.tls !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'a tcp listener does not terminate TLS; route TLS by SNI with sni_routes (passthrough)',
      });
    }
    if (value.protocol === 'tcp' && value.redirect_to_https !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['redirect_to_https'],
        message: 'a tcp listener does not speak HTTP, so it cannot redirect to HTTPS',
      });
    }
  });
}

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
    sni: optional(sniMatch()),
    headers: optional(
      z.record(z.string().regex(TOKEN, 'is not a valid header name'), headerCondition, {
        error: (issue) =>
          issue.code === 'invalid_type'
            ? `must be a mapping of header names to conditions, got ${describeValue(issue.input)}`
            : undefined,
      }),
    ),
  },
  'must be a mapping with host, path, method, headers or sni',
);

const backend = z.preprocess(
  (value) => (typeof value === 'string' ? { address: value } : value),
  strictObject(
    {
      address: parsed(z.string(), parseBackendAddress),
      weight: optional(integer(1, MAX_BACKEND_WEIGHT)),
      id: optional(nonEmptyString),
    },
    "must be 'host:port' or a mapping with an address",
  ),
);

/** A strategy module the loader imported (or failed to), keyed by the specifier the config wrote. */
export type LoadedStrategyModule =
  { readonly ok: true; readonly plugin: StrategyPlugin } | { readonly ok: false; readonly problem: string };

/** A plugin module the loader imported (or failed to), keyed by the specifier the config wrote. */
export type LoadedPluginModule =
  | { readonly ok: true; readonly definition: PluginDefinition }
  | { readonly ok: false; readonly problem: string };

export interface SchemaOptions {
  /** Plugin modules the loader imported; undefined when the config was parsed without loading. */
  readonly pluginModule: (specifier: string) => LoadedPluginModule | undefined;
  /** The strategy kinds a cluster may name. */
  readonly strategyKinds: ReadonlySet<string>;
  /** The plugin whose parseOptions() checks a kind's options, when one is known. */
  readonly strategyPlugin: (kind: string) => StrategyPlugin | undefined;
  /** The names defined under the top-level `strategies`, which clusters and routes may name too. */
  readonly strategyNames: ReadonlySet<string>;
  /** Strategy modules the loader imported; undefined when the config was parsed without loading. */
  readonly strategyModule: (specifier: string) => LoadedStrategyModule | undefined;
  /** The directory relative file names (CA files, modules) are resolved against. */
  readonly baseDir: string;
}

/** Runs the plugin's own option check; its thrown message becomes the problem. */
function checkOptions(
  plugin: StrategyPlugin | undefined,
  options: Record<string, unknown>,
  ctx: z.RefinementCtx,
): void {
  if (plugin === undefined) return;
  try {
    plugin.parseOptions(options);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
  }
}

function unknownKind(value: string, kinds: ReadonlySet<string>, names: ReadonlySet<string>): string {
  if (names.size === 0) {
    return `unknown strategy kind '${value}'${didYouMean(value, kinds)} (known: ${[...kinds].join(', ')})`;
  }
  return `unknown strategy '${value}'${didYouMean(value, [...names, ...kinds])} (named: ${[...names].join(', ')}; kinds: ${[...kinds].join(', ')})`;
}

/**
 * Where a cluster or a route names its strategy: a name from the top-level `strategies`, a kind, or
 * an inline mapping with a kind and its options. Names win over kinds.
 */
function strategyReference(options: SchemaOptions) {
  const { strategyKinds: kinds, strategyNames: names } = options;
  const kind = z.string().superRefine((value, ctx) => {
    if (!names.has(value) && !kinds.has(value)) {
      ctx.addIssue({ code: 'custom', message: unknownKind(value, kinds, names) });
    }
  });
  return z.preprocess(
    (value) => (typeof value === 'string' ? { kind: value } : value),
    z
      .looseObject(
        { kind },
        {
          error: (issue) =>
            issue.code === 'invalid_type'
              ? `must be a strategy name, a kind, or a mapping with a kind, got ${describeValue(issue.input)}`
              : undefined,
        },
      )
      // Loose: every key but `kind` is an option of the strategy plugin, which validates it.
      .superRefine(({ kind: name, ...rest }, ctx) => {
        if (names.has(name)) {
          if (Object.keys(rest).length > 0) {
            ctx.addIssue({
              code: 'custom',
              message: `'${name}' is a named strategy: set its options under strategies.${name}`,
            });
          }
          return;
        }
        checkOptions(options.strategyPlugin(name), rest, ctx);
      }),
  );
}

/** A named strategy: `kind:` (built in or registered) or `module:` (a file exporting a plugin), plus options. */
function namedStrategy(options: SchemaOptions) {
  return z
    .looseObject(
      { kind: optional(z.string()), module: optional(nonEmptyString) },
      {
        error: (issue) =>
          issue.code === 'invalid_type'
            ? `must be a mapping with a kind or a module, got ${describeValue(issue.input)}`
            : undefined,
      },
    )
    .superRefine((value, ctx) => {
      const { kind, module, ...rest } = value;
      if ((kind === undefined) === (module === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: `a strategy needs exactly one of kind, module, got ${kind === undefined ? 'none' : 'both'}`,
        });
        return;
      }
      if (kind !== undefined) {
        if (!options.strategyKinds.has(kind)) {
          ctx.addIssue({
            code: 'custom',
            path: ['kind'],
            message: unknownKind(kind, options.strategyKinds, new Set()),
          });
          return;
        }
        checkOptions(options.strategyPlugin(kind), rest, ctx);
        return;
      }
      const loaded = options.strategyModule(module!);
      if (loaded === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['module'],
          message: 'strategy modules are loaded only when the config is read with loadConfigFile()',
        });
      } else if (!loaded.ok) {
        ctx.addIssue({ code: 'custom', path: ['module'], message: loaded.problem });
      } else {
        checkOptions(loaded.plugin, rest, ctx);
      }
    });
}

/** `"20%"` → 0.2. */
const percent = parsed<unknown, number>(z.unknown(), (value) => {
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*%$/.exec(value.trim()) : null;
  const ratio = match === null ? NaN : Number(match[1]) / 100;
  return ratio >= 0 && ratio <= 1
    ? { ok: true, value: ratio }
    : { ok: false, problem: `must be a percentage from 0% to 100%, like '20%', got ${describeValue(value)}` };
});

/** One retry condition: `reset`, `timeout`, `connect-failure` (always on), a status 400-599, or `5xx`. */
const retryCondition = parsed<unknown, string | number>(z.unknown(), (value) => {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599) {
    return { ok: true, value };
  }
  if (value === 'reset' || value === 'timeout' || value === 'connect-failure' || value === '5xx') {
    return { ok: true, value };
  }
  if (typeof value === 'string' && /^\d{3}$/.test(value)) return { ok: true, value: Number(value) };
  return {
    ok: false,
    problem: `must be reset, timeout, connect-failure, 5xx or a status from 400 to 599, got ${describeValue(value)}`,
  };
});

const retry = strictObject(
  {
    attempts: optional(integer(1, MAX_RETRY_ATTEMPTS)),
    on: optional(
      z.array(retryCondition, {
        error: (issue) => `must be a list of retry conditions, got ${describeValue(issue.input)}`,
      }),
    ),
    budget: optional(
      strictObject(
        { share: optional(percent), min_per_second: optional(integer(0, 1_000_000)) },
        'must be a mapping with share and min_per_second',
      ),
    ),
    backoff: optional(
      strictObject(
        { base: optional(duration(0)), max: optional(duration(0)) },
        'must be a mapping with base and max durations',
      ).superRefine((value, ctx) => {
        if (value.base !== undefined && value.max !== undefined && value.base > value.max) {
          ctx.addIssue({ code: 'custom', path: ['base'], message: 'must not exceed backoff.max' });
        }
      }),
    ),
  },
  'must be a mapping with attempts, on, budget or backoff',
);

/** `200`, `"2xx"`, `"200-399"` → an inclusive status range. */
const statusRange = parsed<unknown, readonly [number, number]>(z.unknown(), (value) => {
  const problem = {
    ok: false as const,
    problem: `must be a status (200), a class ('2xx') or a range ('200-399'), got ${describeValue(value)}`,
  };
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  let range: [number, number] | undefined;
  let match: RegExpExecArray | null;
  if ((match = /^([1-5])xx$/i.exec(text)) !== null)
    range = [Number(match[1]) * 100, Number(match[1]) * 100 + 99];
  else if ((match = /^(\d{3})$/.exec(text)) !== null) range = [Number(match[1]), Number(match[1])];
  else if ((match = /^(\d{3})\s*-\s*(\d{3})$/.exec(text)) !== null)
    range = [Number(match[1]), Number(match[2])];
  if (range === undefined || range[0] < 100 || range[1] > 599 || range[0] > range[1]) return problem;
  return { ok: true, value: range };
});

const passiveHealth = strictObject(
  {
    consecutive_failures: optional(integer(0, 1000)),
    failure_rate: optional(percent),
    min_requests: optional(integer(1, 1_000_000)),
    window: optional(duration(100)),
    ejection: optional(duration(1)),
    max_ejection: optional(duration(1)),
    max_ejection_percent: optional(percent),
  },
  'must be a mapping of passive health settings',
);

const activeHealth = strictObject(
  {
    path: optional(urlPath),
    method: optional(z.string().regex(TOKEN, 'must be an HTTP method such as GET')),
    host: optional(nonEmptyString),
    interval: optional(duration(10)),
    timeout: optional(duration(1)),
    healthy_threshold: optional(integer(1, 100)),
    unhealthy_threshold: optional(integer(1, 100)),
    expect: optional(
      z
        .array(statusRange, {
          error: (issue) => `must be a list of statuses or ranges, got ${describeValue(issue.input)}`,
        })
        .min(1, 'must not be empty'),
    ),
  },
  'must be a mapping of active check settings',
).superRefine((value, ctx) => {
  if (value.interval !== undefined && value.timeout !== undefined && value.timeout > value.interval) {
    ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'must not exceed the check interval' });
  }
});

const health = strictObject(
  { passive: optional(passiveHealth), active: optional(activeHealth), panic_threshold: optional(percent) },
  'must be a mapping with passive, active or panic_threshold',
);

const pool = strictObject(
  {
    max_idle: optional(integer(0, MAX_POOL_CONNECTIONS)),
    max_total: optional(integer(0, MAX_POOL_CONNECTIONS)),
    idle_timeout: optional(duration(1)),
    max_requests_per_connection: optional(integer(0, Number.MAX_SAFE_INTEGER)),
  },
  'must be a mapping of pool settings',
);

const dns = strictObject(
  { min_ttl: optional(duration(0)), max_ttl: optional(duration(0)) },
  'must be a mapping with min_ttl and max_ttl',
).superRefine((value, ctx) => {
  if (value.min_ttl !== undefined && value.max_ttl !== undefined && value.min_ttl > value.max_ttl) {
    ctx.addIssue({ code: 'custom', path: ['min_ttl'], message: 'must not exceed max_ttl' });
  }
});

/** A PEM file the config names, read now so a missing file is reported with its position. */
export function pemFile(baseDir: string) {
  return parsed<string, { readonly path: string; readonly pem: string }>(z.string(), (name) => {
    const path = isAbsolute(name) ? name : resolvePath(baseDir, name);
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return { ok: false, problem: `cannot read '${name}' (${reason})` };
    }
    if (!pem.includes('-----BEGIN ')) return { ok: false, problem: `'${name}' is not a PEM file` };
    return { ok: true, value: { path, pem } };
  });
}

function upstreamTls(options: SchemaOptions) {
  return z.preprocess(
    (value) => (typeof value === 'boolean' ? { enabled: value } : value),
    strictObject(
      {
        enabled: optional(z.boolean()),
        server_name: optional(nonEmptyString),
        ca_file: optional(pemFile(options.baseDir)),
        verify: optional(z.boolean()),
        cert_file: optional(pemFile(options.baseDir)),
        key_file: optional(pemFile(options.baseDir)),
      },
      'must be true, false, or a mapping of TLS settings',
    ).superRefine((value, ctx) => {
      if ((value.cert_file === undefined) !== (value.key_file === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [value.cert_file === undefined ? 'key_file' : 'cert_file'],
          message: 'a client certificate needs both cert_file and key_file',
        });
      }
    }),
  );
}

function cluster(options: SchemaOptions) {
  return strictObject(
    {
      strategy: optional(strategyReference(options)),
      retry: optional(retry),
      health: optional(health),
      pool: optional(pool),
      dns: optional(dns),
      tls: optional(upstreamTls(options)),
      proxy_protocol: optional(clusterProxyProtocol),
      backends: z
        .array(backend, { error: (issue) => `must be a list of backends, got ${describeValue(issue.input)}` })
        .min(1, 'a cluster needs at least one backend'),
    },
    'must be a mapping with at least backends',
  );
}

/** A plugin: `./module.js`, or `{ module, name, config }`; its config is checked by the plugin. */
function pluginEntry(options: SchemaOptions) {
  return z.preprocess(
    (value) => (typeof value === 'string' ? { module: value } : value),
    strictObject(
      { module: nonEmptyString, name: optional(nonEmptyString), config: optional(z.unknown()) },
      'must be a module path, or a mapping with a module',
    ).transform((value, ctx): PluginConfig => {
      const loaded = options.pluginModule(value.module);
      if (!loaded?.ok) {
        ctx.addIssue({
          code: 'custom',
          path: ['module'],
          message:
            loaded === undefined
              ? 'plugin modules are loaded only when the config is read with loadConfigFile()'
              : loaded.problem,
        });
        return z.NEVER;
      }
      const definition = loaded.definition;
      let config: unknown = value.config;
      if (definition.parseConfig !== undefined) {
        try {
          config = definition.parseConfig(value.config);
        } catch (error) {
          ctx.addIssue({
            code: 'custom',
            path: value.config === undefined ? [] : ['config'],
            message: `plugin '${definition.name}': ${error instanceof Error ? error.message : String(error)}`,
          });
          return z.NEVER;
        }
      } else if (value.config !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['config'],
          message: `plugin '${definition.name}' takes no config`,
        });
        return z.NEVER;
      }
      return { name: value.name ?? definition.name, module: value.module, definition, config };
    }),
  );
}

function pluginList(options: SchemaOptions) {
  return z.array(pluginEntry(options), {
    error: (issue) => `must be a list of plugins, got ${describeValue(issue.input)}`,
  });
}

const PROTOCOL_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `routes[].upgrade`: true (any protocol), false (none), or the protocol names allowed, lower-cased. */
const upgradePolicy = parsed<unknown, boolean | readonly string[]>(z.unknown(), (value) => {
  if (typeof value === 'boolean') return { ok: true, value };
  const names = typeof value === 'string' ? [value] : value;
  if (
    Array.isArray(names) &&
    names.length > 0 &&
    names.every((name) => typeof name === 'string' && PROTOCOL_NAME.test(name))
  ) {
    return { ok: true, value: (names as string[]).map((name) => name.toLowerCase()) };
  }
  return {
    ok: false,
    problem: `must be true, false, or a list of protocol names such as [websocket], got ${describeValue(value)}`,
  };
});

function route(options: SchemaOptions) {
  return strictObject(
    {
      name: optional(nonEmptyString),
      match: optional(routeMatch),
      cluster: nonEmptyString,
      strategy: optional(strategyReference(options)),
      max_body_size: optional(size(0, MAX_BODY_BYTES)),
      upgrade: optional(upgradePolicy),
      hsts: optional(hsts()),
      access_log: optional(accessLog(options.baseDir)),
      cache: optional(routeCache()),
      plugins: optional(pluginList(options)),
      // Compiled by the rules compiler (rules-config.ts), which reports its own errors.
      rules: optional(z.unknown()),
    },
    'must be a mapping with at least a cluster',
  );
}

const timeouts = strictObject(
  {
    connect: optional(duration(1)),
    client_head: optional(duration(1)),
    client_idle: optional(duration(1)),
    backend_response: optional(duration(1)),
    backend_idle: optional(duration(1)),
    backend_body: optional(duration(1)),
    client_body: optional(duration(1)),
    tunnel_idle: optional(duration(1)),
    // Zero: no limit on a connection's lifetime.
    max_session: optional(duration(0)),
    tcp_idle: optional(duration(1)),
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
    max_body_size: optional(size(0, MAX_BODY_BYTES)),
    max_pipelined_size: optional(size(MIN_HEAD_BYTES, MAX_HEAD_BYTES * 16)),
    max_response_head_size: optional(size(MIN_HEAD_BYTES, MAX_HEAD_BYTES)),
    max_response_header_count: optional(integer(1, MAX_HEADER_COUNT)),
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

/** `workers`: `auto` (one per core) or a count of worker processes. */
const workers = z.union([z.literal('auto'), z.number().int().min(1).max(MAX_WORKERS)], {
  error: (issue) =>
    `must be auto or a whole number from 1 to ${MAX_WORKERS}, got ${describeValue(issue.input)}`,
});

/** The admin API's listener: loopback by default, and never a public address without a token. */
function admin(options: SchemaOptions) {
  return strictObject(
    {
      address: optional(
        z.string().refine(isListenAddress, {
          error: (issue) =>
            typeof issue.input === 'string' && /^[\d.]+$/.test(issue.input)
              ? addressProblem(issue.input)
              : `must be an IP address or host name (IPv6 without brackets), got ${describeValue(issue.input)}`,
        }),
      ),
      port: integer(0, 65535),
      token: optional(z.string().min(16, 'must be at least 16 characters')),
      token_file: optional(secretFile(options.baseDir)),
    },
    'must be a mapping with at least a port',
  ).superRefine((value, ctx) => {
    if (value.token !== undefined && value.token_file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['token_file'], message: 'give token or token_file, not both' });
    }
    const hasToken = value.token !== undefined || value.token_file !== undefined;
    if (!hasToken && !isLoopbackAddress(value.address ?? DEFAULT_ADMIN_ADDRESS)) {
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: `the admin API may listen on a non-loopback address (${value.address ?? ''}) only with a token or token_file`,
      });
    }
  });
}

/** A secret read from a file at load time (trailing newline dropped), so a missing file has a position. */
function secretFile(baseDir: string) {
  return parsed<string, string>(z.string(), (name) => {
    const path = isAbsolute(name) ? name : resolvePath(baseDir, name);
    let text: string;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return { ok: false, problem: `cannot read '${name}' (${reason})` };
    }
    if (text.length < 16)
      return { ok: false, problem: `'${name}' must hold a token of at least 16 characters` };
    return { ok: true, value: text };
  });
}

/** Built per parse because the known strategy kinds are an input. Cheap next to reading a file. */
export function createConfigSchema(options: SchemaOptions) {
  return strictObject(
    {
      listeners: z
        .array(listener(options), {
          error: (issue) => `must be a list of listeners, got ${describeValue(issue.input)}`,
        })
        .min(1, 'at least one listener is required'),
      routes: optional(
        z.array(route(options), {
          error: (issue) => `must be a list of routes, got ${describeValue(issue.input)}`,
        }),
      ),
      clusters: optional(
        z.record(z.string().min(1, 'cluster names must not be empty'), cluster(options), {
          error: (issue) =>
            issue.code === 'invalid_type'
              ? `must be a mapping of cluster names to clusters, got ${describeValue(issue.input)}`
              : undefined,
        }),
      ),
      plugins: optional(pluginList(options)),
      rules: optional(z.unknown()),
      strategies: optional(
        z.record(z.string().min(1, 'strategy names must not be empty'), namedStrategy(options), {
          error: (issue) =>
            issue.code === 'invalid_type'
              ? `must be a mapping of strategy names to strategies, got ${describeValue(issue.input)}`
              : undefined,
        }),
      ),
      timeouts: optional(timeouts),
      limits: optional(limits),
      forwarded: optional(forwarded),
      access_log: optional(accessLog(options.baseDir)),
      request_id: optional(requestId),
      tracing: optional(tracing),
      admin: optional(admin(options)),
      workers: optional(workers),
      cache: optional(cacheSection()),
    },
    'must be a mapping with at least listeners',
  );
}

export type RawConfig = z.output<ReturnType<typeof createConfigSchema>>;
