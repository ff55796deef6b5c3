/**
 * The cache's hook points for one transaction (Traffic Server's SELECT_ALT, READ_CACHE_HDR and
 * CACHE_LOOKUP_COMPLETE) and what hooks and rules may read and change there: the key, whether the
 * transaction caches, the alternate chosen, the stored head, the lookup's status. The transaction
 * runs the points (its phases); the cache step (cache-step.ts) asks this module at its two seams:
 * when it opens (key, on or off) and when its lookup has found something (the hooks, then the status
 * they leave). Made only for transactions of a snapshot with hooks and a cache: others pay nothing.
 */
import type { RouteCacheConfig } from '../config/cache-types.ts';
import { HookError } from '../errors/index.ts';
import {
  FlatHeaderFields,
  HOOK_INDEX,
  type CacheAlternate,
  type CacheLookupStatus,
  type CacheOutcome,
  type HeaderFields,
  type HookFailure,
  type ResponseView,
  type TxnCache,
  type TxnHookName,
} from '../hooks/index.ts';
import type { RequestHead } from '../codec/types.ts';
import {
  cacheKey,
  fieldList,
  variantOf,
  type CacheLookup,
  type CacheRequest,
  type CachedObject,
} from '../cache/index.ts';

/** A route's settings when a hook or rule turns the cache on where the route has no `cache:`. */
export const DEFAULT_ROUTE_CACHE: RouteCacheConfig = { setCookie: false, collapse: true };

/** The longest key a hook or rule may set. */
const MAX_KEY_LENGTH = 8192;
const UNSAFE_KEY = /[\r\n\0]/;

/** What the state asks of the hooks driver (TxnHooks) and of the transaction. */
export interface CacheHooksHost {
  /** The hook running now (the checks of when a setting may change). */
  readonly currentHook: TxnHookName;
  has(name: TxnHookName): boolean;
  /** Runs select-alternate's hooks, which must not wait: see selectAlternate(). */
  runSynchronous(name: TxnHookName): HookFailure | undefined;
  /** The request as it is now, and the client's scheme: the key when none is set. */
  readonly requestHead: RequestHead;
  readonly scheme: string;
  /** The route's `cache:`, once routed. */
  readonly routeCache: RouteCacheConfig | undefined;
  /** The cache step's outcome so far. */
  readonly outcome: CacheOutcome | undefined;
}

/** The status a lookup's result is reported as. */
export function lookupStatusOf(found: CacheLookup): CacheLookupStatus {
  return found.kind === 'fresh' ? 'hit-fresh' : found.kind === 'stale' ? 'hit-stale' : 'miss';
}

/**
 * Whether a hook may change `from` into `to` (TSHttpTxnCacheLookupStatusSet): a fresh hit may be
 * revalidated or fetched again, a stale one fetched again; a miss or a skipped lookup has nothing
 * stored to serve, so it stays.
 */
export function mayChangeLookup(from: CacheLookupStatus, to: CacheLookupStatus): boolean {
  if (from === to) return true;
  if (from === 'hit-fresh') return to === 'hit-stale' || to === 'miss';
  return from === 'hit-stale' && to === 'miss';
}

/**
 * The lookup as the hooks left it: `found` itself, or the same object to revalidate (with the
 * conditional request its validators make), or a miss.
 */
export function applyLookupStatus(
  found: CacheLookup,
  status: CacheLookupStatus,
  request: CacheRequest,
): CacheLookup {
  if (status === lookupStatusOf(found) || found.kind === 'miss') return found;
  if (status === 'miss') return MISS;
  const object = found.object;
  return { kind: 'stale', object, conditional: object.policy.revalidationHeaders(request.policyRequest) };
}

/** The alternate with the highest score above 0 (the first on a tie), or undefined: a miss. */
export function bestAlternate<T>(candidates: readonly T[], scoreOf: (candidate: T) => number): T | undefined {
  let best: T | undefined;
  let bestScore = 0;
  for (const candidate of candidates) {
    const score = scoreOf(candidate);
    if (Number.isFinite(score) && score > bestScore) [best, bestScore] = [candidate, score];
  }
  return best;
}

