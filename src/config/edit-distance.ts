/** The "did you mean" helpers config errors use; they live in util/ so rules and strategies share them. */
export { closestMatch, didYouMean, editDistance } from '../util/edit-distance.ts';
