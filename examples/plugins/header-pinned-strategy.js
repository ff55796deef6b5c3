// @ts-check
/**
 * An example plugin that brings a strategy: kind `header-pinned`. A request that names a backend id
 * in a header goes to that backend while it is up (and not already tried by this request); every
 * other request, and one whose backend is down or unknown, rotates round robin.
 *
 *   plugins:
 *     - ./plugins/header-pinned-strategy.js   # makes the kind known; the plugin takes no config
 *   strategies:
 *     pinned:
 *       kind: header-pinned
 *       header: x-backend                     # optional, default x-backend
 *   clusters:
 *     api:
 *       strategy: pinned
 *       backends:
 *         - { address: 127.0.0.1:9101, id: one }
 *         - { address: 127.0.0.1:9102, id: two }
 *
 * A plugin's strategy kinds are known only to configs that list the plugin under `plugins`. Backend
 * ids are the `id` of each backend, or its `host:port` when it has none.
 */

/** @typedef {import('junction-proxy').Upstream} Upstream */
/** @typedef {{ readonly header: string }} Options */

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** @type {import('junction-proxy').StrategyPlugin<Options>} */
const headerPinned = {
  kind: 'header-pinned',

  parseOptions(raw) {
    for (const key of Object.keys(raw)) {
      if (key !== 'header') throw new Error(`unknown option '${key}' (known: header)`);
    }
    const header = raw['header'] ?? 'x-backend';
    if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
      throw new Error(`header must be a header name, got ${JSON.stringify(header)}`);
    }
    // SelectionInput.header() takes lower-case names.
    return { header: header.toLowerCase() };
  },

  create(options, initial) {
    /** @type {readonly Upstream[]} */
    let members = initial;
    /** @type {Map<string, Upstream>} */
    let byId = new Map(members.map((member) => [member.id, member]));
    let next = 0;

    return {
      // On every request: a map lookup and a loop, no allocation.
      select(input, exclude) {
        const wanted = input.header(options.header);
        if (wanted !== undefined) {
          const pinned = byId.get(wanted);
          if (pinned !== undefined && pinned.isUp && exclude?.has(pinned) !== true) return pinned;
        }
        const n = members.length;
        for (let i = 0; i < n; i++) {
          const index = (next + i) % n;
          const candidate = /** @type {Upstream} */ (members[index]);
          if (!candidate.isUp || exclude?.has(candidate) === true) continue;
          next = (index + 1) % n;
          return candidate;
        }
        return undefined;
      },

      membersChanged(current) {
        members = current;
        byId = new Map(current.map((member) => [member.id, member]));
        next = current.length === 0 ? 0 : next % current.length;
      },
    };
  },
};

/** @type {import('junction-proxy').PluginDefinition} */
const plugin = {
  name: 'header-pinned',
  strategies: [headerPinned],
  // Nothing to set up: the strategy is the whole plugin. Every instance of it is built per cluster.
  setup(api) {
    api.log.debug({ kinds: ['header-pinned'] }, 'header-pinned strategy available');
  },
};

export default plugin;
