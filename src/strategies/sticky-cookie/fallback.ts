/**
 * The strategies sticky-cookie may fall back to: every built-in but itself. Imported directly
 * rather than from ../index.ts so that index.ts can register sticky-cookie without a cycle.
 */
import type { StrategyPlugin } from '../types.ts';
import { consistentHash } from '../consistent-hash/consistent-hash.ts';
import { failover } from '../failover/failover.ts';
import { firstAvailable } from '../first-available/first-available.ts';
import { leastConnections } from '../least-connections/least-connections.ts';
import { powerOfTwo } from '../power-of-two/power-of-two.ts';
import { random } from '../random/random.ts';
import { roundRobin } from '../round-robin/round-robin.ts';
import { weightedRoundRobin } from '../weighted-round-robin/weighted-round-robin.ts';
import { closestMatch, describe } from '../shared/options.ts';

const FALLBACK_PLUGINS: ReadonlyMap<string, StrategyPlugin> = new Map(
  [
    roundRobin,
    weightedRoundRobin,
    leastConnections,
    random,
    powerOfTwo,
    consistentHash,
    failover,
    firstAvailable,
  ].map((p) => [p.kind, p as StrategyPlugin]),
);

export interface FallbackConfig {
  readonly plugin: StrategyPlugin;
  readonly options: unknown;
}

/** `fallback: <kind>` or `fallback: { kind: <kind>, ...options }`. */
export function parseFallback(kind: string, raw: unknown): FallbackConfig {
  let fallbackKind: unknown = raw;
  let options: Record<string, unknown> = {};
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    ({ kind: fallbackKind, ...options } = raw as Record<string, unknown>);
  }
  const plugin = typeof fallbackKind === 'string' ? FALLBACK_PLUGINS.get(fallbackKind) : undefined;
  if (plugin === undefined) {
    const known = [...FALLBACK_PLUGINS.keys()];
    const close = typeof fallbackKind === 'string' ? closestMatch(fallbackKind, known) : undefined;
    const hint = close === undefined ? '' : `; did you mean '${close}'?`;
    throw new Error(
      `${kind}: option 'fallback' must be a built-in strategy kind (or { kind, ...options }) other than ${kind}, ` +
        `got ${describe(fallbackKind)}${hint} (valid: ${known.join(', ')})`,
    );
  }
  try {
    return { plugin, options: plugin.parseOptions(options) };
  } catch (error) {
    throw new Error(`${kind}: fallback: ${(error as Error).message}`, { cause: error });
  }
}
