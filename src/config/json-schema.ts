/**
 * The config file's JSON Schema (draft 2020-12), generated from the zod schema that validates it, for
 * editors (the YAML language server, schemastore) to complete and check configs as they are typed.
 *
 * zod converts shapes, ranges and strictness (`additionalProperties: false`) itself. What it cannot
 * see are the functions: the shorthands a preprocess step expands (`backends: ['host:port']`,
 * `access_log: true`, `key:` left empty) and values a parse step reads (durations, sizes, percentages).
 * Both are found by running them, not by naming keys: each preprocess step is run on a sample of each
 * scalar type, and each value read from anything is tried with one witness per known syntax. So a key
 * added to schema.ts with the usual helpers gets its right schema with no change here; a value whose
 * syntax no witness recognises is left open (`{}`) and listed in `unrecognised`, which a test keeps
 * empty. Checks across entries (a route naming a cluster that exists) stay with `junction check`.
 */
import * as z from 'zod';
import { createConfigSchema, type SchemaOptions } from './schema.ts';
import { knownStrategyKinds } from './strategy-kinds.ts';

export type JsonSchema = Record<string, unknown>;

const DURATION: JsonSchema = {
  description: "A duration: milliseconds as a number, or a string like '500ms', '3s', '2m', '1h'.",
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^\\s*\\d+\\s*(ms|s|m|h)\\s*$' },
  ],
};

const SIZE: JsonSchema = {
  description: "A size: bytes as a number, or a string like '512B', '32KiB', '1MiB', '1GiB', '1TiB'.",
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^\\s*\\d+\\s*(B|KiB|MiB|GiB|TiB)\\s*$' },
  ],
};

const PERCENT: JsonSchema = {
  description: "A percentage from 0% to 100%, like '20%'.",
  type: 'string',
  pattern: '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$',
};

const RETRY_CONDITION: JsonSchema = {
  description: 'When to retry: reset, timeout, connect-failure, 5xx, or a status from 400 to 599.',
  anyOf: [
    { enum: ['reset', 'timeout', 'connect-failure', '5xx'] },
    { type: 'integer', minimum: 400, maximum: 599 },
    { type: 'string', pattern: '^[45]\\d\\d$' },
  ],
};

const STATUS_RANGE: JsonSchema = {
  description: "A status (200), a class ('2xx') or a range ('200-399').",
  anyOf: [
    { type: 'integer', minimum: 100, maximum: 599 },
    { type: 'string', pattern: '^\\s*([1-5]xx|[1-5]XX|\\d{3}|\\d{3}\\s*-\\s*\\d{3})\\s*$' },
  ],
};

const PROTOCOL_TOKEN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
const UPGRADE_POLICY: JsonSchema = {
  description: 'true (any protocol), false (none), or the protocol names allowed, such as [websocket].',
  anyOf: [
    { type: 'boolean' },
    { type: 'string', pattern: PROTOCOL_TOKEN },
    { type: 'array', items: { type: 'string', pattern: PROTOCOL_TOKEN }, minItems: 1 },
  ],
};

const ALPN_PROTOCOL: JsonSchema = {
  description: 'A protocol offered in the TLS handshake: h2 (HTTP/2) or HTTP/1.x.',
  enum: ['h2', 'http/1.1', 'http/1.0'],
};

/**
 * The syntaxes of values read by a parse step, tried in order; the first one recognised wins. A syntax
 * is recognised when the value's parser accepts all of its `all` witnesses, chosen so that no other
 * parser accepts them all (`reset` and `20%` are protocol names too, and 503 a status range too), or,
 * for syntaxes whose bounds differ from key to key, any of its `any` witnesses.
 */
const VALUE_SYNTAXES: readonly {
  readonly all?: readonly unknown[];
  readonly any?: readonly unknown[];
  readonly schema: JsonSchema;
}[] = [
  { all: ['http/1.1'], schema: ALPN_PROTOCOL },
  { all: [['websocket'], true], schema: UPGRADE_POLICY },
  { all: ['reset', 503], schema: RETRY_CONDITION },
  { all: ['200-399', 200], schema: STATUS_RANGE },
  { all: ['20%'], schema: PERCENT },
  { any: ['1s', '1m', '1h'], schema: DURATION },
  { any: ['1KiB', '64KiB', '1MiB'], schema: SIZE },
];

