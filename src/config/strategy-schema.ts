/**
 * Strategy references in the schema: a cluster's or a route's `strategy` (a name, a kind, or an inline
 * mapping) and the top-level named `strategies` (a kind or a module); the plugin checks its own options.
 */
import * as z from 'zod';
import { describeValue } from './describe-value.ts';
import { didYouMean } from './edit-distance.ts';
import type { StrategyPlugin } from '../strategies/index.ts';
import type { SchemaOptions } from './schema-options.ts';
import { nonEmptyString, optional } from './schema-toolkit.ts';

/** Runs the plugin's own option check; its thrown message becomes the problem. */
function checkOptions(
  plugin: StrategyPlugin | undefined,
  options: Record<string, unknown>,
  ctx: z.RefinementCtx,
): void {
  if (plugin === undefined) return;
  try {
    plugin.parseOptions(options);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
  }
}

function unknownKind(value: string, kinds: ReadonlySet<string>, names: ReadonlySet<string>): string {
  if (names.size === 0) {
    return `unknown strategy kind '${value}'${didYouMean(value, kinds)} (known: ${[...kinds].join(', ')})`;
  }
  return `unknown strategy '${value}'${didYouMean(value, [...names, ...kinds])} (named: ${[...names].join(', ')}; kinds: ${[...kinds].join(', ')})`;
}

/**
 * Where a cluster or a route names its strategy: a name from the top-level `strategies`, a kind, or
 * an inline mapping with a kind and its options. Names win over kinds.
 */
export function strategyReference(options: SchemaOptions) {
  const { strategyKinds: kinds, strategyNames: names } = options;
  const kind = z.string().superRefine((value, ctx) => {
    if (!names.has(value) && !kinds.has(value)) {
      ctx.addIssue({ code: 'custom', message: unknownKind(value, kinds, names) });
    }
  });
  return z.preprocess(
    (value) => (typeof value === 'string' ? { kind: value } : value),
    z
      .looseObject(
        { kind },
        {
          error: (issue) =>
            issue.code === 'invalid_type'
              ? `must be a strategy name, a kind, or a mapping with a kind, got ${describeValue(issue.input)}`
              : undefined,
        },
      )
      // Loose: every key but `kind` is an option of the strategy plugin, which validates it.
      .superRefine(({ kind: name, ...rest }, ctx) => {
        if (names.has(name)) {
          if (Object.keys(rest).length > 0) {
            ctx.addIssue({
              code: 'custom',
              message: `'${name}' is a named strategy: set its options under strategies.${name}`,
            });
          }
          return;
        }
        checkOptions(options.strategyPlugin(name), rest, ctx);
      }),
  );
}

/** A named strategy: `kind:` (built in or registered) or `module:` (a file exporting a plugin), plus options. */
export function namedStrategy(options: SchemaOptions) {
  return z
    .looseObject(
      { kind: optional(z.string()), module: optional(nonEmptyString) },
      {
        error: (issue) =>
          issue.code === 'invalid_type'
            ? `must be a mapping with a kind or a module, got ${describeValue(issue.input)}`
            : undefined,
      },
    )
    .superRefine((value, ctx) => {
      const { kind, module, ...rest } = value;
      if ((kind === undefined) === (module === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: `a strategy needs exactly one of kind, module, got ${kind === undefined ? 'none' : 'both'}`,
        });
        return;
      }
      if (kind !== undefined) {
        if (!options.strategyKinds.has(kind)) {
          ctx.addIssue({
            code: 'custom',
            path: ['kind'],
            message: unknownKind(kind, options.strategyKinds, new Set()),
          });
          return;
        }
        checkOptions(options.strategyPlugin(kind), rest, ctx);
        return;
      }
      const loaded = options.strategyModule(module!);
      if (loaded === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['module'],
          message: 'strategy modules are loaded only when the config is read with loadConfigFile()',
        });
      } else if (!loaded.ok) {
        ctx.addIssue({ code: 'custom', path: ['module'], message: loaded.problem });
      } else {
        checkOptions(loaded.plugin, rest, ctx);
      }
    });
}
