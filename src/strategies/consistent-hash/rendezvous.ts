/**
 * Rendezvous (highest random weight) hashing, weighted as in CARP / Traffic Server's parent
 * selection: every member scores the key, the highest usable score wins. Removing a member moves
 * exactly the keys it owned; a retry takes the next-highest score, the same on every instance.
 *
 * Weighted score (Schindelhauer & Schomaker's logarithmic method): −w / ln(u), u ∈ (0, 1) the
 * key×member hash. P(member wins) = w / Σw exactly. With all weights equal the raw hash is compared
 * instead (same order, no logarithm). Math.log is a software routine in V8 (fdlibm port), so the
 * scores agree across platforms.
 *
 * Cost: O(members) per pick, but no table; the cheapest to rebuild and the most stable.
 */
import type { Upstream } from '../types.ts';
import { combine32, hashString } from '../shared/hash.ts';
import { usable, weightOf } from '../shared/members.ts';
import type { HashPicker } from './picker.ts';

export class Rendezvous implements HashPicker {
  #members: readonly Upstream[] = [];
  #memberHash = new Uint32Array(0);
  #weights = new Float64Array(0);
  #uniform = true;
  readonly #seed: number;

  constructor(seed: number) {
    this.#seed = seed;
  }

  rebuild(members: readonly Upstream[]): void {
    this.#members = members;
    this.#memberHash = Uint32Array.from(members, (m) => hashString(m.id, this.#seed));
    this.#weights = Float64Array.from(members, weightOf);
    this.#uniform = this.#weights.every((w) => w === this.#weights[0]);
  }

  pick(keyHash: number, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const members = this.#members;
    let best: Upstream | undefined;
    let bestScore = -Infinity;
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!;
      if (!usable(member, exclude)) continue;
      const h = combine32(keyHash, this.#memberHash[i]!);
      const score = this.#uniform ? h : -this.#weights[i]! / Math.log((h + 0.5) / 4294967296);
      // Ties (a 2^-32 event) go to the lower id, not to config order: instances must agree.
      if (score > bestScore || (score === bestScore && best !== undefined && member.id < best.id)) {
        best = member;
        bestScore = score;
      }
    }
    return best;
  }
}