/** Checks a key a hook or rule sets; throws a RangeError naming what is wrong. */
export function checkedKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new RangeError(`a cache key must be text of 1 to ${MAX_KEY_LENGTH} characters`);
  }
  if (UNSAFE_KEY.test(key)) throw new RangeError('a cache key may not contain a line break or NUL');
  return key;
}

/** Fields of a stored response, read-only: a stored object is shared by every transaction. */
class StoredFields implements HeaderFields {
  readonly #fields: FlatHeaderFields;
  constructor(list: string[]) {
    this.#fields = new FlatHeaderFields(list);
  }
  get(name: string): string | undefined {
    return this.#fields.get(name);
  }
  getAll(name: string): string[] {
    return this.#fields.getAll(name);
  }
  has(name: string): boolean {
    return this.#fields.has(name);
  }
  entries(): [string, string][] {
    return this.#fields.entries();
  }
  set(): void {
    readOnly();
  }
  append(): void {
    readOnly();
  }
  delete(): boolean {
    return readOnly();
  }
}

function readOnly(): never {
  throw new HookError(
    'a stored response is read-only in the cache hooks; change what the client gets in send-response',
  );
}

/** A stored response head as hooks see it (read-only). */
class StoredResponseView implements ResponseView {
  readonly status: number;
  readonly reason: string;
  readonly headers: HeaderFields;
  constructor(object: CachedObject) {
    this.status = object.status;
    this.reason = object.reason;
    const fields = fieldList(object.policy.responseHeaders());
    for (const cookie of object.cookies) fields.push('set-cookie', cookie);
    this.headers = new StoredFields(fields);
  }
  setStatus(): void {
    readOnly();
  }
}

class AlternateView implements CacheAlternate {
  readonly object: CachedObject;
  readonly matches: boolean;
  score: number;
  #headers: HeaderFields | undefined = undefined;
  constructor(object: CachedObject, matches: boolean) {
    this.object = object;
    this.matches = matches;
    this.score = matches ? 1 : 0;
  }
  get status(): number {
    return this.object.status;
  }
  get vary(): string {
    return this.object.vary;
  }
  get headers(): HeaderFields {
    return (this.#headers ??= new StoredResponseView(this.object).headers);
  }
}

/** One transaction's cache facts and settings (TxnCache), and the seams the cache step calls. */
export class TxnCacheState implements TxnCache {
  readonly #host: CacheHooksHost;
  #key: string | undefined = undefined;
  #enabled: boolean | undefined = undefined;
  #status: CacheLookupStatus | undefined = undefined;
  #object: CachedObject | undefined = undefined;
  #view: ResponseView | undefined = undefined;
  #alternates: readonly AlternateView[] | undefined = undefined;
  /** The lookup's hooks ran (once per transaction: a later lookup after a wait does not run them). */
  #ran = false;
  /** The found object, kept while read-cache-header and cache-lookup-complete run. */
  found: CacheLookup | undefined = undefined;
  /** A select-alternate hook failed inside the lookup: the transaction fails once it returns. */
  selectFailure: HookFailure | undefined = undefined;

  constructor(host: CacheHooksHost) {
    this.#host = host;
  }

  // TxnCache

