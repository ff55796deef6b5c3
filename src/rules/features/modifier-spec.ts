/** What a modifier is to the expression compiler (modifiers.ts, txnbox-modifiers.ts). */
import type { CompileEnv, Feature, FeatureType, RuleContext } from '../types.ts';

/** One step of a feature expression, compiled. */
export interface CompiledModifier {
  readonly apply: (feature: Feature, ctx: RuleContext) => Feature;
  /** The type it yields (given the type it receives). */
  readonly type: FeatureType;
  /** apply() never reads its context: a constant expression stays constant through it. */
  readonly pure: boolean;
}

export interface ModifierSpec {
  readonly name: string;
  /** 'none': `{ name: }` (null); 'optional': may be null; 'required': must be given. */
  readonly arg: 'none' | 'optional' | 'required';
  /** What the argument is, for messages and docs. */
  readonly argName?: string | undefined;
  /** Whether it takes an option in angle brackets (`rxp-replace<g>`, `ip-space<acl>`). */
  readonly option?: 'none' | 'optional' | 'required';
  /**
   * `input`: the type of the feature it receives. `env` is at the modifier's argument; `option` is the
   * text in angle brackets, when the spec takes one.
   */
  compile(arg: unknown, env: CompileEnv, input: FeatureType, option?: string): CompiledModifier;
}
