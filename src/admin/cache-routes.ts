/**
 * The admin API's cache resources: the cache's counters, purge by URL or prefix, and clear. They act on
 * the cache of the config in force in this process (src/cache/); with worker processes each worker
 * has its own cache, which these routes do not reach yet.
 */
import { cacheServing, type HttpCache } from '../cache/index.ts';
import { AdminError } from '../errors/index.ts';
import type { AdminRoute } from './admin-routes.ts';
import type { ConfigStore } from './config-store.ts';

function cacheOf(store: ConfigStore): HttpCache {
  const cache = cacheServing(store.server.config);
  if (cache === undefined) {
    throw new AdminError(
      'JCT_ERR_ADMIN_NOT_FOUND',
      store.server.config.routes.some((r) => r.cache !== undefined)
        ? 'the cache lives in the worker processes, which these routes do not reach yet'
        : 'no route caches (see cache: in docs/caching.md)',
    );
  }
  return cache;
}

/** `{ url, prefix }`: the URL as a key (host lower-cased, default port dropped by URL parsing). */
function purgeBody(body: unknown): { url: string; prefix: boolean } {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const url = fields['url'];
  const prefix = fields['prefix'] ?? false;
  if (typeof url !== 'string' || typeof prefix !== 'boolean') {
    throw new AdminError(
      'JCT_ERR_ADMIN_BAD_REQUEST',
      'the body must be a JSON object with url (a string) and optionally prefix (true or false)',
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', `url must be an absolute http(s) URL, got '${url}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', `url must be an absolute http(s) URL, got '${url}'`);
  }
  // A prefix ending at the authority keeps what was written ('http://h' purges 'http://h:8080/…' too).
  const path = prefix && !/^[a-z]+:\/\/[^/]*\//i.test(url) ? '' : parsed.pathname;
  return { url: `${parsed.protocol}//${parsed.host}${path}${parsed.search}`, prefix };
}

export const CACHE_ROUTES: readonly AdminRoute[] = [
  {
    method: 'GET',
    path: 'cache',
    handle: (_request, store) => {
      const cache = cacheOf(store);
      const disk = cache.disk;
      return {
        memoryLimit: cache.store.limit,
        maxObjectSize: cache.config.maxObjectBytes,
        ...cache.store.stats,
        requests: cache.statuses,
        ...(disk === null
          ? {}
          : {
              disk: {
                path: disk.dir,
                state: disk.state,
                limit: disk.index.limit,
                ...disk.index.stats,
                hits: cache.diskHits,
                dropped: disk.dropped,
              },
            }),
      };
    },
  },
  {
    method: 'POST',
    path: 'cache/purge',
    handle: (request, store) => {
      const { url, prefix } = purgeBody(request.body);
      return { url, prefix, purged: cacheOf(store).purge(url, prefix) };
    },
  },
  {
    method: 'DELETE',
    path: 'cache',
    handle: (_request, store) => ({ cleared: cacheOf(store).clear() }),
  },
];
