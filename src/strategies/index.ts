/**
 * strategies: the Strategy plugin API and the built-in strategies.
 * Owns: selection logic only. Does not: open sockets, retry (router/), or read config files.
 * Uses: nothing but its own types, errors/ and util/.
 */
import type { StrategyPlugin } from './types.ts';
import { roundRobin } from './round-robin/round-robin.ts';

export type { Outcome, SelectionInput, Strategy, StrategyEnv, StrategyPlugin, Upstream } from './types.ts';

/** The strategy plugins that ship with Junction, by kind. */
export const BUILTIN_STRATEGIES: ReadonlyMap<string, StrategyPlugin> = new Map<string, StrategyPlugin>([
  [roundRobin.kind, roundRobin as StrategyPlugin],
]);
