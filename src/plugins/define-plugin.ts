import type { PluginDefinition } from './types.ts';

/**
 * Typed identity helper for plugin authors: checks the plugin's shape and ties the type
 * parseConfig() returns to the `config` setup() receives. Returns `plugin` unchanged.
 */
export function definePlugin<Config = undefined>(plugin: PluginDefinition<Config>): PluginDefinition<Config> {
  return plugin;
}

/** Why a module's export is not a plugin, or undefined when it is one. */
export function pluginProblem(plugin: unknown): string | undefined {
  if (typeof plugin !== 'object' || plugin === null) {
    return 'must export a plugin as its default export (see definePlugin())';
  }
  const candidate = plugin as Record<string, unknown>;
  if (typeof candidate['name'] !== 'string' || candidate['name'] === '') {
    return 'exports a plugin without a name (a non-empty string)';
  }
  if (typeof candidate['setup'] !== 'function') return 'exports a plugin without a setup() function';
  const parse = candidate['parseConfig'];
  if (parse !== undefined && typeof parse !== 'function')
    return 'exports a parseConfig that is not a function';
  const strategies = candidate['strategies'];
  if (strategies !== undefined && !Array.isArray(strategies)) return 'exports strategies that are not a list';
  return undefined;
}
