/**
 * Maglev hashing (Eisenbud et al., NSDI 2016): a lookup table of prime size M in which every
 * member fills slots in the order of its own permutation (offset + k × skip mod M), members
 * taking turns, until the table is full. A pick is one modulo and one table read; removing one of
 * N members moves about 1/N of keys plus a little extra churn (the paper's trade for speed and
 * evenness).
 *
 * Weighted via turns: each round every member earns weight / max weight credit and claims one slot
 * per whole credit, so slot counts are proportional to weight.
 *
 * Members take turns in id order, not config order, and permutations come from the seeded id
 * hash: two instances with the same members in a different order build the same table.
 *
 * Retries: a down or excluded member's slot is skipped for the next slot, so a retry of the same
 * key lands on the same second choice everywhere.
 */
import type { Upstream } from '../types.ts';
import { hashString, nextPrime } from '../shared/hash.ts';
import { compareIds, usable, weightOf } from '../shared/members.ts';
import { WALK_BEFORE_CHECK, type HashPicker } from './picker.ts';

/** The paper's guidance: M ≫ N keeps per-member share within ~1 % of ideal. */
export const MAGLEV_SLOTS_PER_MEMBER = 100;

export class Maglev implements HashPicker {
  #members: readonly Upstream[] = [];
  /** table[slot] = index into #members. */
  #table = new Int32Array(0);
  /** Members in id order, for the deterministic last-resort scan. */
  #byId: readonly Upstream[] = [];
  readonly #minSize: number;
  readonly #seed: number;

  constructor(tableSize: number, seed: number) {
    this.#minSize = tableSize;
    this.#seed = seed;
  }

  get tableSize(): number {
    return this.#table.length;
  }

  rebuild(members: readonly Upstream[]): void {
    this.#members = members;
    const n = members.length;
    this.#byId = [...members].sort(compareIds);
    if (n === 0) {
      this.#table = new Int32Array(0);
      return;
    }
    const size = Math.max(this.#minSize, nextPrime(MAGLEV_SLOTS_PER_MEMBER * n));
    const order = members.map((_, i) => i).sort((a, b) => compareIds(members[a]!, members[b]!));
    const position = new Int32Array(n);
    const skip = new Int32Array(n);
    const share = new Float64Array(n);
    const credit = new Float64Array(n);
    let maxWeight = 0;
    for (const m of members) maxWeight = Math.max(maxWeight, weightOf(m));
    for (let k = 0; k < n; k++) {
      const m = members[order[k]!]!;
      position[k] = hashString(m.id, this.#seed) % size;
      skip[k] = (hashString(m.id, this.#seed ^ 0x5bd1e995) % (size - 1)) + 1;
      share[k] = weightOf(m) / maxWeight;
    }
    // Additions instead of `%`: slot < size and skip < size, so one subtraction wraps.
    const table = new Int32Array(size).fill(-1);
    let filled = 0;
    while (filled < size) {
      for (let k = 0; k < n && filled < size; k++) {
        credit[k] = credit[k]! + share[k]!;
        if (credit[k]! < 1) continue;
        credit[k] = credit[k]! - 1;
        const step = skip[k]!;
        let slot = position[k]!;
        while (table[slot] !== -1) {
          slot += step;
          if (slot >= size) slot -= size;
        }
        table[slot] = order[k]!;
        slot += step;
        position[k] = slot >= size ? slot - size : slot;
        filled++;
      }
    }
    this.#table = table;
  }

  pick(keyHash: number, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const table = this.#table;
    const size = table.length;
    if (size === 0) return undefined;
    const members = this.#members;
    let slot = keyHash % size;
    for (let step = 0; step < size; step++) {
      const member = members[table[slot]!]!;
      if (usable(member, exclude)) return member;
      if (step === WALK_BEFORE_CHECK && !this.#anyUsable(exclude)) return undefined;
      slot = slot + 1 === size ? 0 : slot + 1;
    }
    // Only reachable when the usable members are so light that they own no slot at all.
    for (const member of this.#byId) if (usable(member, exclude)) return member;
    return undefined;
  }

  #anyUsable(exclude: ReadonlySet<Upstream> | undefined): boolean {
    for (const member of this.#members) if (usable(member, exclude)) return true;
    return false;
  }
}