  get key(): string {
    if (this.#key !== undefined) return this.#key;
    const head = this.#host.requestHead;
    return cacheKey(this.#host.scheme, head.host, head.port, head.path, head.query);
  }
  setKey(key: string): void {
    this.#until('setKey');
    this.#key = checkedKey(key);
  }
  get enabled(): boolean {
    return this.#enabled ?? this.#host.routeCache !== undefined;
  }
  setEnabled(on: boolean): void {
    this.#until('setEnabled');
    if (typeof on !== 'boolean') throw new TypeError('setEnabled takes true or false');
    this.#enabled = on;
  }
  get lookupStatus(): CacheLookupStatus | undefined {
    return this.#status;
  }
  setLookupStatus(status: 'hit-stale' | 'miss'): void {
    const current = this.#status;
    if (this.#host.currentHook !== 'cache-lookup-complete' || current === undefined) {
      throw new HookError('setLookupStatus() is only for cache-lookup-complete hooks');
    }
    if (!mayChangeLookup(current, status)) {
      throw new HookError(`the lookup status cannot change from ${current} to ${status as string}`);
    }
    this.#status = status;
  }
  get cachedResponse(): ResponseView | undefined {
    const object = this.#object;
    if (object === undefined) return undefined;
    return (this.#view ??= new StoredResponseView(object));
  }
  get alternates(): readonly CacheAlternate[] | undefined {
    return this.#alternates;
  }
  get outcome(): CacheOutcome | undefined {
    return this.#host.outcome;
  }

  #until(what: string): void {
    const hook = this.#host.currentHook;
    if (HOOK_INDEX[hook] > HOOK_INDEX['post-remap']) {
      throw new HookError(`${what}() is too late in ${hook}: it takes effect only until post-remap`);
    }
  }

  // The cache step's seams

  /** The route's settings as hooks and rules left them: undefined when the transaction does not cache. */
  settings(route: RouteCacheConfig | undefined): RouteCacheConfig | undefined {
    const on = this.#enabled;
    if (on === undefined) return route;
    return on ? (route ?? DEFAULT_ROUTE_CACHE) : undefined;
  }

  /** The key the lookup uses: the one set, or the request's. */
  keyFor(computed: string): string {
    return this.#key ?? computed;
  }

  /**
   * SELECT_ALT with select-alternate hooks: they score the key's alternates (matching ones 1, others
   * 0) and the best above 0 is chosen. The hooks run inside the lookup, so they must not wait: one
   * that returns a promise fails the transaction, as one that throws does.
   */
  readonly selectAlternate = (
    alternates: readonly CachedObject[],
    request: CacheRequest,
  ): CachedObject | undefined => {
    const headers = request.policyRequest.headers;
    const matching = (o: CachedObject) => variantOf(o.vary, headers) === o.variant;
    if (alternates.length === 0 || this.#ran || !this.#host.has('select-alternate'))
      return alternates.find(matching);
    const views = alternates.map((o) => new AlternateView(o, matching(o)));
    this.#alternates = views;
    this.selectFailure = this.#host.runSynchronous('select-alternate');
    this.#alternates = undefined;
    if (this.selectFailure !== undefined) return undefined;
    return bestAlternate(views, (view) => view.score)?.object;
  };

  /**
   * The lookup found `found` (or was skipped): the first hook point to run, or undefined when none
   * has hooks (the cache step goes on as without them).
   */
  lookedUp(found: CacheLookup | 'skipped'): 'read-cache-header' | 'cache-lookup-complete' | undefined {
    if (this.#ran) return undefined;
    this.#ran = true;
    const host = this.#host;
    if (found === 'skipped') {
      this.#status = 'skipped';
      this.found = undefined;
      return host.has('cache-lookup-complete') ? 'cache-lookup-complete' : undefined;
    }
    this.#status = lookupStatusOf(found);
    this.#object = found.kind === 'miss' ? undefined : found.object;
    this.found = found;
    if (this.#object !== undefined && host.has('read-cache-header')) return 'read-cache-header';
    return host.has('cache-lookup-complete') ? 'cache-lookup-complete' : undefined;
  }

  /** After the hooks: the lookup as they left it (undefined when it was skipped). */
  decided(request: CacheRequest | undefined): CacheLookup | undefined {
    const found = this.found;
    this.found = undefined;
    if (found === undefined || request === undefined) return undefined;
    return applyLookupStatus(found, this.#status!, request);
  }
}

const MISS: CacheLookup = { kind: 'miss' };
