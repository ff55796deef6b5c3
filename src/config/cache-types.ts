/** The built form of the HTTP cache's config (cache-schema.ts parses and builds it; src/cache/ runs it). */

/** The top-level `cache:` section: storage shared by every route that caches. */
export interface CacheConfig {
  /** The memory tier's bound in bytes (bodies and heads); least recently used objects go first. */
  readonly memoryBytes: number;
  /** Responses larger than this are sent on but not stored. */
  readonly maxObjectBytes: number;
  /** How long a request waits for another one filling the same key before it goes on itself. */
  readonly collapseTimeoutMs: number;
  /** The disk tier (`path`, `disk_size`); absent: memory only. */
  readonly disk?: DiskCacheConfig | undefined;
  /** Background fill: finishing a cache write once the client has gone (`background_fill`). */
  readonly backgroundFill: BackgroundFillConfig;
}

/**
 * `background_fill`: when the client goes away while a storable response of known length is being
 * stored, the backend is still read to the end if more than `threshold` of the body has arrived
 * (Traffic Server's background_fill_completed_threshold; 1: never, 0: always), for at most `timeoutMs`.
 */
export interface BackgroundFillConfig {
  readonly threshold: number;
  readonly timeoutMs: number;
}

/** The disk tier: files under `path` (absolute), bounded to `bytes`, least recently used evicted. */
export interface DiskCacheConfig {
  readonly path: string;
  readonly bytes: number;
}

/** A route's `cache:` (true is all defaults). */
export interface RouteCacheConfig {
  /** Store responses that carry Set-Cookie (shared with every client): off by default. */
  readonly setCookie: boolean;
  /** Concurrent misses for one key wait for one request to the backend. */
  readonly collapse: boolean;
}
