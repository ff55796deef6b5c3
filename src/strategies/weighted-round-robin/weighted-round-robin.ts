import type { SelectionInput, Strategy, StrategyPlugin, Upstream } from '../types.ts';
import { checkOptionNames } from '../shared/options.ts';
import { usable, weightOf } from '../shared/members.ts';

/**
 * Smooth weighted round robin, nginx's algorithm: every pick, each usable upstream's `current`
 * grows by its weight; the largest wins and pays back the round's total. Over any window of
 * `sum(weights)` picks each upstream gets exactly its weight's share, and picks of a heavy
 * upstream are spread out (weights 5:1:1 give a a b a c a a, not a a a a a b c).
 *
 * Down or excluded upstreams sit the round out, as in nginx: they neither gain nor pay, so the
 * others keep their proportions among themselves.
 */
class WeightedRoundRobin implements Strategy {
  #members: readonly Upstream[] = [];
  #weights = new Float64Array(0);
  #current = new Float64Array(0);

  constructor(members: readonly Upstream[]) {
    this.membersChanged(members);
  }

  select(_input: SelectionInput, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const members = this.#members;
    const weights = this.#weights;
    const current = this.#current;
    let best = -1;
    let total = 0;
    for (let i = 0; i < members.length; i++) {
      if (!usable(members[i]!, exclude)) continue;
      const w = weights[i]!;
      current[i] = current[i]! + w;
      total += w;
      if (best === -1 || current[i]! > current[best]!) best = i;
    }
    if (best === -1) return undefined;
    current[best] = current[best]! - total;
    return members[best];
  }

  /** Starts every upstream at zero: the sequence restarts, which at most shifts one round. */
  membersChanged(members: readonly Upstream[]): void {
    this.#members = members;
    this.#weights = Float64Array.from(members, weightOf);
    this.#current = new Float64Array(members.length);
  }
}

export const weightedRoundRobin: StrategyPlugin<Record<string, never>> = {
  kind: 'weighted-round-robin',
  parseOptions(raw) {
    checkOptionNames('weighted-round-robin', raw, []);
    return {};
  },
  create(_options, members) {
    return new WeightedRoundRobin(members);
  },
};
