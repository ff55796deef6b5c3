import type { ClusterConfig, StrategyConfig } from '../config/types.ts';
import type { Strategy, StrategyEnv, StrategyPlugin } from '../strategies/index.ts';
import { RetryBudget } from './retry-budget.ts';
import type { UpstreamState } from './upstream-state.ts';

/**
 * A cluster as the Router runs it: its upstreams and its strategies. The cluster's own strategy is
 * built with it; a strategy a route (or later a hook or rule) picks by name is built on first use
 * over the same upstreams and kept, so its state (rotation, tables) lasts as long as the cluster.
 */
export class ClusterRuntime {
  readonly name: string;
  readonly config: ClusterConfig;
  readonly upstreams: readonly UpstreamState[];
  readonly strategy: Strategy;
  /** Retries granted and refused, and the requests they are measured against. */
  readonly retryBudget: RetryBudget;
  readonly #plugins: ReadonlyMap<string, StrategyPlugin>;
  readonly #env: StrategyEnv;
  /** Every strategy instance over these upstreams, the cluster's own included, by strategy name. */
  readonly #byName = new Map<string, Strategy>();

  constructor(
    config: ClusterConfig,
    upstreams: readonly UpstreamState[],
    plugins: ReadonlyMap<string, StrategyPlugin>,
    env: StrategyEnv,
  ) {
    this.name = config.name;
    this.config = config;
    this.upstreams = upstreams;
    this.#plugins = plugins;
    this.#env = env;
    this.strategy = this.strategyFor(config.strategy);
    this.retryBudget = new RetryBudget(config.retry.budgetRatio, config.retry.budgetMinPerSecond);
  }

  /** The instance of `strategy` over this cluster's upstreams, built the first time it is asked for. */
  strategyFor(strategy: StrategyConfig): Strategy {
    let instance = this.#byName.get(strategy.name);
    if (instance === undefined) {
      const plugin = this.#plugins.get(strategy.kind);
      // Config validation refuses unknown kinds, so this is a caller's bug.
      if (plugin === undefined) throw new Error(`unknown strategy kind '${strategy.kind}'`);
      instance = plugin.create(plugin.parseOptions(strategy.options), this.upstreams, this.#env);
      this.#byName.set(strategy.name, instance);
    }
    return instance;
  }

  /** Membership or health changed: every strategy instance rebuilds what it derives from it. */
  membersChanged(): void {
    for (const strategy of this.#byName.values()) strategy.membersChanged?.(this.upstreams);
  }
}
