import type { PassiveHealthConfig } from '../config/types.ts';
import type { Outcome } from '../strategies/index.ts';
import type { UpstreamState } from './upstream-state.ts';

/**
 * Passive health: outcomes the Router already sees decide whether an upstream stays in rotation
 * (Sōzu ejects after repeated connect failures; Envoy's outlier detection). Two rules eject: a run of
 * `consecutiveFailures` failures, and (when `failureRate` is above 0) a failure share of at least
 * `failureRate` among the last `windowMs` of outcomes once that window holds `minRequests` of them
 * (Envoy's "failure percentage"). An ejection lasts a backoff that doubles while the upstream keeps
 * failing, up to `maxEjectionMs`; when it ends the upstream gets one trial: a success clears it, a
 * failure ejects it again. Active checks judge separately (active-health.ts); see UpstreamState.
 */
export type PassiveHealthSettings = PassiveHealthConfig;

/** Error codes that say something about the upstream. A client that left, or a 4xx, says nothing. */
const UPSTREAM_FAILURES: ReadonlySet<string> = new Set([
  'JCT_ERR_CONNECT_TIMEOUT',
  'JCT_ERR_CONNECT_REFUSED',
  'JCT_ERR_CONNECT_UNREACHABLE',
  'JCT_ERR_CONNECT_UNRESOLVABLE',
  'JCT_ERR_CONNECT_FAILED',
  'JCT_ERR_TLS_HANDSHAKE',
  'JCT_ERR_UPSTREAM_RESET',
  'JCT_ERR_UPSTREAM_TIMEOUT',
  'JCT_ERR_HTTP_BAD_RESPONSE',
]);

export type HealthEvent = 'ejected' | 'restored' | undefined;

/** How many slices the failure-rate window is cut into: the window slides one slice at a time. */
const WINDOW_BUCKETS = 10;

/**
 * Outcome counts over a sliding window, kept in a ring of fixed time slices so recording one costs two
 * increments and no allocation. Old slices are zeroed lazily, when time has moved past them. The window
 * covers the current, partly filled slice and the nine before it: between 90 % and 100 % of `windowMs`.
 */
export class FailureWindow {
  readonly windowMs: number;
  readonly #sliceMs: number;
  readonly #requests = new Uint32Array(WINDOW_BUCKETS);
  readonly #failures = new Uint32Array(WINDOW_BUCKETS);
  /** The number of the newest slice (time / sliceMs), or -1 while empty. */
  #newest = -1;
  /** Totals over the slices in the ring. */
  requests = 0;
  failures = 0;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
    this.#sliceMs = windowMs / WINDOW_BUCKETS;
  }

  record(now: number, failed: boolean): void {
    this.advance(now);
    const i = this.#newest % WINDOW_BUCKETS;
    this.#requests[i]!++;
    this.requests++;
    if (failed) {
      this.#failures[i]!++;
      this.failures++;
    }
  }

  /** Drops the slices that have slid out of the window by `now`. */
  advance(now: number): void {
    const slice = Math.floor(now / this.#sliceMs);
    const steps = slice - this.#newest;
    if (steps === 0) return;
    // A clock that went backwards cannot happen with a monotonic clock; starting over is the safe answer.
    if (this.#newest < 0 || steps >= WINDOW_BUCKETS || steps < 0) {
      this.clear();
    } else {
      for (let k = 1; k <= steps; k++) {
        const i = (this.#newest + k) % WINDOW_BUCKETS;
        this.requests -= this.#requests[i]!;
        this.failures -= this.#failures[i]!;
        this.#requests[i] = 0;
        this.#failures[i] = 0;
      }
    }
    this.#newest = slice;
  }

  clear(): void {
    this.#requests.fill(0);
    this.#failures.fill(0);
    this.requests = 0;
    this.failures = 0;
  }
}

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
    if (upstream.passiveDown) return undefined;
    if (settings.failureRate > 0) failureWindow(upstream, settings).record(now, false);
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
  // Outcomes of requests that were under way when it was ejected say nothing new.
  if (upstream.passiveDown) return undefined;
  const reason = ejectionReason(upstream, now, settings);
  if (reason === undefined) return undefined;
  eject(upstream, now, settings, reason);
  return 'ejected';
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
  if (
    window !== undefined &&
    window.requests >= settings.minRequests &&
    window.failures >= settings.failureRate * window.requests
  ) {
    return `${window.failures} of its last ${window.requests} requests failed`;
  }
  return undefined;
}

function eject(upstream: UpstreamState, now: number, settings: PassiveHealthSettings, reason: string): void {
  const backoff = Math.min(settings.ejectionMs * 2 ** upstream.ejections, settings.maxEjectionMs);
  upstream.ejections++;
  upstream.passiveDown = true;
  upstream.onTrial = false;
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
    readmitted++;
  }
  return readmitted;
}
