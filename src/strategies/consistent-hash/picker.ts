import type { Upstream } from '../types.ts';

/** One consistent-hashing algorithm: a table rebuilt on membership changes, read per request. */
export interface HashPicker {
  /** Off the hot path: rebuild lookup tables for `members`. */
  rebuild(members: readonly Upstream[]): void;
  /**
   * The usable member for `keyHash` (uint32), walking deterministically past down or excluded
   * ones so that retries agree across instances; undefined when none is usable.
   */
  pick(keyHash: number, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined;
}

/** Walk steps before checking (in O(members)) whether anything at all is usable. */
export const WALK_BEFORE_CHECK = 32;
