// @ts-check
/**
 * An example third-party strategy: send each request to the upstream that has answered fastest
 * lately, and now and then to another one so a backend that got faster is noticed.
 *
 * Load it from a config:
 *
 *   strategies:
 *     fastest:
 *       module: ./strategies/least-latency.js   # relative to the config file
 *       decay: 0.3                              # weight of the newest sample in the average
 *       explore: 0.05                           # share of requests sent elsewhere to keep learning
 *   clusters:
 *     api: { strategy: fastest, backends: [...] }
 *
 * A strategy is pure selection logic: it never opens sockets or retries (the Router does both), and
 * select() runs on every request, so it does no allocation there.
 */

/** @typedef {import('junction-proxy').Upstream} Upstream */
/** @typedef {{ readonly decay: number, readonly explore: number }} Options */

/**
 * @param {Readonly<Record<string, unknown>>} raw
 * @param {string} key
 * @param {number} fallback
 */
function fraction(raw, key, fallback) {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new Error(`${key} must be a number from 0 to 1, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** @type {import('junction-proxy').StrategyPlugin<Options>} */
const leastLatency = {
  kind: 'least-latency',

  parseOptions(raw) {
    for (const key of Object.keys(raw)) {
      if (key !== 'decay' && key !== 'explore')
        throw new Error(`unknown option '${key}' (known: decay, explore)`);
    }
    return { decay: fraction(raw, 'decay', 0.3), explore: fraction(raw, 'explore', 0.05) };
  },

  create(options, members, env) {
    /** Average latency per upstream, in ms; an upstream not yet measured counts as fastest. */
    const latency = new Map(members.map((member) => [member, 0]));

    return {
      select(_input, exclude) {
        const explore = env.random() < options.explore;
        /** @type {Upstream | undefined} */
        let best;
        let bestLatency = Infinity;
        let candidates = 0;
        for (const member of members) {
          if (!member.isUp || exclude?.has(member)) continue;
          candidates++;
          // Exploring: reservoir-sample one candidate uniformly instead of taking the fastest.
          if (explore ? env.random() * candidates < 1 : (latency.get(member) ?? 0) < bestLatency) {
            best = member;
            bestLatency = latency.get(member) ?? 0;
          }
        }
        return best;
      },

      report(upstream, outcome) {
        // Failures carry no latency worth learning; passive health deals with them.
        if (outcome.errorCode !== undefined) return;
        const previous = latency.get(upstream);
        if (previous === undefined) return;
        const sample = outcome.durationMs;
        latency.set(upstream, previous === 0 ? sample : previous + options.decay * (sample - previous));
      },

      membersChanged(current) {
        for (const member of current) if (!latency.has(member)) latency.set(member, 0);
      },
    };
  },
};

export default leastLatency;
