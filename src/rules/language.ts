import { compileComparison } from './comparisons/index.ts';
import type { RuleLanguage } from './compile-rules.ts';
import { DIRECTIVES } from './directives/index.ts';
import { compileExpression } from './features/index.ts';

/** The rule language as shipped: every extractor, modifier, comparison and directive. */
export const RULE_LANGUAGE: RuleLanguage = {
  directives: DIRECTIVES,
  compileExpression,
  compileComparison,
};
