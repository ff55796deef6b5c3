/**
 * Edit distance for "did you mean" suggestions in config errors. Inputs are short (keys, names), so
 * the plain two-row dynamic programme is plenty.
 */
import { editDistance } from '../util/edit-distance.ts';

export { editDistance };

/**
 * The candidate closest to `word`, or undefined when none is close enough to be a plausible typo:
 * at most a third of the word's length in edits (at least one), compared case-insensitively.
 * Ties go to the earlier candidate, so callers list candidates in a meaningful order.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const budget = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= budget ? best : undefined;
}

/** `'; did you mean 'x'?'` when there is a close candidate, else the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : `; did you mean '${match}'?`;
}
