/**
 * What the extractor modules share: the registry they define extractors into, the hook sets, and
 * the helpers that read the request and the connection (paths, locations, query values, addresses).
 */
import { HOOK_INDEX, TXN_HOOKS, type TxnHookName } from '../../hooks/index.ts';
import type {
  CompileEnv,
  ExtractorSpec,
  Feature,
  FeatureType,
  IpAddress,
  RequestSnapshot,
  RuleContext,
} from '../types.ts';
import { parseIpAddress, unmapIpv4 } from './ip-address.ts';

export type Hook = TxnHookName | 'post-load';

/** Every transaction hook (not post-load: there is no transaction then). */
export const TXN_ONLY: ReadonlySet<Hook> = new Set(TXN_HOOKS);

/** `first` and every later transaction hook. */
export function from(first: TxnHookName): ReadonlySet<Hook> {
  return new Set(TXN_HOOKS.slice(HOOK_INDEX[first]));
}

/** The proxy (upstream) request exists once routing is done. */
export const PROXY_REQUEST_HOOKS = from('post-remap');
/** The upstream's response head, from read-response on. */
export const UPSTREAM_RESPONSE_HOOKS = from('read-response');
/** The response going to the client, from send-response on. */
export const CLIENT_RESPONSE_HOOKS = from('send-response');

export type Extract = (ctx: RuleContext) => Feature;

export interface Definition {
  readonly hooks?: ReadonlySet<Hook> | undefined;
  readonly type: FeatureType;
  readonly arg?: ExtractorSpec['arg'];
  readonly argName?: string;
  readonly constant?: boolean;
  readonly compile: (arg: string | undefined, env: CompileEnv) => Extract;
}

export const definitions = new Map<string, Definition>();

export function define(name: string, definition: Definition): void {
  definitions.set(name, definition);
}

/** An extractor without an argument that reads the context. */
export function simple(
  name: string,
  hooks: ReadonlySet<Hook> | undefined,
  type: FeatureType,
  extract: Extract,
): void {
  define(name, { hooks, type, compile: () => extract });
}

/** The request URL's scheme: as `ua-req-scheme` set it, else the client's. */
export function requestScheme(ctx: RuleContext): string {
  return ctx.scheme ?? ctx.session.scheme;
}

export function defaultPort(ctx: RuleContext): number {
  return requestScheme(ctx) === 'https' ? 443 : 80;
}

/** Host with the port when one was given: `example.com:8080`, `[::1]:8080`. */
export function locationOf(host: string, port: string): string {
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port === '' ? bracketed : `${bracketed}:${port}`;
}

export function location(ctx: RuleContext): string {
  return locationOf(ctx.txn.request.host, ctx.txn.request.port);
}

/** The request's URL now: scheme, location, path and query. */
export function requestUrl(ctx: RuleContext): string {
  const request = ctx.txn.request;
  return `${requestScheme(ctx)}://${location(ctx)}${request.path}${request.query}`;
}

/** The request's URL parts now: what a pre-remap snapshot keeps. */
export function snapshotRequest(ctx: RuleContext): RequestSnapshot {
  const { host, port, path, query } = ctx.txn.request;
  return { scheme: requestScheme(ctx), host, port, path, query };
}

/** TxnBox's path: without the leading `/` (`/pix` is `pix`; `/` is ''). */
export function txnboxPath(path: string): string {
  return path.startsWith('/') ? path.slice(1) : path;
}

/** `+` is a space and %XX an octet in a query (form encoding); malformed escapes stay as written. */
function decodeQueryComponent(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  const spaced = text.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** The end of the query parameter starting at `start`: the next `&` or `;` (TxnBox splits on both). */
function parameterEnd(queryText: string, start: number): number {
  for (let i = start; i < queryText.length; i++) {
    const c = queryText.charCodeAt(i);
    if (c === 0x26 || c === 0x3b) return i;
  }
  return queryText.length;
}

/**
 * The first value of the parameter `name` (decoded), '' when it has no `=`, null when absent. Keys
 * compare case-insensitively, and `&` and `;` both separate parameters, as in TxnBox.
 */
export function queryValue(queryText: string, name: string): Feature {
  let start = queryText.startsWith('?') ? 1 : 0;
  const wanted = name.toLowerCase();
  while (start < queryText.length) {
    const end = parameterEnd(queryText, start);
    const equals = queryText.indexOf('=', start);
    const nameEnd = equals === -1 || equals > end ? end : equals;
    if (decodeQueryComponent(queryText.slice(start, nameEnd)).toLowerCase() === wanted) {
      return nameEnd === end ? '' : decodeQueryComponent(queryText.slice(nameEnd + 1, end));
    }
    start = end + 1;
  }
  return null;
}

/**
 * Address text → IpAddress, remembering the last one: consecutive transactions mostly come from the
 * same connection, so the address is parsed once, not per request. IPv4-mapped IPv6 addresses (a
 * dual-stack listener's IPv4 peers) are the IPv4 address they stand for.
 */
export function addressReader(): (text: string) => IpAddress | null {
  let lastText: string | undefined;
  let lastAddress: IpAddress | null = null;
  return (text) => {
    if (text !== lastText) {
      const parsed = parseIpAddress(text);
      lastAddress = parsed === undefined ? null : unmapIpv4(parsed);
      lastText = text;
    }
    return lastAddress;
  };
}
