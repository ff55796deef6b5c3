/**
 * URL directives: `ua-req-url`, `ua-req-host`, `ua-req-port`, `ua-req-path`, `ua-req-query`,
 * `ua-req-query-value<key>` and their `proxy-req-*` forms (the same request view, at the hooks after
 * routing). Values are made valid for a request line: characters a path or query cannot hold are
 * percent-encoded (UTF-8), existing `%XX` escapes are kept.
 */
import { HOOK_INDEX, type TxnContext } from '../../hooks/index.ts';
import type {
  CompileEnv,
  CompiledDirective,
  DirectiveSpec,
  Feature,
  RuleContext,
  UpstreamScheme,
} from '../types.ts';
import { PROXY_REQ_HOOKS, UA_REQ_HOOKS, type RuleHook } from './hooks.ts';
import {
  compileConverted,
  describe,
  featureInteger,
  featureToString,
  tupleElements,
  type Eval,
} from './values.ts';

/** RFC 3986 pchar plus '/', without '%' (handled apart): what a path keeps as written. */
const PATH_KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;
/** A query also keeps '?'. */
const QUERY_KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@/?]/;
const HEX2 = /^[0-9A-Fa-f]{2}$/;

function encodeWith(text: string, keep: RegExp): string {
  let out = '';
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (keep.test(c) || (c === '%' && HEX2.test(text.slice(i + 1, i + 3)))) {
      out += c;
      continue;
    }
    plain = false;
    const code = text.codePointAt(i)!;
    const char = String.fromCodePoint(code);
    if (char.length === 2) i++;
    // A lone surrogate cannot be UTF-8: write U+FFFD rather than throw.
    const encoded = Buffer.from(
      char.length === 1 && code >= 0xd800 && code <= 0xdfff ? '\uFFFD' : char,
      'utf8',
    );
    for (const byte of encoded) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return plain ? text : out;
}

/** A path as it goes in a request line: a leading '/' added, anything else a path cannot hold encoded. */
export function encodePath(text: string): string {
  return encodeWith(text.startsWith('/') ? text : `/${text}`, PATH_KEEP);
}

/** A query ('' or `?…`): a leading '?' optional in `text`, anything else a query cannot hold encoded. */
export function encodeQuery(text: string): string {
  const body = text.startsWith('?') ? text.slice(1) : text;
  return body === '' ? '' : `?${encodeWith(body, QUERY_KEEP)}`;
}

const HOST_NAME = /^[a-z0-9_.-]+$|^\[[0-9a-f:.]+\]$/;

