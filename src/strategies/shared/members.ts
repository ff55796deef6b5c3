/** Small helpers every strategy shares: who may be picked, and what weight counts. */
import type { Upstream } from '../types.ts';

/** Whether `upstream` may be returned: up, and not already tried in this transaction. */
export function usable(upstream: Upstream, exclude: ReadonlySet<Upstream> | undefined): boolean {
  return upstream.isUp && exclude?.has(upstream) !== true;
}

/**
 * The weight a strategy uses. Config guarantees a whole number from 1 to 1000; a third-party
 * Router might pass anything, and select() must never throw or divide by zero, so anything not
 * positive and finite counts as 1.
 */
export function weightOf(upstream: Upstream): number {
  const w = upstream.weight;
  return w > 0 && Number.isFinite(w) ? w : 1;
}

/** Compares ids for tie-breaks that must not depend on config order (instances must agree). */
export function compareIds(a: Upstream, b: Upstream): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
