/** The schema of `routes[]`: what a route matches (host, path, method, headers, SNI) and what it does. */
import * as z from 'zod';
import { parseHostPattern } from './addresses.ts';
import { MAX_BODY_BYTES } from './defaults.ts';
import { describeValue } from './describe-value.ts';
import { accessLog } from './observability-schema.ts';
import { pluginList } from './plugin-schema.ts';
import type { SchemaOptions } from './schema-options.ts';
import {
  TOKEN,
  exactlyOne,
  nonEmptyString,
  oneOrMany,
  optional,
  parsed,
  regexSource,
  size,
  strictObject,
  urlPath,
} from './schema-toolkit.ts';
import { strategyReference } from './strategy-schema.ts';
import { hsts, sniMatch } from './tls-schema.ts';
import type { PathMatch } from './types.ts';
import { routeCache } from './cache-schema.ts';

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

export function route(options: SchemaOptions) {
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
