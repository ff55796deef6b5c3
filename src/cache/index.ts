/**
 * cache: the shared HTTP cache (RFC 9111) that routes opt into with `cache:`. Owns the memory tier
 * (memory-store.ts: alternates per key, bounded in bytes, least recently used evicted), the cache key
 * (cache-key.ts), the RFC's decisions, asked of http-cache-semantics (http-cache.ts: lookup, SELECT_ALT,
 * freshness, storability, 304 updates, stale-if-error, invalidation, purge), request collapsing
 * (collapse.ts), the copy of a response teed as it streams (response-recorder.ts), the playback of
 * a stored one as if an upstream sent it (cached-channel.ts), and the counters of its background work
 * (background.ts: fills and stale-while-revalidate refreshes, which transaction/ runs).
 * Does not: touch sockets or the Router (the transaction's cache step, transaction/cache-step.ts, drives
 * it from the transaction's states), parse request heads, or decide what a route caches (config/).
 */
export { cacheKey, relatedKey } from './cache-key.ts';
export { parseRange, rangeRequest, sliceOf, type ByteSlice, type RangeRequest } from './byte-range.ts';
export { CachedChannel } from './cached-channel.ts';
export { type BackgroundCounts, type BackgroundKind, type BackgroundResult } from './background.ts';
export { fieldList, headerObject, variantOf, type CachedObject } from './cached-object.ts';
export { CollapseTable, type CollapseOutcome } from './collapse.ts';
export {
  HttpCache,
  takeCookies,
  type AlternateChooser,
  type CacheLookup,
  type CacheRequest,
  type CacheStatus,
} from './http-cache.ts';
export { MemoryStore, type StoreStats } from './memory-store.ts';
export { ResponseRecorder } from './response-recorder.ts';
export { cacheFor, cacheServing } from './cache-for.ts';
export {
  runCacheCommand,
  type CacheCommand,
  type CacheReport,
  type CacheStatsReport,
} from './cache-admin.ts';
export { observeCache, type CacheObservation } from './observation.ts';
