import type { SelectionInput, Strategy, StrategyEnv, StrategyPlugin, Upstream } from '../types.ts';
import { checkOptionNames, readEnum } from '../shared/options.ts';
import { usable, weightOf } from '../shared/members.ts';

export interface LeastConnectionsOptions {
  /** How to choose among upstreams with the same load. Default `round-robin`. */
  readonly ties: 'round-robin' | 'random';
}

/**
 * Weighted least connections: the usable upstream with the fewest requests in flight per unit of
 * weight (weight 2 carries twice the in-flight requests of weight 1 at the same score).
 *
 * Ties matter more than they seem: at low load every upstream has 0 in flight, and always taking
 * the first would send everything to one backend. So the scan starts where the last pick left off
 * (`round-robin`) or at a random member (`random`), and the first minimum from there wins.
 */
class LeastConnections implements Strategy {
  #members: readonly Upstream[] = [];
  #weights = new Float64Array(0);
  #next = 0;
  readonly #random: boolean;
  readonly #env: StrategyEnv;

  constructor(options: LeastConnectionsOptions, members: readonly Upstream[], env: StrategyEnv) {
    this.#random = options.ties === 'random';
    this.#env = env;
    this.membersChanged(members);
  }

  select(_input: SelectionInput, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const members = this.#members;
    const weights = this.#weights;
    const n = members.length;
    if (n === 0) return undefined;
    const start = this.#random ? Math.min(n - 1, Math.floor(this.#env.random() * n)) : this.#next;
    let best = -1;
    let bestLoad = 0;
    let bestWeight = 1;
    for (let i = 0; i < n; i++) {
      let index = start + i;
      if (index >= n) index -= n;
      const candidate = members[index]!;
      if (!usable(candidate, exclude)) continue;
      const load = candidate.inFlight;
      const weight = weights[index]!;
      // load/weight < bestLoad/bestWeight, without dividing.
      if (best === -1 || load * bestWeight < bestLoad * weight) {
        best = index;
        bestLoad = load;
        bestWeight = weight;
      }
    }
    if (best === -1) return undefined;
    this.#next = best + 1 >= n ? 0 : best + 1;
    return members[best];
  }

  membersChanged(members: readonly Upstream[]): void {
    this.#members = members;
    this.#weights = Float64Array.from(members, weightOf);
    this.#next = members.length === 0 ? 0 : this.#next % members.length;
  }
}

export const leastConnections: StrategyPlugin<LeastConnectionsOptions> = {
  kind: 'least-connections',
  parseOptions(raw) {
    checkOptionNames('least-connections', raw, ['ties']);
    return { ties: readEnum('least-connections', raw, 'ties', ['round-robin', 'random'], 'round-robin') };
  },
  create(options, members, env) {
    return new LeastConnections(options, members, env);
  },
};
