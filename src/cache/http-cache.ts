/**
 * The shared HTTP cache of one server: the memory tier, request collapsing and the RFC 9111 decisions
 * around them. The rules themselves (freshness, storability, revalidation) are http-cache-semantics';
 * this file asks it the questions in the order of Traffic Server's cache states: lookup, SELECT_ALT
 * (alternates.ts picks among the key's variants), fresh or stale, store, update after a 304.
 * It survives reloads (the snapshot builder hands it on), so a reload keeps what is stored.
 * With `path`, a disk tier (disk-store.ts) sits behind the memory tier: every stored object is also
 * written to disk (write-through, in the background); a lookup that misses in memory but whose
 * alternate the disk index holds reads it back (loadFromDisk), puts it in memory and looks again.
 */
import CachePolicy from 'http-cache-semantics';
import type { CacheConfig } from '../config/cache-types.ts';
import {
  OBJECT_OVERHEAD_BYTES,
  SHARED_POLICY,
  cacheControlSeconds,
  fieldOf,
  variantOf,
  type CachedObject,
} from './cached-object.ts';
import { backgroundCounts, type BackgroundCounts, type BackgroundResult } from './background.ts';
import { CollapseTable } from './collapse.ts';
import type { DiskMeta } from './disk-format.ts';
import type { DiskEntry } from './disk-index.ts';
import { DiskStore } from './disk-store.ts';
import { MemoryStore } from './memory-store.ts';

/** A request as the cache sees it: its key, and the request the policy evaluates (GET for a HEAD). */
export interface CacheRequest {
  readonly key: string;
  /** What the policy reads: method GET, url (path and query), headers by lower-case name with host. */
  readonly policyRequest: CachePolicy.Request;
}

/**
 * What a lookup found (CACHE_LOOKUP_COMPLETE):
 * - `fresh`: answer from `object` with `headers` (Age brought up to date);
 * - `revalidate-later`: `object` is stale but may answer while a background request revalidates it;
 * - `stale`: `object` matches but must be revalidated first, with `conditional` added to the request;
 * - `miss`: nothing stored matches this request.
 */
export type CacheLookup =
  | { readonly kind: 'fresh'; readonly object: CachedObject; readonly headers: CachePolicy.Headers }
  /**
   * Stale, within stale-while-revalidate (RFC 5861 §3): answer from `object` with `headers` at once,
   * and revalidate in the background with `conditional`.
   */
  | {
      readonly kind: 'revalidate-later';
      readonly object: CachedObject;
      readonly headers: CachePolicy.Headers;
      readonly conditional: CachePolicy.Headers;
    }
  | { readonly kind: 'stale'; readonly object: CachedObject; readonly conditional: CachePolicy.Headers }
  | { readonly kind: 'miss' };

/** Picks the alternate a request gets among those stored under its key; undefined: none (a miss). */
export type AlternateChooser = (
  alternates: readonly CachedObject[],
  request: CacheRequest,
) => CachedObject | undefined;

/** The cache statuses the access log and the metrics report. */
export type CacheStatus = 'hit' | 'miss' | 'stale' | 'revalidated' | 'bypass';

/** Statuses that are never stored whatever their fields say: partial content and validations. */
const NEVER_STORED = new Set([206, 304]);

export class HttpCache {
  #config: CacheConfig;
  readonly store: MemoryStore;
  /** The disk tier; null without `path`. */
  #disk: DiskStore | null = null;
  readonly #report: (message: string) => void;
  /** Hits answered from an object read back from disk (the rest of `hit` came from memory). */
  diskHits = 0;
  readonly collapse: CollapseTable;
  /** Background fills and revalidations by result, for the metrics. */
  readonly background: BackgroundCounts = backgroundCounts();
  /** Body bytes the background fills under way are reading (at most the memory tier's bound). */
  #fillBytes = 0;
  /** Transactions by cache status, for the metrics. */
  readonly statuses: Record<CacheStatus, number> = { hit: 0, miss: 0, stale: 0, revalidated: 0, bypass: 0 };

