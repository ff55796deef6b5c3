/**
 * strategies: the Strategy plugin API and the built-in strategies.
 * Owns: selection logic only. Does not: open sockets, retry (router/), or read config files.
 * Uses: nothing but its own types, errors/ and util/.
 */
import type { StrategyPlugin } from './types.ts';
import { consistentHash } from './consistent-hash/consistent-hash.ts';
import { failover } from './failover/failover.ts';
import { firstAvailable } from './first-available/first-available.ts';
import { leastConnections } from './least-connections/least-connections.ts';
import { powerOfTwo } from './power-of-two/power-of-two.ts';
import { random } from './random/random.ts';
import { roundRobin } from './round-robin/round-robin.ts';
import { stickyCookie } from './sticky-cookie/sticky-cookie.ts';
import { weightedRoundRobin } from './weighted-round-robin/weighted-round-robin.ts';

export type { Outcome, SelectionInput, Strategy, StrategyEnv, StrategyPlugin, Upstream } from './types.ts';
export { stickyId } from './sticky-cookie/sticky-cookie.ts';

/**
 * Typed identity helper for third-party strategy plugins: checks the plugin's shape against the
 * API and ties `parseOptions`'s return type to what `create` receives. Returns `plugin` unchanged.
 */
export function defineStrategy<Options>(plugin: StrategyPlugin<Options>): StrategyPlugin<Options> {
  return plugin;
}

/** The strategy plugins that ship with Junction, by kind. */
export const BUILTIN_STRATEGIES: ReadonlyMap<string, StrategyPlugin> = new Map<string, StrategyPlugin>(
  [
    roundRobin,
    weightedRoundRobin,
    leastConnections,
    random,
    powerOfTwo,
    consistentHash,
    stickyCookie,
    failover,
    firstAvailable,
  ].map((plugin) => [plugin.kind, plugin as StrategyPlugin]),
);
