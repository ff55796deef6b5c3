import type { SelectionInput, Strategy, StrategyPlugin, Upstream } from '../types.ts';
import { checkOptionNames } from '../shared/options.ts';
import { usable } from '../shared/members.ts';

/**
 * First available: the first member, in config order, that is up and not yet tried. All traffic
 * goes to one backend while it is healthy; the next takes over when it goes down, and a retry
 * walks down the list. Weights are ignored.
 */
class FirstAvailable implements Strategy {
  #members: readonly Upstream[];

  constructor(members: readonly Upstream[]) {
    this.#members = members;
  }

  select(_input: SelectionInput, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    for (const candidate of this.#members) if (usable(candidate, exclude)) return candidate;
    return undefined;
  }

  membersChanged(members: readonly Upstream[]): void {
    this.#members = members;
  }
}

export const firstAvailable: StrategyPlugin<Record<string, never>> = {
  kind: 'first-available',
  parseOptions(raw) {
    checkOptionNames('first-available', raw, []);
    return {};
  },
  create(_options, members) {
    return new FirstAvailable(members);
  },
};
