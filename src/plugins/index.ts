/**
 * plugins: the plugin API (definePlugin, PluginApi) and the host that sets up the plugins a config
 * names, collects their hooks into tables, relays session and outbound connection events to them,
 * and disposes of them.
 * Owns: plugin lifecycles. Does not: load modules (config/ imports them and validates their config),
 * run transaction hooks (transaction/ does, through hooks/), or touch sockets.
 * Used by: config/ (types, shape check, built-ins), server/. Uses: hooks/, errors/, log/, strategies/
 * (types), transforms/ (the built-in junction:compress and junction:replace-text plugins).
 */
export { definePlugin, pluginProblem } from './define-plugin.ts';
export { PluginHost } from './plugin-host.ts';
export { BUILTIN_PLUGINS } from './builtin/index.ts';
export type {
  ConfiguredPlugins,
  HookOptions,
  LoadedConfigInfo,
  PluginApi,
  PluginConfig,
  PluginDefinition,
  SessionInfo,
  UpstreamSessionInfo,
} from './types.ts';
