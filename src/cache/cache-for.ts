/** The one cache of a server across reloads: built when a config first caches, then kept and reconfigured. */
import {
  DEFAULT_CACHE_COLLAPSE_TIMEOUT_MS,
  DEFAULT_CACHE_MAX_OBJECT_BYTES,
  DEFAULT_CACHE_MEMORY_BYTES,
} from '../config/defaults.ts';
import type { CacheConfig } from '../config/cache-types.ts';
import type { JunctionConfig } from '../config/types.ts';
import { HttpCache } from './http-cache.ts';

/** The cache a snapshot of `config` uses: `previous` reconfigured, a new one, or null when no route caches. */
export function cacheFor(config: JunctionConfig, previous: HttpCache | null | undefined): HttpCache | null {
  if (!config.routes.some((route) => route.cache !== undefined)) return null;
  const settings = config.cache ?? DEFAULTS;
  if (previous == null) return new HttpCache(settings);
  previous.reconfigure(settings);
  return previous;
}

const DEFAULTS: CacheConfig = {
  memoryBytes: DEFAULT_CACHE_MEMORY_BYTES,
  maxObjectBytes: DEFAULT_CACHE_MAX_OBJECT_BYTES,
  collapseTimeoutMs: DEFAULT_CACHE_COLLAPSE_TIMEOUT_MS,
};
