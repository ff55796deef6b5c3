/**
 * rules: TxnBox's rule language for Junction. YAML rules (`when:` a hook, `do:` directives, with
 * features built by extractors and modifiers, comparisons and `with`/`select` selection) are compiled
 * once at load time into plain closures that run as hooks; nothing is parsed or looked up per request.
 * Owns: the compiler (compile-rules.ts, with TxnBox's `with` semantics: no return after a match), the
 * vocabulary (features/, comparisons/, directives/), the names it refuses and why (refused.ts), literal
 * positions (literal.ts), load-time resources, and turning compiled rules into hook tables. Does not: read the config file (config/
 * hands it the rules and maps errors to file positions), drive transactions, or touch sockets.
 * Used by: config/, server/. Uses: hooks/ (the context rules act on), util/.
 */
export {
  compileRules,
  type CompiledBlock,
  type CompiledRules,
  type CompileOptions,
  type RuleHook,
  type RuleLanguage,
  type RuleResourceHost,
  type RuleSources,
} from './compile-rules.ts';
export { ruleHookTables } from './rule-hooks.ts';
export { RULE_LANGUAGE } from './language.ts';
export { createRuleResources } from './directives/index.ts';
export {
  RuleError,
  type ConfigFacts,
  type RouteTarget,
  type RulePath,
  type UpstreamScheme,
} from './types.ts';
