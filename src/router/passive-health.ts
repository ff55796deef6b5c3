import type { PassiveHealthConfig } from '../config/types.ts';
import type { Outcome } from '../strategies/index.ts';
import type { UpstreamState } from './upstream-state.ts';

/**
 * Passive health: outcomes the Router already sees decide whether an upstream stays in rotation
 * (Sōzu ejects after repeated connect failures; Envoy's outlier detection). After `failuresToEject`
 * consecutive failures an upstream is ejected for a backoff that doubles while it keeps failing, up to
 * `maxEjectionMs`; when the backoff ends it gets one trial: a success clears it, a failure ejects it again.
 */
export type PassiveHealthSettings = PassiveHealthConfig;

/** Error codes that say something about the upstream. A client that left, or a 4xx, says nothing. */
const UPSTREAM_FAILURES: ReadonlySet<string> = new Set([
  'JCT_ERR_CONNECT_TIMEOUT',
  'JCT_ERR_CONNECT_REFUSED',
  'JCT_ERR_CONNECT_UNREACHABLE',
  'JCT_ERR_CONNECT_UNRESOLVABLE',
  'JCT_ERR_CONNECT_FAILED',
  'JCT_ERR_UPSTREAM_RESET',
  'JCT_ERR_UPSTREAM_TIMEOUT',
  'JCT_ERR_HTTP_BAD_RESPONSE',
]);

export type HealthEvent = 'ejected' | 'restored' | undefined;

/** Applies one outcome to an upstream's health. Returns what changed, for logs. */
export function recordOutcome(
  upstream: UpstreamState,
  outcome: Outcome,
  now: number,
  settings: PassiveHealthSettings,
): HealthEvent {
  upstream.requests++;
  const code = outcome.errorCode;
  if (code === undefined) {
    upstream.consecutiveFailures = 0;
    if (upstream.onTrial) {
      upstream.onTrial = false;
      upstream.ejections = 0;
      return 'restored';
    }
    return undefined;
  }
  if (!UPSTREAM_FAILURES.has(code)) return undefined;
  upstream.failures++;
  upstream.consecutiveFailures++;
  if (!upstream.isUp) return undefined;
  if (
    upstream.onTrial ||
    (settings.consecutiveFailures > 0 && upstream.consecutiveFailures >= settings.consecutiveFailures)
  ) {
    const backoff = Math.min(settings.ejectionMs * 2 ** upstream.ejections, settings.maxEjectionMs);
    upstream.ejections++;
    upstream.isUp = false;
    upstream.onTrial = false;
    upstream.ejectedUntil = now + backoff;
    return 'ejected';
  }
  return undefined;
}

/** Puts upstreams whose ejection is over back in rotation, on trial. Returns how many. */
export function readmitExpired(upstreams: readonly UpstreamState[], now: number): number {
  let readmitted = 0;
  for (const upstream of upstreams) {
    if (upstream.isUp || upstream.ejectedUntil > now) continue;
    upstream.isUp = true;
    upstream.onTrial = true;
    readmitted++;
  }
  return readmitted;
}
