/**
 * What the registry holds for each comparison: its name, what it does and takes (for the docs and
 * for messages), the `<arg>` it accepts, and how to compile it.
 */
import type { CompileEnv, CompiledComparison, Validity } from '../types.ts';

export interface ComparisonSpec extends Validity {
  /** The key in the rules: `match`, `any-of`, … */
  readonly name: string;
  /** One line: what matches. */
  readonly summary: string;
  /** The value forms it takes, in a few words (`a string or a list of strings`). */
  readonly takes: string;
  /**
   * The `<arg>` it accepts: none; the `nc` option (ignore case); or a name (the IP space of `in`,
   * optional). Checked before compile() runs, so compile() sees only an allowed arg.
   */
  readonly arg: 'none' | 'nc' | 'name';
  /**
   * Compiles the comparison's value into the closure. `env` is at the comparison's key, so
   * `env.fail(message)` points at the value. Throws (through env.fail) on a value it cannot use.
   */
  compile(arg: string | undefined, value: unknown, env: CompileEnv): CompiledComparison;
}
