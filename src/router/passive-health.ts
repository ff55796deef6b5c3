import type { PassiveHealthConfig } from '../config/types.ts';
import { upstreamBlame } from '../errors/index.ts';
import { FailureWindow } from './failure-window.ts';
import type { UpstreamState } from './upstream-state.ts';

export { FailureWindow } from './failure-window.ts';

/**
 * Passive health: outcomes the Router already sees decide whether an upstream stays in rotation
 * (Sōzu ejects after repeated connect failures; Envoy's outlier detection). Two rules eject: a run of
 * `consecutiveFailures` failures, and (when `failureRate` is above 0) a failure share of at least
 * `failureRate` among the last `windowMs` of outcomes once that window holds `minRequests` of them
 * (Envoy's "failure percentage"). An ejection lasts a backoff that doubles while the upstream keeps
 * failing, up to `maxEjectionMs`; when it ends the upstream gets one trial: a success clears it, a
 * failure ejects it again. Active checks judge separately (active-health.ts); see UpstreamState.
 *
 * Ejection is capped (Envoy's max_ejection_percent): at most `maxEjectionRatio` of the cluster's
 * backends are ejected at once (at least one may be), and never the last one that is healthy, so a
 * failure that is not the backends' (one bad request, see request-health.ts) cannot empty a cluster.
 * What a request charges to which upstream, and when, is request-health.ts's concern.
 */
export type PassiveHealthSettings = PassiveHealthConfig;

/** How one attempt's outcome bears on its upstream's health. */
export type AttemptVerdict =
  /** It answered: a response head came (whatever its status). */
  | 'success'
  /** It failed before it saw the request (connect, TLS handshake): the backend's own failure. */
  | 'unreached'
  /** It answered with an invalid response: the backend's own failure, whatever the request. */
  | 'failure'
  /** Reset or timed out after the request went out: the backend's fault, or the request's. */
  | 'suspect'
  /** Says nothing about the upstream: the client left, a limit of the proxy itself. */
  | 'neutral';

/**
 * How an attempt that ended with `errorCode` (undefined: a response head came) bears on its upstream.
 * Whom a code blames is a property of the code (errors/codes.ts), not a list kept here.
 */
export function attemptVerdict(errorCode: string | undefined): AttemptVerdict {
  if (errorCode === undefined) return 'success';
  return upstreamBlame(errorCode) ?? 'neutral';
}

/** Counts one finished attempt in the upstream's statistics (which judge nothing). */
export function countAttempt(upstream: UpstreamState, verdict: AttemptVerdict): void {
  upstream.requests++;
  if (verdict !== 'success' && verdict !== 'neutral') upstream.failures++;
}

/**
 * What a charge changed, for logs: ejected; restored after its trial; or `spared`: an ejection was due
 * but the cap refused it (reported once until it succeeds again or is ejected).
 */
export type HealthEvent = 'ejected' | 'restored' | 'spared' | undefined;

/** A success charged to the upstream (see request-health.ts for when). Returns what changed. */
export function recordSuccess(
  upstream: UpstreamState,
  now: number,
  settings: PassiveHealthSettings,
): HealthEvent {
  upstream.consecutiveFailures = 0;
  // Answers from requests sent before it was ejected do not end an ejection: its trial does.
  if (upstream.passiveDown) return undefined;
  const window = settings.failureRate > 0 ? failureWindow(upstream, settings) : undefined;
  window?.record(now, false);
  if (upstream.spared !== '' && (window === undefined || !rateReached(window, settings)))
    upstream.spared = '';
  if (upstream.onTrial) {
    upstream.onTrial = false;
    upstream.ejections = 0;
    return 'restored';
  }
  return undefined;
}

/**
 * A failure charged to the upstream. `peers` are the upstreams of its cluster, for the ejection cap.
 * Returns what changed.
 */