/** A `${VAR}` reference: a plain value that is one reference takes the type of what it reads as. */
const ENV_REFERENCE: JsonSchema = {
  description: 'An environment variable, ${NAME} or ${NAME:-default}, substituted when the config loads.',
  type: 'string',
  pattern: '^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}$',
};

/** The top-level sections, described for editors' hover text (docs/configuration.md has the rest). */
const SECTIONS: Readonly<Record<string, string>> = {
  listeners: 'Where Junction accepts connections: address, port, limits, TLS, protocol.',
  routes: 'Which cluster a request goes to, tried most specific first.',
  clusters: 'Named groups of backends, with their strategy, retries, health checks and pools.',
  plugins: 'Plugins that run for every route.',
  rules: 'Rules (the TxnBox-style rule language) that run for every route.',
  strategies: 'Named strategies clusters and routes can refer to.',
  timeouts: 'Timeouts, as durations.',
  limits: 'Limits on request and response heads and bodies.',
  forwarded: 'Which X-Forwarded-* headers Junction sets.',
  access_log: 'The access log: false, true (JSON lines on stdout), or its settings.',
  request_id: 'The header carrying request IDs.',
  tracing: 'Trace context: whether traces start here, and OpenTelemetry spans.',
  admin: 'The admin API: metrics, health, status and changes at runtime.',
  workers: 'Worker processes: auto (one per core) or a count.',
};

/** Samples a preprocess step is run on: a step that changes one accepts that type as a shorthand. */
const SHORTHAND_SAMPLES: readonly unknown[] = [null, 'x', true, false];

type ZodAny = z.core.$ZodType;

function defOf(schema: ZodAny): { type: string; in?: ZodAny; out?: ZodAny; transform?: unknown } {
  return schema._zod.def;
}

function jsonType(value: unknown): JsonSchema {
  if (value === null) return { type: 'null' };
  if (typeof value === 'boolean') return { type: 'boolean' };
  return { type: 'string' };
}

/** The shorthands a preprocess step expands, as schemas of what may be written instead. */
function shorthands(step: (value: unknown, payload: unknown) => unknown, expanded: JsonSchema): JsonSchema[] {
  const forms: JsonSchema[] = [];
  for (const sample of SHORTHAND_SAMPLES) {
    let out: unknown;
    try {
      out = step(sample, { value: sample, issues: [] });
    } catch {
      continue;
    }
    if (Object.is(out, sample)) continue;
    const properties = expanded['properties'] as Record<string, JsonSchema> | undefined;
    if (Array.isArray(out) && out.length === 1 && out[0] === sample && expanded['items'] !== undefined) {
      forms.push(expanded['items'] as JsonSchema); // `host: a` for `host: [a]`
    } else if (out !== null && typeof out === 'object' && !Array.isArray(out)) {
      const key = Object.keys(out).find((k) => (out as Record<string, unknown>)[k] === sample);
      const property = key === undefined ? undefined : properties?.[key];
      // `backends: ['h:p']` for `[{ address: 'h:p' }]`; `access_log: true` for `access_log: {}`.
      forms.push(property ?? (key === undefined ? { const: sample } : jsonType(sample)));
    } else {
      forms.push(jsonType(sample)); // `key:` left empty means the key is absent
    }
  }
  const unique = new Map(forms.map((form) => [JSON.stringify(form), form]));
  return [...unique.values()];
}

function replaceContents(target: JsonSchema, source: JsonSchema): void {
  for (const key of Object.keys(target)) Reflect.deleteProperty(target, key);
  Object.assign(target, source);
}

/** Wraps every number and boolean so a `${VAR}` written in its place is accepted too. */
function allowEnvReferences(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) allowEnvReferences(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as JsonSchema;
  for (const [key, value] of Object.entries(schema)) {
    // `const`/`enum` hold values, not schemas.
    if (key !== 'const' && key !== 'enum') allowEnvReferences(value);
  }
  const type = schema['type'];
  if (type === 'integer' || type === 'number' || type === 'boolean') {
    const { description, ...rest } = schema;
    replaceContents(schema, {
      ...(description === undefined ? {} : { description }),
      anyOf: [rest, ENV_REFERENCE],
    });
  }
}

