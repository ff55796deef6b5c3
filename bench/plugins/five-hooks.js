// @ts-check
/**
 * Benchmark plugin: five hooks that do a little real work each (read a header, set one), all
 * synchronous or all asynchronous, to measure what the hook machinery costs per request.
 * Config: { mode: 'sync' | 'async' }.
 */

/** @type {import('junction-proxy').PluginDefinition<{ readonly mode: 'sync' | 'async' }>} */
const fiveHooks = {
  name: 'five-hooks',
  parseConfig(raw) {
    const mode = /** @type {{ mode?: unknown } | undefined} */ (raw)?.mode ?? 'sync';
    if (mode !== 'sync' && mode !== 'async')
      throw new Error(`mode must be sync or async, got ${String(mode)}`);
    return { mode };
  },
  setup(api) {
    const points = /** @type {const} */ ([
      'read-request',
      'pre-remap',
      'post-remap',
      'send-request',
      'send-response',
    ]);
    for (const point of points) {
      if (api.config.mode === 'sync') {
        api.hook(point, (txn) => {
          if (point === 'send-response') txn.response?.headers.set('x-hooked', '1');
          else txn.vars.set(point, txn.request.headers.get('host'));
        });
      } else {
        api.hook(point, async (txn) => {
          if (point === 'send-response') txn.response?.headers.set('x-hooked', '1');
          else txn.vars.set(point, txn.request.headers.get('host'));
        });
      }
    }
  },
};

export default fiveHooks;
