/**
 * A validated config as text, to cross from the loading worker to the serving thread. JSON, because
 * JSON.parse is several times faster than structured-clone deserialisation, and that is the part paid
 * on the serving thread; large lists and mappings go in chunks, decoded between other work. Maps, Sets, byte arrays and non-finite numbers are tagged. What is code
 * (strategy and plugin modules, compiled rules) does not cross: it is stripped here and rebuilt from
 * the document on the serving thread (rehydrate.ts), where the modules must be imported anyway.
 */
import type { PluginConfig } from '../plugins/index.ts';
import type { JunctionConfig, RouteConfig } from './types.ts';

/** The key that marks a tagged value; no YAML key or config field is a NUL. */
const TAG = '\u0000';

/** A value that cannot cross as data (a function, a class instance the config should not hold). */
export class NotTransferable extends Error {}

/** A plugin entry without its code: rebuilt from its module and the document's entry. */
export interface WirePlugin {
  readonly name: string;
  readonly module: string;
}

/** The config's data, with its code replaced by what rebuilding it needs. */
export interface WireConfig extends Omit<JunctionConfig, 'strategyPlugins' | 'plugins' | 'rules' | 'routes'> {
  /** The kinds of strategyPlugins, in order. */
  readonly strategyPluginKinds: readonly string[];
  readonly plugins: readonly WirePlugin[];
  readonly routes: readonly (Omit<RouteConfig, 'plugins'> & { readonly plugins: readonly WirePlugin[] })[];
  readonly hasRules: boolean;
}

export interface WirePayload {
  readonly config: WireConfig;
  readonly document: Readonly<Record<string, unknown>>;
  /** contentHash() of the document. */
  readonly hash: string;
}

function stripPlugin(plugin: PluginConfig): WirePlugin {
  return { name: plugin.name, module: plugin.module };
}

export function toWire(config: JunctionConfig): WireConfig {
  const { strategyPlugins, plugins, rules, routes, ...data } = config;
  return {
    ...data,
    strategyPluginKinds: [...strategyPlugins.keys()],
    plugins: plugins.map(stripPlugin),
    routes: routes.map((route) =>
      route.plugins.length === 0
        ? (route as WireConfig['routes'][number])
        : { ...route, plugins: route.plugins.map(stripPlugin) },
    ),
    hasRules: rules !== undefined,
  };
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Map) return { [TAG]: 'map', v: [...raw] };
  if (raw instanceof Set) return { [TAG]: 'set', v: [...raw] };
  if (raw instanceof Uint8Array) return { [TAG]: 'bytes', v: Buffer.from(raw).toString('base64') };
  if (typeof raw === 'number' && !Number.isFinite(raw)) return { [TAG]: 'number', v: String(raw) };
  if (typeof raw === 'function' || typeof raw === 'symbol' || typeof raw === 'bigint') {
    throw new NotTransferable(`'${key}' holds a ${typeof raw}`);
  }
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const proto: unknown = Object.getPrototypeOf(raw);
    if (proto !== Object.prototype && proto !== null) {
      throw new NotTransferable(`'${key}' holds a class instance`);
    }
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const tag = (value as Record<string, unknown>)[TAG];
  if (typeof tag !== 'string') return value;
  const inner = (value as { v: unknown }).v;
  switch (tag) {
    case 'map':
      return new Map(inner as [unknown, unknown][]);
    case 'set':
      return new Set(inner as unknown[]);
    case 'bytes':
      return Buffer.from(inner as string, 'base64');
    case 'number':
      return Number(inner);
    default:
      return value;
  }
}

/** Entries per chunk: decoding one takes well under a millisecond. */
const CHUNK = 500;

/**
 * One top-level field: its JSON, or for a large list or mapping (routes, clusters, a document's
 * `routes`) its entries in chunks, decoded one at a time so the serving thread can serve in between.
 */
type WireField =
  | { readonly json: string }
  | { readonly kind: 'array' | 'map' | 'object'; readonly chunks: readonly string[] };

export type WireFields = Readonly<Record<string, WireField>>;

/** What the worker posts: every field of the config and of its document, and the document's hash. */
export interface WireMessage {
  readonly config: WireFields;
  readonly document: WireFields;
  readonly hash: string;
}

function chunked(kind: 'array' | 'map' | 'object', entries: readonly unknown[]): WireField {
  const chunks: string[] = [];
  for (let i = 0; i < entries.length; i += CHUNK) {
    chunks.push(JSON.stringify(entries.slice(i, i + CHUNK), replacer));
  }
  return { kind, chunks };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

/** Throws NotTransferable when the value holds something that is not data. */
export function encodeFields(value: Readonly<Record<string, unknown>>): WireFields {
  const fields: Record<string, WireField> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    if (Array.isArray(field) && field.length > CHUNK) fields[key] = chunked('array', field);
    else if (field instanceof Map && field.size > CHUNK) fields[key] = chunked('map', [...field]);
    else if (isPlainObject(field) && Object.keys(field).length > CHUNK) {
      fields[key] = chunked('object', Object.entries(field));
    } else {
      fields[key] = { json: JSON.stringify({ v: field }, replacer) };
    }
  }
  return fields;
}

/** JSON.parse, with the (slower) reviver only for text that holds tagged values. */
function parse(text: string): unknown {
  return text.includes('\\u0000') ? JSON.parse(text, reviver) : JSON.parse(text);
}

/** The fields back, yielding to the event loop after each chunk. */
export async function decodeFields(fields: WireFields): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fields)) {
    if ('json' in field) {
      out[key] = (parse(field.json) as { v: unknown }).v;
      continue;
    }
    const entries: unknown[] = [];
    for (const chunk of field.chunks) {
      for (const entry of parse(chunk) as unknown[]) entries.push(entry);
      await new Promise((resolve) => setImmediate(resolve));
    }
    out[key] =
      field.kind === 'array'
        ? entries
        : field.kind === 'map'
          ? new Map(entries as [unknown, unknown][])
          : Object.fromEntries(entries as [string, unknown][]);
  }
  return out;
}
