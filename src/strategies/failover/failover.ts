import type { SelectionInput, Strategy, StrategyPlugin, Upstream } from '../types.ts';
import { checkOptionNames, describe, readEnum } from '../shared/options.ts';
import { usable } from '../shared/members.ts';

export interface FailoverOptions {
  /** Upstream ids by group, primary group first. */
  readonly groups: readonly (readonly string[])[];
  /** How to pick inside a group. Default `round-robin`. */
  readonly within: 'round-robin' | 'first';
}

const KIND = 'failover';

/**
 * Failover groups, as in Traffic Server's strategies.yaml: traffic stays in the first group that
 * has a usable (up, not yet tried) member; members listed in no group form a last group. Within a
 * group, round robin or the first usable in the order listed. A retry that has tried every member
 * of the primary group moves on to the secondary, so one transaction can fail over.
 *
 * Group ids that name no current member are ignored, so a group can list a backend that is
 * added later.
 */
class Failover implements Strategy {
  readonly #groupIds: readonly (readonly string[])[];
  readonly #roundRobin: boolean;
  #members: readonly Upstream[] = [];
  /** Member indices per group, empty groups dropped, the unlisted group last. */
  #groups: Int32Array[] = [];
  #cursors = new Int32Array(0);

  constructor(options: FailoverOptions, members: readonly Upstream[]) {
    this.#groupIds = options.groups;
    this.#roundRobin = options.within === 'round-robin';
    this.membersChanged(members);
  }

  select(_input: SelectionInput, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const members = this.#members;
    const groups = this.#groups;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g]!;
      const n = group.length;
      const start = this.#roundRobin ? this.#cursors[g]! : 0;
      for (let k = 0; k < n; k++) {
        const position = start + k < n ? start + k : start + k - n;
        const candidate = members[group[position]!]!;
        if (!usable(candidate, exclude)) continue;
        if (this.#roundRobin) this.#cursors[g] = position + 1 < n ? position + 1 : 0;
        return candidate;
      }
    }
    return undefined;
  }

  membersChanged(members: readonly Upstream[]): void {
    const byId = new Map<string, number>();
    members.forEach((m, i) => byId.set(m.id, i));
    const listed = new Set<number>();
    const groups: Int32Array[] = [];
    for (const ids of this.#groupIds) {
      const indices = ids.map((id) => byId.get(id)).filter((i) => i !== undefined);
      for (const i of indices) listed.add(i);
      if (indices.length > 0) groups.push(Int32Array.from(indices));
    }
    const rest = members.map((_, i) => i).filter((i) => !listed.has(i));
    if (rest.length > 0) groups.push(Int32Array.from(rest));
    this.#members = members;
    this.#groups = groups;
    this.#cursors = new Int32Array(groups.length);
  }
}

export const failover: StrategyPlugin<FailoverOptions> = {
  kind: KIND,
  parseOptions(raw) {
    checkOptionNames(KIND, raw, ['groups', 'within']);
    const value = raw['groups'];
    if (!Array.isArray(value) || value.length === 0) {
      throw new Error(
        `${KIND}: option 'groups' is required: a list of lists of backend ids, primary first (got ${describe(value)})`,
      );
    }
    const seen = new Set<string>();
    const groups = value.map((group: unknown, g) => {
      if (!Array.isArray(group) || group.length === 0) {
        throw new Error(
          `${KIND}: groups[${g}] must be a non-empty list of backend ids, got ${describe(group)}`,
        );
      }
      return group.map((id: unknown, k) => {
        if (typeof id !== 'string' || id.length === 0) {
          throw new Error(`${KIND}: groups[${g}][${k}] must be a backend id (a string), got ${describe(id)}`);
        }
        if (seen.has(id))
          throw new Error(`${KIND}: backend '${id}' is listed in more than one place in 'groups'`);
        seen.add(id);
        return id;
      });
    });
    return { groups, within: readEnum(KIND, raw, 'within', ['round-robin', 'first'], 'round-robin') };
  },
  create(options, members) {
    return new Failover(options, members);
  },
};
