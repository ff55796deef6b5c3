import type { AttemptVerdict } from './passive-health.ts';
import type { UpstreamState } from './upstream-state.ts';

/**
 * One request's evidence against the upstreams it tried, across its attempts: what passive health is
 * charged with, and when.
 *
 * - A request charges a backend at most one failure, however many of its attempts failed there (a
 *   request retried three times on a one-backend cluster is one failure, not three).
 * - A failure the backend shows before it has seen the request (refused or timed-out connect, failed
 *   TLS handshake) or an invalid response is charged at once: no request excuses it.
 * - A reset or a timeout after the request went out may be the request's doing (a crash on one bad
 *   input, a worker killed by it), so it is held until the request ends. If the request is answered
 *   in the end, or fails some other way, the held backends are charged. If every attempt that
 *   reached a backend failed the same way (all resets, or all timeouts) and on two or more backends,
 *   the request is the likely poison and none of them is charged. A request that only ever reached
 *   one backend cannot tell the two apart and charges it once.
 *
 * A truly broken backend is still found: the requests that fail on it and succeed on another charge it,
 * and nothing resets its run of failures but a success of its own.
 */
export class RequestHealth {
  /** Upstreams this request has charged a failure. */
  #charged: UpstreamState[] | undefined;
  /** Upstreams whose reset or timeout waits for the request's end, and the failure they share. */
  #held: UpstreamState[] | undefined;
  #heldCode: string | undefined;
  /** Every attempt so far that reached a backend ended in a held failure with the same code. */
  #sameWay = true;

  /** Whether a failure of `upstream` may be charged now: true once per upstream per request. */
  charge(upstream: UpstreamState): boolean {
    const charged = (this.#charged ??= []);
    if (charged.includes(upstream)) return false;
    charged.push(upstream);
    return true;
  }

  /**
   * One finished attempt, of any kind: a suspect one (reset, timeout) is held for the request's end.
   * One that never reached its backend, or that the client left, says nothing about the request.
   */
  attempt(upstream: UpstreamState, verdict: AttemptVerdict, errorCode: string | undefined): void {
    if (verdict === 'unreached' || verdict === 'neutral') return;
    if (verdict !== 'suspect') {
      this.#sameWay = false;
      return;
    }
    if (this.#heldCode !== undefined && this.#heldCode !== errorCode) this.#sameWay = false;
    this.#heldCode = errorCode;
    const held = (this.#held ??= []);
    if (!held.includes(upstream)) held.push(upstream);
  }

  /**
   * The request is over (after its last attempt, if any, went through attempt()). Returns the held
   * upstreams to charge now, each once, and empties the hold; `forgiven` says how many were not
   * charged because the request looks like the poison.
   */
  settle(): { readonly charge: readonly UpstreamState[]; readonly forgiven: number } {
    const held = this.#held;
    this.#held = undefined;
    if (held === undefined) return NOTHING;
    if (this.#sameWay && held.length >= 2) return { charge: [], forgiven: held.length };
    return { charge: held.filter((u) => this.charge(u)), forgiven: 0 };
  }
}

const NOTHING = { charge: [], forgiven: 0 } as const;
