/**
 * The schema of the HTTP cache's config: the top-level `cache:` section (storage) and a route's
 * `cache: true | { ... }`, and their building into cache-types.ts. Kept apart from schema.ts, which
 * plugs these in. Built inside functions: schema.ts imports this file and this file uses its helpers.
 */
import * as z from 'zod';
import {
  DEFAULT_CACHE_BACKGROUND_FILL_THRESHOLD,
  DEFAULT_CACHE_BACKGROUND_FILL_TIMEOUT_MS,
  DEFAULT_CACHE_COLLAPSE_TIMEOUT_MS,
  DEFAULT_CACHE_DISK_BYTES,
  DEFAULT_CACHE_MAX_OBJECT_BYTES,
  DEFAULT_CACHE_MEMORY_BYTES,
} from './defaults.ts';
import { configPath } from './config-files.ts';
import { describeValue } from './describe-value.ts';
import { duration, nonEmptyString, optional, parsed, strictObject } from './schema-toolkit.ts';
import { parseSizeBytes } from './units.ts';
import type { CacheConfig, RouteCacheConfig } from './cache-types.ts';

/** 1 TiB: the bound only keeps sizes safe integers. */
const MAX_CACHE_BYTES = 1024 ** 4;

function cacheSize(minBytes: number) {
  return parsed<unknown, number>(z.unknown(), (value) => {
    const result = parseSizeBytes(value);
    if (!result.ok) return result;
    return result.value < minBytes || result.value > MAX_CACHE_BYTES
      ? { ok: false, problem: `must be from ${minBytes} to ${MAX_CACHE_BYTES} bytes, got ${result.value}` }
      : result;
  });
}

/** `background_fill`: `{ threshold: 0..1, timeout: duration }`. */
function backgroundFill() {
  return strictObject(
    {
      threshold: optional(
        z
          .number({ error: 'must be a number from 0 to 1' })
          .min(0, 'must be a number from 0 to 1')
          .max(1, 'must be a number from 0 to 1'),
      ),
      timeout: optional(duration(1)),
    },
    'must be a mapping of background fill settings',
  );
}

/** The top-level `cache:` section; `baseDir` resolves a relative `path`. */
export function cacheSection(baseDir: string) {
  return strictObject(
    {
      memory_size: optional(cacheSize(64 * 1024)),
      max_object_size: optional(cacheSize(1)),
      collapse_timeout: optional(duration(1)),
      path: optional(nonEmptyString.transform((path) => configPath(baseDir, path))),
      disk_size: optional(cacheSize(1024 * 1024)),
      background_fill: optional(backgroundFill()),
    },
    'must be a mapping of cache settings',
  ).superRefine((value, ctx) => {
    if (value.disk_size !== undefined && value.path === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['disk_size'],
        message: 'disk_size needs path (the directory of the disk tier)',
      });
    }
    const memory = value.memory_size ?? DEFAULT_CACHE_MEMORY_BYTES;
    const object = value.max_object_size ?? DEFAULT_CACHE_MAX_OBJECT_BYTES;
    if (object > memory) {
      ctx.addIssue({
        code: 'custom',
        path: value.max_object_size === undefined ? ['memory_size'] : ['max_object_size'],
        message: `max_object_size (${object} bytes) must not exceed memory_size (${memory} bytes)`,
      });
    }
  });
}

/** A route's `cache:`: true, false, or a mapping of its settings. */
export function routeCache() {
  const settings = strictObject(
    { set_cookie: optional(z.boolean()), collapse: optional(z.boolean()) },
    'must be true, false or a mapping of cache settings',
  );
  return z.union([z.boolean(), settings], {
    error: (issue) => `must be true, false or a mapping of cache settings, got ${describeValue(issue.input)}`,
  });
}

export type RawCacheSection = z.output<ReturnType<typeof cacheSection>>;
export type RawRouteCache = z.output<ReturnType<typeof routeCache>>;

/** The storage settings; undefined (no section) is all defaults. */
export function buildCacheConfig(raw: RawCacheSection | undefined): CacheConfig {
  return {
    memoryBytes: raw?.memory_size ?? DEFAULT_CACHE_MEMORY_BYTES,
    maxObjectBytes: raw?.max_object_size ?? DEFAULT_CACHE_MAX_OBJECT_BYTES,
    collapseTimeoutMs: raw?.collapse_timeout ?? DEFAULT_CACHE_COLLAPSE_TIMEOUT_MS,
    backgroundFill: {
      threshold: raw?.background_fill?.threshold ?? DEFAULT_CACHE_BACKGROUND_FILL_THRESHOLD,
      timeoutMs: raw?.background_fill?.timeout ?? DEFAULT_CACHE_BACKGROUND_FILL_TIMEOUT_MS,
    },
    ...(raw?.path === undefined
      ? {}
      : { disk: { path: raw.path, bytes: raw.disk_size ?? DEFAULT_CACHE_DISK_BYTES } }),
  };
}

/** A route's cache; undefined (or false) when the route does not cache. */
export function buildRouteCache(raw: RawRouteCache | undefined): RouteCacheConfig | undefined {
  if (raw === undefined || raw === false) return undefined;
  const settings = raw === true ? {} : raw;
  return { setCookie: settings.set_cookie ?? false, collapse: settings.collapse ?? true };
}
