/**
 * The strategy kinds a config may name. The one list: the parser validates against it, and the
 * Router (or a plugin loader) adds kinds with registerStrategyKind() before configs are parsed.
 */
import { DEFAULT_STRATEGY_KIND } from './defaults.ts';

const strategyKinds = new Set<string>([DEFAULT_STRATEGY_KIND]);

/** Lets configs name `kind`. Idempotent. Call it before parsing configs that use the kind. */
export function registerStrategyKind(kind: string): void {
  strategyKinds.add(kind);
}

/** The kinds registered so far, `round-robin` always among them. */
export function knownStrategyKinds(): ReadonlySet<string> {
  return strategyKinds;
}
