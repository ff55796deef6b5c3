/**
 * The health endpoints, answered without a token (as Envoy's `/ready` and Traefik's `/ping`), for load
 * balancers and orchestrators: `/healthz` says the process answers; `/ready` says whether Junction
 * should get traffic now.
 */
import type { AdminTarget } from './admin-target.ts';

export interface Readiness {
  readonly ready: boolean;
  /** Why not, in a few words; `ready` when it is. */
  readonly reason: string;
}

/**
 * Ready while the config is loaded (a server exists only with one), every listener of the running
 * config is bound (a reload whose rebind failed can leave one unbound), and Junction is not shutting down.
 */
export async function readiness(target: AdminTarget): Promise<Readiness> {
  if ((await target.status()).closing) return { ready: false, reason: 'shutting down' };
  const bound = new Set(target.listeners.map((l) => l.name));
  const unbound = target.config.listeners.filter((l) => !bound.has(l.name)).map((l) => l.name);
  if (unbound.length > 0) {
    return { ready: false, reason: `listener not bound: ${unbound.join(', ')}` };
  }
  return { ready: true, reason: 'ready' };
}

/** The paths answered without a token. */
export const HEALTH_PATHS: ReadonlySet<string> = new Set(['/healthz', '/ready']);
