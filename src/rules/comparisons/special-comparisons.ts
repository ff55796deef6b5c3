/**
 * Comparisons whose value is implied by their name: `is-null`, `is-empty`, `is-true`, `is-false`.
 * They take no value (`is-null:`).
 */
import { isEmptyFeature } from '../features/index.ts';
import type { CompileEnv, CompiledComparison } from '../types.ts';
import { describeValue } from './operands.ts';
import type { ComparisonSpec } from './spec.ts';

function implied(name: string, summary: string, test: CompiledComparison): ComparisonSpec {
  return {
    name,
    summary,
    takes: `no value (write '${name}:')`,
    arg: 'none',
    compile: (_arg: string | undefined, value: unknown, env: CompileEnv) => {
      if (value !== null) env.fail(`${name} takes no value (write '${name}:'), not ${describeValue(value)}`);
      return test;
    },
  };
}

export const SPECIAL_COMPARISONS: readonly ComparisonSpec[] = [
  implied('is-null', 'the feature is null (a field that is not there)', (feature) => feature === null),
  implied('is-empty', 'the feature is null, the empty string or an empty tuple', isEmptyFeature),
  implied('is-true', 'the feature is the boolean true', (feature) => feature === true),
  implied('is-false', 'the feature is the boolean false', (feature) => feature === false),
  implied('otherwise', 'always: the case for anything the cases before did not match', () => true),
];