export interface HostPort {
  readonly host: string;
  /** undefined: keep the request's port. */
  readonly port: string | undefined;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; undefined if malformed. */
export function parseHostPort(text: string): HostPort | undefined {
  let host = text.trim().toLowerCase();
  let port: string | undefined;
  if (host.includes(':') && !host.startsWith('[') && host.indexOf(':') !== host.lastIndexOf(':')) {
    host = `[${host}]`; // a bare IPv6 address
  } else {
    const colon = host.lastIndexOf(':');
    if (colon > host.lastIndexOf(']')) {
      port = host.slice(colon + 1);
      host = host.slice(0, colon);
      if (!isPort(port)) return undefined;
      port = String(Number(port));
    }
  }
  if (host.endsWith('.') && host.length > 1) host = host.slice(0, -1);
  return HOST_NAME.test(host) ? { host, port } : undefined;
}

function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

export interface UrlTarget {
  /** Absent for a path-only value. */
  readonly scheme?: 'http' | 'https' | undefined;
  /** Absent for a path-only value. */
  readonly host?: string | undefined;
  readonly port?: string | undefined;
  readonly path: string;
  readonly query: string;
}

/**
 * `http(s)://host[:port]/path?query` or `/path?query` (a fragment is dropped; dot segments are
 * resolved). A string saying what is wrong when it is neither.
 */
export function parseUrlTarget(text: string): UrlTarget | string {
  const trimmed = text.trim();
  if (trimmed.startsWith('/')) {
    if (trimmed.startsWith('//')) return `'${trimmed}' is neither a path nor an absolute URL`;
    const url = new URL(trimmed, 'http://placeholder.invalid');
    return { path: encodePath(url.pathname), query: encodeQuery(url.search) };
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return `'${trimmed}' is not a URL (write http://host/path or a path starting with '/')`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `the URL scheme must be http or https, got '${url.protocol.slice(0, -1)}'`;
  if (url.username !== '' || url.password !== '') return 'a URL with user information cannot be forwarded';
  const hostPort = parseHostPort(url.hostname);
  if (hostPort === undefined || url.hostname === '') return `'${url.hostname}' is not a valid host`;
  return {
    scheme: url.protocol === 'https:' ? 'https' : 'http',
    host: hostPort.host,
    port: url.port,
    path: encodePath(url.pathname),
    query: encodeQuery(url.search),
  };
}

/** Compiles a text value through `parse` (a string: what is wrong); a constant is parsed once. */
function compileParsed<T extends object>(
  env: CompileEnv,
  value: unknown,
  directive: string,
  parse: (text: string) => T | string | undefined,
  expected: string,
): Eval<T> {
  const convert = (feature: Feature): T | undefined => {
    if (feature === null || typeof feature === 'boolean' || Array.isArray(feature)) return undefined;
    const parsed = parse(featureToString(feature));
    return typeof parsed === 'string' ? undefined : parsed;
  };
  const explain = (feature: Feature): string => {
    const parsed =
      feature === null || typeof feature === 'boolean' || Array.isArray(feature)
        ? undefined
        : parse(featureToString(feature));
    return typeof parsed === 'string' ? parsed : `${expected}, got ${describe(feature)}`;
  };
  return compileConverted(env, value, directive, convert, explain);
}

/**
 * Sets the request URL's scheme (`ua-req-scheme`, an absolute `ua-req-url`): what the rules read from
 * then on. Towards the upstream Junction speaks the cluster's scheme; a transaction whose backend
 * speaks the other one is answered 502 and the mismatch logged, rather than sent in a scheme the
 * rules did not ask for. Checked at proxy-req, when the backend is known.
 */
export function setRequestScheme(
  ctx: RuleContext,
  scheme: 'http' | 'https',
  upstreamScheme: UpstreamScheme | undefined,
): void {
  const first = ctx.scheme === undefined;
  ctx.scheme = scheme;
  if (upstreamScheme === undefined) return;
  const check = (txn: TxnContext): void => {
    const wanted = ctx.scheme;
    const cluster = txn.cluster;
    const speaks = cluster === undefined ? undefined : upstreamScheme(cluster, txn.upstream);
    if (wanted === undefined || speaks === undefined || speaks === wanted) return;
    txn.log.error(
      { rule: true, cluster },
      `the request's URL is ${wanted}, but cluster '${cluster!}' speaks ${speaks} to ${txn.upstream ?? 'its backend'}: answered 502 (choose a cluster that speaks ${wanted})`,
    );
    txn.respond({ status: 502 });
  };
  if (HOOK_INDEX[ctx.txn.hook] >= HOOK_INDEX['send-request']) check(ctx.txn);
  else if (first) ctx.txn.addHook('send-request', check);
}

function urlSpec(name: string, hooks: ReadonlySet<RuleHook>): DirectiveSpec {
  return {
    name,
    arg: 'none',
    hooks,
    compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
      const target = compileParsed(env, value, name, parseUrlTarget, 'the value must be a URL or a path');
      const upstreamScheme = env.upstreamScheme;
      return (ctx) => {
        const t = target(ctx);
        const request = ctx.txn.request;
        if (t.scheme !== undefined) setRequestScheme(ctx, t.scheme, upstreamScheme);
        if (t.host !== undefined) request.setHost(t.host, t.port ?? '');
        request.setPath(t.path);
        request.setQuery(t.query);
      };
    },
  };
}

function hostSpec(name: string, hooks: ReadonlySet<RuleHook>): DirectiveSpec {
  return {
    name,
    arg: 'none',
    hooks,
    compile(_arg: string | undefined, written: unknown, env: CompileEnv): CompiledDirective {
      // TxnBox's location may be a tuple [host, port].
      const pair = tupleElements(written);
      const value = pair?.length === 2 ? [pair, { join: ':' }] : written;
      const hostPort = compileParsed(
        env,
        value,
        name,
        parseHostPort,
        'the value must be a host, or host:port',
      );
      return (ctx) => {
        const { host, port } = hostPort(ctx);
        const request = ctx.txn.request;
        request.setHost(host, port ?? request.port);
      };
    },
  };
}

function portSpec(name: string, hooks: ReadonlySet<RuleHook>): DirectiveSpec {
  return {
    name,
    arg: 'none',
    hooks,
    compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
      const port = compileConverted(
        env,
        value,
        name,
        (feature) => {
          const n = featureInteger(feature);
          return n !== undefined && n >= 1 && n <= 65535 ? String(n) : undefined;
        },
        'the port must be an integer from 1 to 65535',
        (type) => type !== 'boolean' && type !== 'null' && type !== 'tuple' && type !== 'ip',
      );
      return (ctx) => {
        const request = ctx.txn.request;
        request.setHost(request.host, port(ctx));
      };
    },
  };
}

/** Compiles a value whose null means ''. */
function compileOptionalText(env: CompileEnv, value: unknown, directive: string, what: string): Eval<string> {
  return compileConverted(
    env,
    value,
    directive,
    (feature) =>
      typeof feature === 'boolean' || Array.isArray(feature) ? undefined : featureToString(feature),
    `${what} must be a string`,
  );
}

