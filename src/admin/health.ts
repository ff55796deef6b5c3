/**
 * The health endpoints, answered without a token (as Envoy's `/ready` and Traefik's `/ping`), for load
 * balancers and orchestrators: `/healthz` says the process answers; `/ready` says whether Junction
 * should get traffic now.
 */
import type { JunctionServer } from '../server/index.ts';

export interface Readiness {
  readonly ready: boolean;
  /** Why not, in a few words; `ready` when it is. */
  readonly reason: string;
}

/**
 * Ready while the config is loaded (a server exists only with one), every listener of the running
 * config is bound (a reload whose rebind failed can leave one unbound), and Junction is not shutting down.
 */
export function readiness(server: JunctionServer): Readiness {
  if (server.status().closing) return { ready: false, reason: 'shutting down' };
  const bound = new Set(server.listeners.map((l) => l.name));
  const unbound = server.config.listeners.filter((l) => !bound.has(l.name)).map((l) => l.name);
  if (unbound.length > 0) {
    return { ready: false, reason: `listener not bound: ${unbound.join(', ')}` };
  }
  return { ready: true, reason: 'ready' };
}

/** The paths answered without a token. */
export const HEALTH_PATHS: ReadonlySet<string> = new Set(['/healthz', '/ready']);
