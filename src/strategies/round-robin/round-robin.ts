import type { Strategy, StrategyPlugin, Upstream, SelectionInput } from '../types.ts';

/**
 * Round robin: each upstream in turn, skipping those that are down or already tried.
 * When to use: equal backends and short, uniform requests. Weights are ignored.
 */
class RoundRobin implements Strategy {
  #members: readonly Upstream[];
  #next = 0;

  constructor(members: readonly Upstream[]) {
    this.#members = members;
  }

  select(_input: SelectionInput, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const members = this.#members;
    const n = members.length;
    for (let i = 0; i < n; i++) {
      const index = (this.#next + i) % n;
      const candidate = members[index]!;
      if (!candidate.isUp || exclude?.has(candidate) === true) continue;
      this.#next = (index + 1) % n;
      return candidate;
    }
    return undefined;
  }

  membersChanged(members: readonly Upstream[]): void {
    this.#members = members;
    this.#next = members.length === 0 ? 0 : this.#next % members.length;
  }
}

export const roundRobin: StrategyPlugin<Record<string, never>> = {
  kind: 'round-robin',
  parseOptions(raw) {
    const keys = Object.keys(raw);
    if (keys.length > 0) throw new Error(`round-robin takes no options (got '${keys[0]!}')`);
    return {};
  },
  create(_options, members) {
    return new RoundRobin(members);
  },
};
