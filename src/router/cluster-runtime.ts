import type { ClusterConfig, StrategyConfig } from '../config/types.ts';
import { silentLogger, type Logger } from '../log/index.ts';
import type { Strategy, StrategyEnv, StrategyPlugin } from '../strategies/index.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import { RetryBudget } from './retry-budget.ts';
import type { UpstreamState } from './upstream-state.ts';

/**
 * A cluster as the Router runs it: its upstreams and its strategies. The cluster's own strategy is
 * built with it; a strategy a route (or later a hook or rule) picks is built on first use over the
 * same upstreams and kept, so its state (rotation, tables) lasts as long as the cluster. Instances are
 * kept by the strategy's whole identity (name, kind and options): two strategies that differ in any
 * of these never share one, even when a reload keeps this runtime and changes a strategy.
 *
 * It also owns panic mode (Envoy's healthy panic threshold): while fewer than `panicThreshold` of its
 * backends (those not being drained) are healthy, by passive and active health together, health is
 * ignored and strategies pick among all of them, so a cluster whose judges are wrong about most of its
 * backends still serves rather than answering 503 to everyone.
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
  readonly #log: Logger;
  /** Every strategy instance over these upstreams, the cluster's own included, by identity. */
  readonly #byIdentity = new Map<string, Strategy>();
  /** The same instances by config object, so that the hot path computes no identity. */
  readonly #byConfig = new WeakMap<StrategyConfig, Strategy>();
  #panic = false;

  constructor(
    config: ClusterConfig,
    upstreams: readonly UpstreamState[],
    plugins: ReadonlyMap<string, StrategyPlugin>,
    env: StrategyEnv,
    log: Logger = silentLogger(),
  ) {
    this.name = config.name;
    this.config = config;
    this.upstreams = upstreams;
    this.#plugins = plugins;
    this.#env = env;
    this.#log = log;
    // Upstreams a reload carried over may be down already.
    this.#updatePanic();
    this.strategy = this.strategyFor(config.strategy);
    this.retryBudget = new RetryBudget(config.retry.budgetRatio, config.retry.budgetMinPerSecond);
  }

  /** Too few backends are healthy: strategies pick among all of them (those not being drained). */
  get panic(): boolean {
    return this.#panic;
  }

  /** The instance of `strategy` over this cluster's upstreams, built the first time it is asked for. */
  strategyFor(strategy: StrategyConfig): Strategy {
    let instance = this.#byConfig.get(strategy);
    if (instance !== undefined) return instance;
    const identity = `${strategy.name}\n${strategy.kind}\n${canonicalJson(strategy.options)}`;
    instance = this.#byIdentity.get(identity);
    if (instance === undefined) {
      const plugin = this.#plugins.get(strategy.kind);
      // Config validation refuses unknown kinds, so this is a caller's bug.
      if (plugin === undefined) throw new Error(`unknown strategy kind '${strategy.kind}'`);
      instance = plugin.create(plugin.parseOptions(strategy.options), this.upstreams, this.#env);
      this.#byIdentity.set(identity, instance);
    }
    this.#byConfig.set(strategy, instance);
    return instance;
  }

  /**
   * Membership or health changed: panic mode is judged again, then every strategy instance rebuilds
   * what it derives from the members.
   */
  membersChanged(): void {
    this.#updatePanic();
    for (const strategy of this.#byIdentity.values()) strategy.membersChanged?.(this.upstreams);
  }

  #updatePanic(): void {
    let members = 0;
    let healthy = 0;
    for (const upstream of this.upstreams) {
      if (upstream.draining) continue;
      members++;
      if (upstream.healthy) healthy++;
    }
    const panic = members > 0 && healthy < this.config.health.panicThreshold * members;
    if (panic !== this.#panic) {
      this.#panic = panic;
      const threshold = `${Math.round(this.config.health.panicThreshold * 100)}%`;
      if (panic) {
        this.#log.warn(
          { cluster: this.name, healthy, backends: members },
          `cluster '${this.name}' in panic mode: ${healthy} of ${members} backends healthy, under panic_threshold ${threshold}; traffic goes to all of them`,
        );
      } else {
        this.#log.info(
          { cluster: this.name, healthy, backends: members },
          `cluster '${this.name}' out of panic mode: ${healthy} of ${members} backends healthy`,
        );
      }
    }
    for (const upstream of this.upstreams) {
      if (upstream.panic !== panic) upstream.panic = panic;
    }
  }
}
