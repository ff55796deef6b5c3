/**
 * The facts of a config that rules read at run time (rules/ConfigFacts), taken from the config as
 * written once its schema passed: each route's target as TxnBox's remap target URL (`remap-target-*`),
 * each cluster's connection limit (`txn-conf<proxy.config.http.per_server.connection.max>`) and the
 * cache's background fill threshold (`txn-conf<proxy.config.http.background_fill_completed_threshold>`).
 */
import type { ConfigFacts, RouteTarget } from '../rules/index.ts';
import { DEFAULT_CACHE_BACKGROUND_FILL_THRESHOLD, DEFAULT_POOL_MAX_TOTAL } from './defaults.ts';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A match's host when it is one literal name (no list, no wildcard): lowercased, without a port or a trailing dot. */
function literalHost(host: unknown): string | undefined {
  const one = Array.isArray(host) && host.length === 1 ? (host[0] as unknown) : host;
  if (typeof one !== 'string' || one.includes('*')) return undefined;
  const name = one.startsWith('[') ? one.slice(0, one.indexOf(']') + 1) : one.replace(/:\d+$/, '');
  return name.replace(/\.$/, '').toLowerCase();
}

/** A match's path prefix or exact path, without its leading `/`; '' when it has none (or a regex). */
function targetPath(path: unknown): string {
  const text =
    typeof path === 'string' ? path : isRecord(path) ? (path['prefix'] ?? path['exact']) : undefined;
  return typeof text === 'string' ? text.replace(/^\//, '') : '';
}

export function ruleConfigFacts(data: Record<string, unknown>): ConfigFacts {
  const targets = new Map<string, RouteTarget>();
  const routes = Array.isArray(data['routes']) ? (data['routes'] as unknown[]) : [];
  routes.forEach((route, index) => {
    if (!isRecord(route)) return;
    const name = typeof route['name'] === 'string' ? route['name'] : `route-${index + 1}`;
    const match = isRecord(route['match']) ? route['match'] : {};
    targets.set(name, { host: literalHost(match['host']), path: targetPath(match['path']) });
  });
  const limits = new Map<string, number>();
  const clusters = isRecord(data['clusters']) ? data['clusters'] : {};
  for (const [name, cluster] of Object.entries(clusters)) {
    const pool = isRecord(cluster) && isRecord(cluster['pool']) ? cluster['pool'] : {};
    const max = pool['max_total'];
    limits.set(name, typeof max === 'number' ? max : DEFAULT_POOL_MAX_TOTAL);
  }
  const distinct = new Set(limits.values());
  const shared = distinct.size === 1 ? [...distinct][0] : undefined;
  const cache = isRecord(data['cache']) ? data['cache'] : {};
  const fill = isRecord(cache['background_fill']) ? cache['background_fill'] : {};
  const threshold =
    typeof fill['threshold'] === 'number' ? fill['threshold'] : DEFAULT_CACHE_BACKGROUND_FILL_THRESHOLD;
  return {
    routeTarget: (route) => targets.get(route),
    poolMaxTotal: (cluster) => (cluster === undefined ? shared : limits.get(cluster)),
    backgroundFillThreshold: () => threshold,
  };
}