/** `anyOf` inside `anyOf` (a shorthand around a syntax around a reference) read as one list. */
function flattenAnyOf(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) flattenAnyOf(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as JsonSchema;
  for (const [key, value] of Object.entries(schema)) {
    if (key !== 'const' && key !== 'enum') flattenAnyOf(value);
  }
  const branches = schema['anyOf'];
  if (!Array.isArray(branches)) return;
  const flat: JsonSchema[] = [];
  for (const branch of branches as JsonSchema[]) {
    const keys = Object.keys(branch);
    const nested = branch['anyOf'];
    if (Array.isArray(nested) && keys.every((key) => key === 'anyOf' || key === 'description')) {
      schema['description'] ??= branch['description'];
      flat.push(...(nested as JsonSchema[]));
    } else {
      flat.push(branch);
    }
  }
  schema['anyOf'] = [...new Map(flat.map((branch) => [JSON.stringify(branch), branch])).values()];
  if (schema['description'] === undefined) delete schema['description'];
}

/** Options for building the schema without a config file: no modules loaded, no names defined yet. */
function standaloneOptions(): SchemaOptions {
  return {
    pluginModule: () => undefined,
    strategyKinds: knownStrategyKinds(),
    strategyPlugin: () => undefined,
    strategyNames: new Set(),
    strategyModule: () => undefined,
    baseDir: process.cwd(),
  };
}

export interface GeneratedSchema {
  readonly schema: JsonSchema;
  /** JSON Pointers of values read by a parse step whose syntax no witness recognised (left open). */
  readonly unrecognised: readonly string[];
}

/** The config's JSON Schema, and what the generator could not describe (for its test). */
export function generateConfigJsonSchema(): GeneratedSchema {
  const unrecognised: string[] = [];
  const generated = z.toJSONSchema(createConfigSchema(standaloneOptions()), {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema, path }) => {
      const def = defOf(zodSchema);
      if (def.type !== 'pipe' || def.in === undefined || def.out === undefined) return;
      const schema = jsonSchema as JsonSchema;
      const first = defOf(def.in);
      if (first.type === 'transform' && typeof first.transform === 'function') {
        const forms = shorthands(first.transform as (value: unknown, payload: unknown) => unknown, schema);
        if (forms.length === 0 || Object.keys(schema).length === 0) return;
        const { description, ...expanded } = schema;
        replaceContents(schema, {
          ...(description === undefined ? {} : { description }),
          anyOf: [...forms, expanded],
        });
        return;
      }
      if ((first.type === 'unknown' || first.type === 'any') && defOf(def.out).type === 'transform') {
        const accepts = (witness: unknown): boolean => z.safeParse(zodSchema, witness).success;
        const syntax = VALUE_SYNTAXES.find(
          ({ all, any }) => (all?.every(accepts) ?? true) && (any?.some(accepts) ?? true),
        );
        if (syntax === undefined) unrecognised.push(`/${path.join('/')}`);
        else replaceContents(schema, structuredClone(syntax.schema));
      }
    },
  }) as JsonSchema;
  allowEnvReferences(generated);
  flattenAnyOf(generated);
  const properties = generated['properties'] as Record<string, JsonSchema>;
  for (const [key, description] of Object.entries(SECTIONS)) {
    const section = properties[key];
    if (section !== undefined) section['description'] ??= description;
  }
  const schema: JsonSchema = {
    $schema: generated['$schema'],
    title: 'Junction config',
    description:
      'The config file of Junction, a Layer 7 HTTP router and reverse proxy (reference: docs/configuration.md). ' +
      '`junction check -c FILE` checks what a schema cannot: references between entries, files and modules.',
    ...generated,
  };
  return { schema, unrecognised };
}

/** The config's JSON Schema (draft 2020-12): what `junction schema` prints. */
export function configJsonSchema(): JsonSchema {
  return generateConfigJsonSchema().schema;
}
