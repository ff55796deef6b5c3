/** Every comparison the rule language knows, by name, in the order the reference lists them. */
import { COMPOUND_COMPARISONS } from './compound-comparisons.ts';
import { NUMERIC_COMPARISONS } from './numeric-comparisons.ts';
import { SPECIAL_COMPARISONS } from './special-comparisons.ts';
import type { ComparisonSpec } from './spec.ts';
import { STRING_COMPARISONS } from './string-comparisons.ts';

export const COMPARISONS: ReadonlyMap<string, ComparisonSpec> = new Map(
  [...STRING_COMPARISONS, ...SPECIAL_COMPARISONS, ...NUMERIC_COMPARISONS, ...COMPOUND_COMPARISONS].map(
    (spec) => [spec.name, spec],
  ),
);
