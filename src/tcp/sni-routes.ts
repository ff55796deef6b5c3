import type { HostMatch, SniRoute } from '../config/types.ts';

function matches(name: string, pattern: HostMatch): boolean {
  // `*.example.com` matches one or more labels before the suffix, as route hosts do.
  return pattern.kind === 'exact'
    ? name === pattern.host
    : name.length > pattern.suffix.length && name.endsWith(pattern.suffix);
}

/**
 * The cluster for a server name: the first SNI route one of whose names matches, else `fallback`
 * (also for a ClientHello without SNI). Undefined when nothing applies.
 */
export function clusterForServerName(
  serverName: string | undefined,
  routes: readonly SniRoute[],
  fallback: string | undefined,
): string | undefined {
  if (serverName === undefined) return fallback;
  for (const route of routes) {
    for (const pattern of route.names) if (matches(serverName, pattern)) return route.cluster;
  }
  return fallback;
}
