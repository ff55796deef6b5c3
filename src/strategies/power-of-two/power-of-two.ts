import type { Outcome, SelectionInput, Strategy, StrategyEnv, StrategyPlugin, Upstream } from '../types.ts';
import { checkOptionNames, readEnum, readInteger } from '../shared/options.ts';
import { usable, weightOf } from '../shared/members.ts';

export interface PowerOfTwoOptions {
  /** What "less loaded" means: requests in flight (default) or peak EWMA latency × load. */
  readonly metric: 'in-flight' | 'ewma';
  /** EWMA time constant: how long old latency samples (and failures) keep counting. */
  readonly decayMs: number;
}

/** A failed attempt counts as at least this latency, so a failing upstream is avoided for a while. */
export const FAILURE_PENALTY_MS = 1000;
/**
 * Score of an upstream with requests in flight but no latency sample yet (Finagle's penalty). An
 * idle unmeasured upstream scores 0 so it gets probed; a busy one must not absorb everything.
 */
const UNMEASURED_PENALTY = 1e6;
const RANDOM_DRAWS = 4;

/**
 * Power of two choices: draw two different usable upstreams at random and take the less loaded.
 * This keeps the worst-case load close to least-connections while needing no global scan, and it
 * avoids the herd that pure least-connections sends to a freshly recovered (empty) upstream.
 *
 * `ewma` scores by peak EWMA latency × (in flight + 1), Finagle and Linkerd's "peak EWMA": a sample
 * above the average replaces it at once (react to trouble fast), a sample below blends in with
 * weight 1 − e^(−Δt/decay) (recover slowly), and without samples the average decays toward 0 so a
 * slow upstream gets probed again. Scores are per unit of weight.
 */
class PowerOfTwo implements Strategy {
  #members: readonly Upstream[] = [];
  #weights = new Float64Array(0);
  #index = new Map<Upstream, number>();
  /** Peak EWMA latency in ms, 0 = never measured; and when it was last updated (env.now()). */
  #cost = new Float64Array(0);
  #stamp = new Float64Array(0);
  readonly #ewma: boolean;
  readonly #decayMs: number;
  readonly #env: StrategyEnv;

  constructor(options: PowerOfTwoOptions, members: readonly Upstream[], env: StrategyEnv) {
    this.#ewma = options.metric === 'ewma';
    this.#decayMs = options.decayMs;
    this.#env = env;
    this.membersChanged(members);
  }

  select(_input: SelectionInput, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const members = this.#members;
    const a = this.#draw(exclude, -1);
    if (a === -1) return undefined;
    const b = this.#draw(exclude, a);
    if (b === -1) return members[a];
    if (this.#ewma) {
      const now = this.#env.now();
      return this.#ewmaScore(b, now) < this.#ewmaScore(a, now) ? members[b] : members[a];
    }
    // (inFlight + 1) / weight, compared without dividing.
    const loadA = (members[a]!.inFlight + 1) * this.#weights[b]!;
    const loadB = (members[b]!.inFlight + 1) * this.#weights[a]!;
    return loadB < loadA ? members[b] : members[a];
  }

  report(upstream: Upstream, outcome: Outcome): void {
    if (!this.#ewma) return;
    const i = this.#index.get(upstream);
    if (i === undefined) return; // an attempt that finished after its upstream left
    let sample = outcome.durationMs >= 0 ? outcome.durationMs : 0;
    const failed = outcome.errorCode !== undefined || outcome.status === 0 || outcome.status >= 500;
    if (failed && sample < FAILURE_PENALTY_MS) sample = FAILURE_PENALTY_MS;
    const now = this.#env.now();
    const cost = this.#cost[i]!;
    if (sample > cost) this.#cost[i] = sample;
    else {
      const w = Math.exp(-Math.max(0, now - this.#stamp[i]!) / this.#decayMs);
      this.#cost[i] = cost * w + sample * (1 - w);
    }
    this.#stamp[i] = now;
  }

  /** Keeps the latency estimate of upstreams that stay (matched by id). */
  membersChanged(members: readonly Upstream[]): void {
    const previous = new Map<string, number>();
    for (let i = 0; i < this.#members.length; i++) previous.set(this.#members[i]!.id, i);
    const cost = new Float64Array(members.length);
    const stamp = new Float64Array(members.length);
    const index = new Map<Upstream, number>();
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!;
      index.set(member, i);
      const before = previous.get(member.id);
      if (before !== undefined) {
        cost[i] = this.#cost[before]!;
        stamp[i] = this.#stamp[before]!;
      }
    }
    this.#members = members;
    this.#weights = Float64Array.from(members, weightOf);
    this.#index = index;
    this.#cost = cost;
    this.#stamp = stamp;
  }

  #ewmaScore(i: number, now: number): number {
    const inFlight = this.#members[i]!.inFlight;
    const cost = this.#cost[i]!;
    if (cost === 0) return inFlight > 0 ? UNMEASURED_PENALTY + inFlight : 0;
    const decayed = cost * Math.exp(-Math.max(0, now - this.#stamp[i]!) / this.#decayMs);
    return (decayed * (inFlight + 1)) / this.#weights[i]!;
  }

  /**
   * A random usable member other than `avoid`, or -1. A few uniform draws first (the common case:
   * most upstreams usable); then a scan from a random start, slightly favouring the member after a
   * run of unusable ones, which is acceptable for a load balancer and keeps this allocation-free.
   */
  #draw(exclude: ReadonlySet<Upstream> | undefined, avoid: number): number {
    const members = this.#members;
    const n = members.length;
    if (n === 0) return -1;
    for (let d = 0; d < RANDOM_DRAWS; d++) {
      const i = this.#randomIndex(n);
      if (i !== avoid && usable(members[i]!, exclude)) return i;
    }
    const start = this.#randomIndex(n);
    for (let k = 0; k < n; k++) {
      const i = start + k < n ? start + k : start + k - n;
      if (i !== avoid && usable(members[i]!, exclude)) return i;
    }
    return -1;
  }

  #randomIndex(n: number): number {
    const i = Math.floor(this.#env.random() * n);
    return i >= 0 && i < n ? i : 0; // a misbehaving env.random() must not index out of range
  }
}

export const powerOfTwo: StrategyPlugin<PowerOfTwoOptions> = {
  kind: 'power-of-two',
  parseOptions(raw) {
    const kind = 'power-of-two';
    checkOptionNames(kind, raw, ['metric', 'decay_ms']);
    const metric = readEnum(kind, raw, 'metric', ['in-flight', 'ewma'], 'in-flight');
    if (metric !== 'ewma' && raw['decay_ms'] !== undefined) {
      throw new Error(`${kind}: option 'decay_ms' applies only with metric: ewma`);
    }
    return { metric, decayMs: readInteger(kind, raw, 'decay_ms', 1, 3_600_000, 10_000) };
  },
  create(options, members, env) {
    return new PowerOfTwo(options, members, env);
  },
};