function pathSpec(name: string, hooks: ReadonlySet<RuleHook>): DirectiveSpec {
  return {
    name,
    arg: 'none',
    hooks,
    compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
      const text = compileOptionalText(env, value, name, 'the path');
      return (ctx) => {
        ctx.txn.request.setPath(encodePath(text(ctx)));
      };
    },
  };
}

function querySpec(name: string, hooks: ReadonlySet<RuleHook>): DirectiveSpec {
  return {
    name,
    arg: 'none',
    hooks,
    compile(_arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
      const text = compileOptionalText(env, value, name, 'the query');
      return (ctx) => {
        ctx.txn.request.setQuery(encodeQuery(text(ctx)));
      };
    },
  };
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * The query (`''` or `?…`) with parameter `key` set to `value` (undefined: removed). Keys compare
 * decoded and case-insensitively; '&' and ';' both separate parameters and are kept as written. The
 * first occurrence keeps its place and spelling, later ones are removed; a new key is added at the end.
 */
export function withQueryValue(query: string, key: string, value: string | undefined): string {
  const lowerKey = key.toLowerCase();
  const parts = query === '' ? [] : query.slice(1).split(/([&;])/);
  const kept: { sep: string; part: string }[] = [];
  let found = false;
  for (let i = 0; i < parts.length; i += 2) {
    const part = parts[i]!;
    const sep = i === 0 ? '' : parts[i - 1]!;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    if (part !== '' && decodeComponent(rawKey).toLowerCase() === lowerKey) {
      if (found || value === undefined) continue;
      found = true;
      kept.push({ sep, part: `${rawKey}=${encodeURIComponent(value)}` });
      continue;
    }
    kept.push({ sep, part });
  }
  if (!found && value !== undefined) {
    kept.push({ sep: '&', part: `${encodeURIComponent(key)}=${encodeURIComponent(value)}` });
  }
  let out = '';
  for (let i = 0; i < kept.length; i++) {
    const { sep, part } = kept[i]!;
    out += i === 0 ? part : (sep === '' ? '&' : sep) + part;
  }
  return out === '' ? '' : `?${out}`;
}

function queryValueSpec(name: string, hooks: ReadonlySet<RuleHook>): DirectiveSpec {
  return {
    name,
    arg: 'required',
    hooks,
    compile(arg: string | undefined, value: unknown, env: CompileEnv): CompiledDirective {
      if (arg === undefined || arg === '') env.fail(`${name} needs a parameter name: ${name}<key>`);
      const key = arg;
      // null is a value here (remove the parameter); undefined is a wrong one.
      const text = compileConverted<string | null>(
        env,
        value,
        name,
        (feature) =>
          feature === null ? null : Array.isArray(feature) ? undefined : featureToString(feature),
        'the value must be a string, or null to remove the parameter',
      );
      return (ctx: RuleContext) => {
        const request = ctx.txn.request;
        request.setQuery(withQueryValue(request.query, key, text(ctx) ?? undefined));
      };
    },
  };
}

export const URL_DIRECTIVES: readonly DirectiveSpec[] = [
  urlSpec('ua-req-url', UA_REQ_HOOKS),
  urlSpec('proxy-req-url', PROXY_REQ_HOOKS),
  hostSpec('ua-req-host', UA_REQ_HOOKS),
  hostSpec('proxy-req-host', PROXY_REQ_HOOKS),
  // Junction keeps the URL's host and the Host field in step: the URL's host, port and location
  // directives, and the location (host[:port]) ones, set both, as ua-req-host and ua-req-port do.
  hostSpec('ua-req-url-host', UA_REQ_HOOKS),
  hostSpec('proxy-req-url-host', PROXY_REQ_HOOKS),
  hostSpec('ua-req-loc', UA_REQ_HOOKS),
  hostSpec('proxy-req-loc', PROXY_REQ_HOOKS),
  hostSpec('ua-req-url-loc', UA_REQ_HOOKS),
  hostSpec('proxy-req-url-loc', PROXY_REQ_HOOKS),
  portSpec('ua-req-url-port', UA_REQ_HOOKS),
  portSpec('proxy-req-url-port', PROXY_REQ_HOOKS),
  portSpec('ua-req-port', UA_REQ_HOOKS),
  portSpec('proxy-req-port', PROXY_REQ_HOOKS),
  pathSpec('ua-req-path', UA_REQ_HOOKS),
  pathSpec('proxy-req-path', PROXY_REQ_HOOKS),
  querySpec('ua-req-query', UA_REQ_HOOKS),
  querySpec('proxy-req-query', PROXY_REQ_HOOKS),
  queryValueSpec('ua-req-query-value', UA_REQ_HOOKS),
  queryValueSpec('proxy-req-query-value', PROXY_REQ_HOOKS),
];
