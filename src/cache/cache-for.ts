/** The one cache of a server across reloads: built when a config first caches, then kept and reconfigured. */
import {
  DEFAULT_CACHE_BACKGROUND_FILL_THRESHOLD,
  DEFAULT_CACHE_BACKGROUND_FILL_TIMEOUT_MS,
  DEFAULT_CACHE_COLLAPSE_TIMEOUT_MS,
  DEFAULT_CACHE_MAX_OBJECT_BYTES,
  DEFAULT_CACHE_MEMORY_BYTES,
} from '../config/defaults.ts';
import type { CacheConfig } from '../config/cache-types.ts';
import type { JunctionConfig } from '../config/types.ts';
import { join } from 'node:path';
import { createLogger, type Logger } from '../log/index.ts';
import { HttpCache } from './http-cache.ts';

/** The env var a worker of a group finds its slot in (workers/messages.ts SLOT_ENV). */
const WORKER_SLOT_ENV = 'JUNCTION_WORKER_SLOT';

/**
 * This process's disk directory: the configured path, or `worker-<slot>` in it for a worker of a
 * group (each worker has its own files: no locking between processes, and a slot keeps its
 * directory across restarts of the worker and of the group).
 */
function diskDirOf(settings: CacheConfig): string | undefined {
  if (settings.disk === undefined) return undefined;
  const slot = process.env[WORKER_SLOT_ENV];
  return slot === undefined || slot === '' ? settings.disk.path : join(settings.disk.path, `worker-${slot}`);
}

let cacheLog: Logger | undefined;
function report(message: string): void {
  cacheLog ??= createLogger().child({ component: 'cache' });
  cacheLog.warn(message);
}

/** The cache a snapshot of `config` uses: `previous` reconfigured, a new one, or null when no route caches. */
export function cacheFor(config: JunctionConfig, previous: HttpCache | null | undefined): HttpCache | null {
  if (!config.routes.some((route) => route.cache !== undefined)) return null;
  const settings = config.cache ?? DEFAULTS;
  const dir = diskDirOf(settings);
  const cache = previous ?? new HttpCache(settings, report, dir);
  if (previous != null) previous.reconfigure(settings, dir);
  SERVING.set(config, cache);
  return cache;
}

/**
 * The cache the snapshot of `config` serves from (the admin API's purge and clear reach it through the
 * config in force); undefined when none of its routes caches, or the config is not served here (the
 * primary of a group of workers).
 */
export function cacheServing(config: JunctionConfig): HttpCache | undefined {
  return SERVING.get(config);
}

/** Weak: a retired config and its cache go when nothing else holds them. */
const SERVING = new WeakMap<JunctionConfig, HttpCache>();

const DEFAULTS: CacheConfig = {
  memoryBytes: DEFAULT_CACHE_MEMORY_BYTES,
  maxObjectBytes: DEFAULT_CACHE_MAX_OBJECT_BYTES,
  collapseTimeoutMs: DEFAULT_CACHE_COLLAPSE_TIMEOUT_MS,
  backgroundFill: {
    threshold: DEFAULT_CACHE_BACKGROUND_FILL_THRESHOLD,
    timeoutMs: DEFAULT_CACHE_BACKGROUND_FILL_TIMEOUT_MS,
  },
};
