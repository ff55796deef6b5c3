/**
 * The admin API's cache resources: the cache's counters, purge by URL or prefix, and clear. They act on
 * the cache of the config in force in this process (src/cache/), or, with worker processes, on every
 * worker's cache (each has its own): the group sums the answers and names each worker's.
 */
import { cacheServing, runCacheCommand, type CacheCommand, type CacheReport } from '../cache/index.ts';
import { AdminError } from '../errors/index.ts';
import type { AdminRoute } from './admin-routes.ts';
import type { ConfigStore } from './config-store.ts';

/** Runs `command` on the target's cache (every worker's, for a group); the answer without its kind. */
async function onCache(store: ConfigStore, command: CacheCommand): Promise<Record<string, unknown>> {
  const target = store.server;
  const cache = cacheServing(target.config);
  let report: CacheReport | null = null;
  if (cache !== undefined) report = runCacheCommand(cache, command);
  else if (target.cacheCommand !== undefined) report = await target.cacheCommand(command);
  if (report === null) {
    throw new AdminError('JCT_ERR_ADMIN_NOT_FOUND', 'no route caches (see cache: in docs/caching.md)');
  }
  const body: Record<string, unknown> = { ...report };
  delete body['kind'];
  return body;
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
    handle: (_request, store) => onCache(store, { kind: 'stats' }),
  },
  {
    method: 'POST',
    path: 'cache/purge',
    handle: (request, store) => {
      const { url, prefix } = purgeBody(request.body);
      return onCache(store, { kind: 'purge', url, prefix });
    },
  },
  {
    method: 'DELETE',
    path: 'cache',
    handle: (_request, store) => onCache(store, { kind: 'clear' }),
  },
];