  /** `diskDir`: where this process keeps the disk tier (config's path, or a worker's directory in it). */
  constructor(config: CacheConfig, report: (message: string) => void, diskDir?: string) {
    this.#config = config;
    this.#report = report;
    this.store = new MemoryStore(config.memoryBytes);
    this.collapse = new CollapseTable(() => this.#config.collapseTimeoutMs);
    if (config.disk !== undefined)
      this.#disk = new DiskStore(diskDir ?? config.disk.path, config.disk.bytes, report);
  }

  get config(): CacheConfig {
    return this.#config;
  }

  get disk(): DiskStore | null {
    return this.#disk;
  }

  /**
   * A reload: new bounds apply at once (a smaller tier evicts), stored objects stay. A new disk
   * directory is scanned afresh; the old one is left as it is.
   */
  reconfigure(config: CacheConfig, diskDir?: string): void {
    this.#config = config;
    if (config.memoryBytes !== this.store.limit) this.store.resize(config.memoryBytes);
    const dir = config.disk === undefined ? undefined : (diskDir ?? config.disk.path);
    const disk = this.#disk;
    if (disk !== null && disk.dir === dir) {
      if (disk.index.limit !== config.disk!.bytes) disk.resize(config.disk!.bytes);
      return;
    }
    disk?.close();
    this.#disk = dir === undefined ? null : new DiskStore(dir, config.disk!.bytes, this.#report);
  }

  /** The server is stopping: the disk writes under way finish, then the disk tier stops. */
  async close(): Promise<void> {
    const disk = this.#disk;
    if (disk === null) return;
    await disk.flush();
    disk.close();
  }

  /**
   * CACHE_LOOKUP and SELECT_ALT: the alternate of the key that this request's Vary'd fields select,
   * or the one `choose` picks among them (select-alternate hooks).
   */
  lookup(request: CacheRequest, choose?: AlternateChooser): CacheLookup {
    const object =
      choose === undefined
        ? this.selectAlternate(request)
        : choose(this.store.alternates(request.key), request);
    if (object === undefined) return MISS;
    // An alternate hooks chose that the request's Vary'd fields do not select is judged as it was asked for.
    const asked = choose === undefined ? request.policyRequest : askedFor(object, request.policyRequest);
    const result = object.policy.evaluateRequest(asked);
    this.store.touch(object);
    const disk = this.#disk;
    if (disk !== null) {
      // The disk's order of use follows the memory's: a file hot in memory is not evicted from disk.
      const entry = disk.index.find(
        object.key,
        (e) => e.variant === object.variant && e.vary === object.vary,
      );
      if (entry !== undefined) disk.index.touch(entry, Date.now());
    }
    const revalidation = result.revalidation;
    if (revalidation === undefined) return { kind: 'fresh', object, headers: result.response.headers };
    if (!revalidation.synchronous && result.response !== undefined) {
      const headers = result.response.headers;
      return { kind: 'revalidate-later', object, headers, conditional: revalidation.headers };
    }
    return { kind: 'stale', object, conditional: object.policy.revalidationHeaders(request.policyRequest) };
  }

  /** SELECT_ALT: the stored variant whose Vary'd fields match the request's, if any. */
  selectAlternate(request: CacheRequest): CachedObject | undefined {
    const headers = request.policyRequest.headers;
    for (const object of this.store.alternates(request.key)) {
      if (variantOf(object.vary, headers) === object.variant) return object;
    }
    return undefined;
  }

  /** The disk alternate this request selects, when the memory tier has none (a read is worth it). */
  onDisk(request: CacheRequest): DiskEntry | undefined {
    const disk = this.#disk;
    if (disk === null) return undefined;
    const headers = request.policyRequest.headers;
    return disk.index.find(request.key, (entry) => variantOf(entry.vary, headers) === entry.variant);
  }

  /**
   * Reads `entry` back into the memory tier (READ_CACHE_HDR from disk); false when it could not be
   * read (the file was dropped: a miss). Never rejects.
   */
  async loadFromDisk(entry: DiskEntry): Promise<boolean> {
    const disk = this.#disk;
    if (disk === null) return false;
    const decoded = await disk.read(entry);
    if (decoded === undefined) return false;
    const { meta, body } = decoded;
    // Another transaction may have stored or read it meanwhile.
    const present = this.store
      .alternates(meta.key)
      .some((o) => o.variant === meta.variant && o.vary === meta.vary);
    if (present) return true;
    let policy: CachePolicy;
    try {
      policy = CachePolicy.fromObject(meta.policy);
    } catch {
      disk.deleteEntries([entry]);
      disk.index.remove(entry);
      return false;
    }
    return this.store.put(
      this.#object(meta.key, meta.vary, meta.variant, policy, meta.status, meta.reason, body, meta.cookies),
    );
  }

  /** The policy of a response to `request`: the RFC's verdicts on it. */
  policyFor(request: CacheRequest, status: number, headers: CachePolicy.Headers): CachePolicy {
    return new CachePolicy(request.policyRequest, { status, headers }, { ...SHARED_POLICY });
  }

  /**
   * Whether a response may be stored: the RFC says so (no-store, private, Authorization…), it is not
   * a Vary: * response, and it sets no cookie unless the route shares them. `length` is the body's
   * declared length (-1 when not known yet).
   */
  mayStore(policy: CachePolicy, status: number, setCookie: boolean, length: number): boolean {
    if (NEVER_STORED.has(status) || !policy.storable()) return false;
    const headers = policy.responseHeaders();
    if (!setCookie && headers['set-cookie'] !== undefined) return false;
    if (variantOf(fieldOf(headers, 'vary'), {}) === undefined) return false;
    return length < 0 || length <= this.#config.maxObjectBytes;
  }

  /** Whether a body of declared `length` (-1: not known yet) is small enough to store. */
  fitsLength(length: number): boolean {
    return length <= this.#config.maxObjectBytes;
  }

  /** Stores a complete response; false when it is too large for the cache. */
  put(
    request: CacheRequest,
    policy: CachePolicy,
    status: number,
    reason: string,
    body: Buffer,
    cookies: readonly string[] = [],
  ): boolean {
    if (body.length > this.#config.maxObjectBytes) return false;
    const vary = fieldOf(policy.responseHeaders(), 'vary') ?? '';
    const variant = variantOf(vary, request.policyRequest.headers);
    if (variant === undefined) return false;
    const object = this.#object(request.key, vary, variant, policy, status, reason, body, cookies);
    if (!this.store.put(object)) return false;
    this.#writeToDisk(object);
    return true;
  }

  #object(
    key: string,
    vary: string,
    variant: string,
    policy: CachePolicy,
    status: number,
    reason: string,
    body: Buffer,
    cookies: readonly string[],
  ): CachedObject {
    const size =
      body.length +
      fieldBytes(policy) +
      key.length +
      cookies.reduce((n, c) => n + c.length, 0) +
      OBJECT_OVERHEAD_BYTES;
    return { key, vary, variant, policy, status, reason, body, cookies, size };
  }

  #writeToDisk(object: CachedObject): void {
    const disk = this.#disk;
    if (disk === null) return;
    const meta: DiskMeta = {
      key: object.key,
      vary: object.vary,
      variant: object.variant,
      status: object.status,
      reason: object.reason,
      cookies: object.cookies,
      policy: object.policy.toObject(),
    };
    disk.write(meta, object.body);
  }