export function recordFailure(
  upstream: UpstreamState,
  now: number,
  settings: PassiveHealthSettings,
  peers: readonly UpstreamState[],
): HealthEvent {
  upstream.consecutiveFailures++;
  // Outcomes of requests that were under way when it was ejected say nothing new.
  if (upstream.passiveDown) return undefined;
  const reason = ejectionReason(upstream, now, settings);
  if (reason === undefined) return undefined;
  const capped = ejectionCapped(upstream, peers, settings.maxEjectionRatio);
  if (capped !== undefined) {
    // It stays; on trial it stays on trial, one request at a time, until one succeeds.
    if (upstream.spared !== '') return undefined;
    upstream.spared = `${reason}, but ${capped}`;
    return 'spared';
  }
  eject(upstream, now, settings, reason);
  return 'ejected';
}

/**
 * Why the cap forbids ejecting `upstream` now, or undefined if it may go. Backends being drained are
 * not counted. At least one backend may be ejected whatever the share, but never the last healthy one,
 * unless the share is 100 % (no cap); a share of 0 ejects nothing.
 */
export function ejectionCapped(
  upstream: UpstreamState,
  peers: readonly UpstreamState[],
  ratio: number,
): string | undefined {
  if (ratio >= 1) return undefined;
  if (ratio <= 0) return 'max_ejection_percent is 0%';
  let members = 0;
  let ejected = 0;
  let othersHealthy = 0;
  for (const peer of peers) {
    if (peer.draining) continue;
    members++;
    if (peer.passiveDown) ejected++;
    else if (peer !== upstream && peer.healthy) othersHealthy++;
  }
  if (othersHealthy === 0) return 'it is the last healthy backend of its cluster';
  // The epsilon keeps 10 × 0.3 from flooring to 2.
  const cap = Math.max(1, Math.floor(members * ratio + 1e-9));
  if (ejected >= cap) {
    return `${ejected} of ${members} backends are ejected already (max_ejection_percent ${Math.round(ratio * 100)}%)`;
  }
  return undefined;
}

/** Why this failure ejects the upstream, or undefined if it stays. Records the failure in the window. */
function ejectionReason(
  upstream: UpstreamState,
  now: number,
  settings: PassiveHealthSettings,
): string | undefined {
  if (upstream.onTrial) return 'its trial request failed';
  const window = settings.failureRate > 0 ? failureWindow(upstream, settings) : undefined;
  window?.record(now, true);
  const inARow = upstream.consecutiveFailures;
  if (settings.consecutiveFailures > 0 && inARow >= settings.consecutiveFailures) {
    return `${inARow} consecutive failures`;
  }
  if (window !== undefined && rateReached(window, settings)) {
    return `${window.failures} of its last ${window.requests} requests failed`;
  }
  return undefined;
}

function rateReached(window: FailureWindow, settings: PassiveHealthSettings): boolean {
  return window.requests >= settings.minRequests && window.failures >= settings.failureRate * window.requests;
}

function eject(upstream: UpstreamState, now: number, settings: PassiveHealthSettings, reason: string): void {
  const backoff = Math.min(settings.ejectionMs * 2 ** upstream.ejections, settings.maxEjectionMs);
  upstream.ejections++;
  upstream.ejectionsTotal++;
  upstream.passiveDown = true;
  upstream.onTrial = false;
  upstream.spared = '';
  upstream.ejectedUntil = now + backoff;
  upstream.ejectionReason = reason;
  // A readmitted upstream is judged on what it does from then on, not on what got it ejected.
  upstream.failureWindow?.clear();
}

/** The upstream's failure window, made (or remade, when the window length changed) on demand. */
function failureWindow(upstream: UpstreamState, settings: PassiveHealthSettings): FailureWindow {
  const window = upstream.failureWindow;
  if (window?.windowMs === settings.windowMs) return window;
  return (upstream.failureWindow = new FailureWindow(settings.windowMs));
}

/** Puts upstreams whose ejection is over back in rotation, on trial. Returns how many. */
export function readmitExpired(upstreams: readonly UpstreamState[], now: number): number {
  let readmitted = 0;
  for (const upstream of upstreams) {
    if (!upstream.passiveDown || upstream.ejectedUntil > now) continue;
    upstream.passiveDown = false;
    upstream.onTrial = true;
    upstream.trialHeld = false;
    readmitted++;
  }
  return readmitted;
}
