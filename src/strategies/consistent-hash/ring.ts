/**
 * A ketama-style hash ring: each member places `vnodes × weight` points on a 32-bit circle; a key
 * belongs to the first point at or after its hash. Removing a member moves only the keys of its
 * points; a retry walks on to the next point, so it too is the same on every instance.
 *
 * A member's points depend only on its id and its own weight (point k = hash(id) ⊕ k), never on the
 * others, so unlike classic ketama's weight normalisation a membership change moves no other
 * keys. The exception: past MAX_RING_POINTS all counts are scaled down together.
 */
import type { Upstream } from '../types.ts';
import { combine32, hashString } from '../shared/hash.ts';
import { compareIds, usable, weightOf } from '../shared/members.ts';
import { WALK_BEFORE_CHECK, type HashPicker } from './picker.ts';

/** Caps memory (8 bytes a point) and rebuild time for very large or heavy clusters. */
export const MAX_RING_POINTS = 1 << 20;
/** Room for member ranks in a packed sort key: 2^21 members, far beyond any real cluster. */
const RANK_SPACE = 2 ** 21;

export class Ring implements HashPicker {
  #members: readonly Upstream[] = [];
  #points = new Uint32Array(0);
  /** owners[p] = index into #members of the member that placed point p. */
  #owners = new Int32Array(0);
  readonly #vnodes: number;
  readonly #seed: number;

  constructor(vnodes: number, seed: number) {
    this.#vnodes = vnodes;
    this.#seed = seed;
  }

  get pointCount(): number {
    return this.#points.length;
  }

  rebuild(members: readonly Upstream[]): void {
    this.#members = members;
    let wanted = 0;
    for (const m of members) wanted += this.#vnodes * weightOf(m);
    const scale = wanted > MAX_RING_POINTS ? MAX_RING_POINTS / wanted : 1;
    // Each point as one float: hash × 2^21 + the owner's rank in id order (exact below 2^53).
    // A native numeric sort of these orders points by hash, ties by id, so config order never
    // matters, and is several times faster than sorting index arrays with a comparator.
    const byId = members.map((_, i) => i).sort((a, b) => compareIds(members[a]!, members[b]!));
    const counts = byId.map((i) => Math.max(1, Math.round(this.#vnodes * weightOf(members[i]!) * scale)));
    const keys = new Float64Array(counts.reduce((sum, c) => sum + c, 0));
    let p = 0;
    for (let rank = 0; rank < byId.length; rank++) {
      const base = hashString(members[byId[rank]!]!.id, this.#seed);
      for (let k = 0; k < counts[rank]!; k++) keys[p++] = combine32(base, k) * RANK_SPACE + rank;
    }
    keys.sort();
    const points = new Uint32Array(keys.length);
    const owners = new Int32Array(keys.length);
    for (let q = 0; q < keys.length; q++) {
      const key = keys[q]!;
      const rank = key % RANK_SPACE;
      points[q] = (key - rank) / RANK_SPACE;
      owners[q] = byId[rank]!;
    }
    this.#points = points;
    this.#owners = owners;
  }

  pick(keyHash: number, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const points = this.#points;
    const count = points.length;
    if (count === 0) return undefined;
    // First point ≥ keyHash; past the last point the circle wraps to 0.
    let low = 0;
    let high = count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (points[mid]! < keyHash) low = mid + 1;
      else high = mid;
    }
    let p = low === count ? 0 : low;
    const members = this.#members;
    for (let step = 0; step < count; step++) {
      const member = members[this.#owners[p]!]!;
      if (usable(member, exclude)) return member;
      if (step === WALK_BEFORE_CHECK && !this.#anyUsable(exclude)) return undefined;
      p = p + 1 === count ? 0 : p + 1;
    }
    return undefined;
  }

  #anyUsable(exclude: ReadonlySet<Upstream> | undefined): boolean {
    for (const member of this.#members) if (usable(member, exclude)) return true;
    return false;
  }
}
