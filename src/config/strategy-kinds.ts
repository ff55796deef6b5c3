/**
 * The strategy kinds a config may name: the one list the parser validates against. It starts with the
 * built-in strategies (strategies/BUILTIN_STRATEGIES), so a new built-in is accepted without touching
 * config/; plugins add theirs with registerStrategyKind() before configs are parsed.
 * Where a kind's plugin is known, the parser also runs its parseOptions(), so a bad option is reported
 * with its line and column at load time instead of failing when the server builds the cluster.
 */
import { BUILTIN_STRATEGIES, type StrategyPlugin } from '../strategies/index.ts';

const kinds = new Set<string>(BUILTIN_STRATEGIES.keys());
const plugins = new Map<string, StrategyPlugin>(BUILTIN_STRATEGIES);

/**
 * Lets configs name `kind`. With `plugin`, configs' options for it are checked by its parseOptions().
 * Idempotent; a later plugin for the same kind replaces the earlier one.
 */
export function registerStrategyKind(kind: string, plugin?: StrategyPlugin): void {
  kinds.add(kind);
  if (plugin !== undefined) plugins.set(kind, plugin);
}

/** The kinds known so far: the built-ins and every registered kind. */
export function knownStrategyKinds(): ReadonlySet<string> {
  return kinds;
}

/** The plugin that validates `kind`'s options, if one is known. */
export function strategyPluginFor(kind: string): StrategyPlugin | undefined {
  return plugins.get(kind);
}
