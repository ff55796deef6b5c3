/**
 * rules/features: feature expressions of the rule language, compiled once at load time into closures.
 * Owns: the expression syntax (feature strings with `{extractor}`s and `{{`/`}}` escapes, lists with
 * modifiers, tuples), the extractors and their hook validity (extractors.ts, and TxnBox's others in
 * txnbox-extractors.ts, over extractor-kit.ts), the modifiers (modifiers.ts, txnbox-modifiers.ts), and the feature value
 * helpers (string and display forms, emptiness, IP address and duration parsing).
 * Does not: touch sockets, run or compile directives (directives/), compile comparisons
 * (comparisons/), or walk rule files (the compiler, rules/*.ts). It reads a transaction only through
 * the RuleContext handed to the closures it returns.
 * Used by: the rule compiler (through CompileEnv.expression), comparisons/ and directives/ (helpers).
 * Uses: rules/types.ts, hooks/ (hook names), util/ (suggestions), strategies/shared/hash.ts (`hash`).
 */
export { compileExpression } from './compile-expression.ts';
export { EXTRACTORS, cookieValue, queryValue, type FeatureExtractor } from './extractors.ts';
export { MODIFIERS, compileModifier, type CompiledModifier, type ModifierSpec } from './modifiers.ts';
export {
  TUPLE_SEPARATOR,
  featureToString,
  formatFeature,
  isEmptyFeature,
  joinFeatures,
  toFeature,
  typeOfFeature,
} from './feature.ts';
export { ipAddressFromBytes, parseIpAddress, unmapIpv4 } from './ip-address.ts';
export { DURATION_HINT, parseDuration } from './duration.ts';
export {
  applyFormat,
  parseFormatString,
  type FormatPart,
  type FormatSpec,
  type Placeholder,
} from './format-string.ts';
