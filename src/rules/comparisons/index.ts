/**
 * rules/comparisons: the comparisons of the rule language (`match`, `prefix`, `rxp`, `eq`, `in`,
 * `any-of`, `for-all`, …), compiled at load time into closures over a feature.
 * Owns: the registry (COMPARISONS), value checking with load-time errors, IP range parsing.
 * Does not: compile feature expressions (features/, through env.expression) or select cases
 * (the compiler strips `do:` and `continue:` before calling compileComparison).
 */
export { compileComparison } from './compile-comparison.ts';
export { COMPARISONS } from './registry.ts';
export type { ComparisonSpec } from './spec.ts';
export {
  cidrRange,
  featureIpBytes,
  ipEquals,
  ipInRange,
  parseIpBytes,
  parseIpRange,
  type IpBytes,
  type IpRange,
  type Parsed,
} from './ip-range.ts';
export { featureNumber, featureText } from './operands.ts';
