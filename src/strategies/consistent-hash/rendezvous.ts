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

const TWO_TO_MINUS_32 = 1 / 4294967296;

export class Rendezvous implements HashPicker {
  #members: readonly Upstream[] = [];
  #memberHash = new Uint32Array(0);
  #inverseWeights = new Float64Array(0);
  #uniform = true;
  readonly #seed: number;

  constructor(seed: number) {
    this.#seed = seed;
  }

  rebuild(members: readonly Upstream[]): void {
    this.#members = members;
    this.#memberHash = Uint32Array.from(members, (m) => hashString(m.id, this.#seed));
    const weights = members.map(weightOf);
    this.#inverseWeights = Float64Array.from(weights, (w) => 1 / w);
    this.#uniform = weights.every((w) => w === weights[0]);
  }

  pick(keyHash: number, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    return this.#uniform ? this.#pickUniform(keyHash, exclude) : this.#pickWeighted(keyHash, exclude);
  }

  /** Equal weights: the highest raw hash wins (the same order as the weighted score). */
  #pickUniform(keyHash: number, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const members = this.#members;
    const memberHash = this.#memberHash;
    let best: Upstream | undefined;
    let bestScore = -1;
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!;
      if (!usable(member, exclude)) continue;
      const score = combine32(keyHash, memberHash[i]!);
      // Ties (a 2^-32 event) go to the lower id, not to config order: instances must agree.
      if (score > bestScore || (score === bestScore && best !== undefined && member.id < best.id)) {
        best = member;
        bestScore = score;
      }
    }
    return best;
  }

  /** Maximising −w / ln(u) is minimising −ln(u) / w: no division, 1 / w is precomputed. */
  #pickWeighted(keyHash: number, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const members = this.#members;
    const memberHash = this.#memberHash;
    const inverse = this.#inverseWeights;
    let best: Upstream | undefined;
    let bestCost = Infinity;
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!;
      if (!usable(member, exclude)) continue;
      const u = (combine32(keyHash, memberHash[i]!) + 0.5) * TWO_TO_MINUS_32;
      // −ln(u) ≥ 1 − u, so a member whose lower bound already loses needs no logarithm. Exact:
      // it skips only members that cannot win or tie, and most members are skipped.
      if ((1 - u) * inverse[i]! > bestCost) continue;
      const cost = -Math.log(u) * inverse[i]!;
      if (cost < bestCost || (cost === bestCost && best !== undefined && member.id < best.id)) {
        best = member;
        bestCost = cost;
      }
    }
    return best;
  }
}
