import type { SelectionInput, Strategy, StrategyEnv, StrategyPlugin, Upstream } from '../types.ts';
import { checkOptionNames, readBoolean } from '../shared/options.ts';
import { usable, weightOf } from '../shared/members.ts';

export interface RandomOptions {
  /** Pick in proportion to weight (true, the default) or uniformly. */
  readonly weighted: boolean;
}

/** Random draws before giving up on luck and scanning for the usable upstreams. */
const DRAWS = 4;

/**
 * Random choice, uniform or in proportion to weight. The common case (the draw is usable) costs
 * one env.random() and a binary search over precomputed cumulative weights. When the draw is down
 * or excluded it draws again a few times, then falls back to an exact draw among the usable ones
 * only (two linear passes), so a retry never lands on an upstream already tried and the odds among
 * the remaining upstreams stay proportional.
 */
class RandomStrategy implements Strategy {
  #members: readonly Upstream[] = [];
  /** cumulative[i] = sum of weights of members[0..i]. */
  #cumulative = new Float64Array(0);
  readonly #weighted: boolean;
  readonly #env: StrategyEnv;

  constructor(options: RandomOptions, members: readonly Upstream[], env: StrategyEnv) {
    this.#weighted = options.weighted;
    this.#env = env;
    this.membersChanged(members);
  }

  select(_input: SelectionInput, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const members = this.#members;
    const n = members.length;
    if (n === 0) return undefined;
    const cumulative = this.#cumulative;
    const total = cumulative[n - 1]!;
    for (let draw = 0; draw < DRAWS; draw++) {
      const candidate = members[this.#indexAt(this.#env.random() * total)]!;
      if (usable(candidate, exclude)) return candidate;
    }
    let usableTotal = 0;
    for (let i = 0; i < n; i++) if (usable(members[i]!, exclude)) usableTotal += this.#weightAt(i);
    if (usableTotal === 0) return undefined;
    let target = this.#env.random() * usableTotal;
    let last: Upstream | undefined;
    for (let i = 0; i < n; i++) {
      const candidate = members[i]!;
      if (!usable(candidate, exclude)) continue;
      last = candidate;
      target -= this.#weightAt(i);
      if (target < 0) return candidate;
    }
    return last; // rounding left target at ~0: the last usable one
  }

  membersChanged(members: readonly Upstream[]): void {
    this.#members = members;
    const cumulative = new Float64Array(members.length);
    let sum = 0;
    for (let i = 0; i < members.length; i++) {
      sum += this.#weighted ? weightOf(members[i]!) : 1;
      cumulative[i] = sum;
    }
    this.#cumulative = cumulative;
  }

  #weightAt(i: number): number {
    return i === 0 ? this.#cumulative[0]! : this.#cumulative[i]! - this.#cumulative[i - 1]!;
  }

  /** The first index whose cumulative weight exceeds `point` (point in [0, total)). */
  #indexAt(point: number): number {
    const cumulative = this.#cumulative;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cumulative[mid]! > point) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}

export const random: StrategyPlugin<RandomOptions> = {
  kind: 'random',
  parseOptions(raw) {
    checkOptionNames('random', raw, ['weighted']);
    return { weighted: readBoolean('random', raw, 'weighted', true) };
  },
  create(options, members, env) {
    return new RandomStrategy(options, members, env);
  },
};