  /** Drops one alternate from both tiers. */
  #deleteObject(object: CachedObject): void {
    this.store.delete(object);
    const disk = this.#disk;
    if (disk === null) return;
    const entry = disk.index.find(object.key, (e) => e.variant === object.variant && e.vary === object.vary);
    if (entry !== undefined && disk.index.remove(entry)) disk.deleteEntries([entry]);
  }

  /**
   * A validation's answer (RFC 9111 §4.3.4): a 304 that matches updates the stored object's fields and
   * freshness and returns it; anything else means the stored object is outdated (deleted).
   */
  revalidated(
    object: CachedObject,
    request: CacheRequest,
    status: number,
    headers: CachePolicy.Headers,
  ): CachedObject | undefined {
    const { modified, matches } = object.policy.revalidatedPolicy(request.policyRequest, { status, headers });
    if (modified || !matches || status !== 304) {
      this.#deleteObject(object);
      return undefined;
    }
    // RFC 9111 §3.2: the 304's fields are added to the stored ones, replacing those present (the
    // library only replaces), but for those that describe the stored body.
    const updated: CachePolicy.Headers = { ...object.policy.toObject().resh };
    for (const [name, value] of Object.entries(headers)) if (!BODY_FIELDS.has(name)) updated[name] = value;
    object.policy = new CachePolicy(
      request.policyRequest,
      { status: object.status, headers: updated },
      { ...SHARED_POLICY },
    );
    this.store.touch(object);
    this.#writeToDisk(object);
    return object;
  }

  /**
   * A background revalidation's answer (stale-while-revalidate) for `stale`: a 304 refreshes it; a
   * storable response replaces it; a 5xx leaves it as it is (it may still answer within its
   * allowances); anything else outdates it. `fields` are the response's (flat list); `cookies` the
   * Set-Cookie values kept beside the policy on a route that shares them (taken out of `fields`).
   */
  refreshed(
    stale: CachedObject,
    request: CacheRequest,
    response: { readonly status: number; readonly reason: string; readonly headers: CachePolicy.Headers },
    body: Buffer,
    setCookie: boolean,
  ): BackgroundResult {
    const { status, headers } = response;
    if (status === 304) return this.revalidated(stale, request, status, headers) ? 'stored' : 'not-stored';
    if (status >= 500) return 'not-stored';
    const fields = { ...headers };
    const cookies = setCookie ? takeCookies(fields) : [];
    const policy = this.policyFor(request, status, fields);
    const stored =
      this.mayStore(policy, status, setCookie, body.length) &&
      this.put(request, policy, status, response.reason, body, cookies);
    if (stored) return 'stored';
    this.#deleteObject(stale);
    return 'not-stored';
  }

  /**
   * stale-if-error (RFC 5861 §4): whether `object` may answer in place of an error now, by the
   * response's directive or the request's.
   */
  usableOnError(object: CachedObject, requestHeaders: CachePolicy.Headers): boolean {
    const policy = object.policy;
    const response = cacheControlSeconds(policy.responseHeaders()['cache-control'], 'stale-if-error');
    const request = cacheControlSeconds(requestHeaders['cache-control'], 'stale-if-error');
    const allowance = Math.max(response, request);
    return allowance > 0 && policy.maxAge() + allowance > policy.age();
  }

  /** RFC 9111 §4.4: an unsafe method's success invalidates what is stored for these keys. */
  invalidate(keys: readonly string[]): number {
    let n = 0;
    for (const key of keys) n += this.purge(key, false);
    return n;
  }

  /**
   * Purges one URL (`prefix` false: every alternate of its key) or every URL that starts with it. The
   * URL is written as the key is: `scheme://host[:port]/path?query`, without a default port.
   */
  purge(url: string, prefix: boolean): number {
    const memory = prefix ? this.store.deletePrefix(url) : this.store.deleteKey(url);
    const disk = this.#disk;
    if (disk === null) return memory;
    // Most objects are in both tiers: the larger count is the number of alternates gone.
    return Math.max(memory, (prefix ? disk.deletePrefix(url) : disk.deleteKey(url)).length);
  }

  clear(): number {
    const memory = this.store.clear();
    return Math.max(memory, this.#disk?.clear().length ?? 0);
  }

  /**
   * Room for a background fill of a `length`-byte body: the fills under way hold at most memory_size
   * between them. False when there is none; else the caller gives it back with fillEnded.
   */
  fillStarted(length: number): boolean {
    if (this.#fillBytes + length > this.store.limit) return false;
    this.#fillBytes += length;
    return true;
  }

  fillEnded(length: number): void {
    this.#fillBytes -= length;
  }

  /** `fromDisk`: the object was read back from the disk tier for this transaction. */
  count(status: CacheStatus, fromDisk = false): void {
    this.statuses[status]++;
    if (fromDisk && status === 'hit') this.diskHits++;
  }
}

const MISS: CacheLookup = { kind: 'miss' };

/** Removes the Set-Cookie values from `fields` and returns them. */
export function takeCookies(fields: CachePolicy.Headers): readonly string[] {
  const value = fields['set-cookie'];
  delete fields['set-cookie'];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** `request` with the Vary'd fields of the request that stored `object` (select-alternate's choice). */
function askedFor(object: CachedObject, request: CachePolicy.Request): CachePolicy.Request {
  if (object.vary === '' || variantOf(object.vary, request.headers) === object.variant) return request;
  const stored = object.policy.toObject().reqh ?? {};
  const varied = new Set(
    object.vary
      .toLowerCase()
      .split(',')
      .map((name) => name.trim()),
  );
  const headers: CachePolicy.Headers = {};
  for (const [name, value] of Object.entries(request.headers)) if (!varied.has(name)) headers[name] = value;
  for (const name of varied) if (stored[name] !== undefined) headers[name] = stored[name];
  return { ...request, headers };
}

/** Fields a 304 must not change: they describe the stored body (RFC 9111 §3.2). */
const BODY_FIELDS = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'content-range']);

/** An estimate of the memory the policy's copies of the fields take (request and response). */
function fieldBytes(policy: CachePolicy): number {
  const saved = policy.toObject();
  let n = 0;
  for (const headers of [saved.resh, saved.reqh ?? {}]) {
    for (const [name, value] of Object.entries(headers)) n += name.length + String(value).length + 8;
  }
  return n * 2;
}
