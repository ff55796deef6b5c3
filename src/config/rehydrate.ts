/**
 * A config that crossed from the loading worker as data (config-wire.ts) → a JunctionConfig, on the
 * serving thread: its modules imported (Node caches them; the worker imported and checked them
 * already), plugin configs parsed by their plugins again (a plugin's parsed config may hold anything),
 * and rules compiled. Proportional to the plugins and rules a config has, not to its routes.
 */
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, ConfigErrors } from '../errors/index.ts';
import type { PluginConfig } from '../plugins/index.ts';
import type { StrategyPlugin } from '../strategies/index.ts';
import type { WirePayload, WirePlugin } from './config-wire.ts';
import { rememberDocument } from './config-document.ts';
import { importModules } from './load-config.ts';
import { compileConfigRules } from './rules-config.ts';
import type { LoadedPluginModule } from './schema.ts';
import type { JunctionConfig, RouteConfig } from './types.ts';
import { YamlPositions } from './yaml-document.ts';

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Something that validated in the worker no longer does here (a file or module changed between). */
function changed(source: string, problem: string): ConfigErrors {
  return new ConfigErrors([new ConfigError(`${source}: ${problem}`, undefined, 'JCT_ERR_CONFIG_INVALID')]);
}

function rebuildPlugins(
  wire: readonly WirePlugin[],
  raw: unknown,
  modules: ReadonlyMap<string, LoadedPluginModule>,
  source: string,
): PluginConfig[] {
  const entries = Array.isArray(raw) ? raw : [];
  return wire.map((plugin, index) => {
    const loaded = modules.get(plugin.module);
    if (loaded?.ok !== true)
      throw changed(source, `plugin module '${plugin.module}' could not be loaded again`);
    const definition = loaded.definition;
    const entry: unknown = entries[index];
    const rawConfig = typeof entry === 'string' ? undefined : asRecord(entry)?.['config'];
    let config: unknown = rawConfig;
    if (definition.parseConfig !== undefined) {
      try {
        config = definition.parseConfig(rawConfig);
      } catch (error) {
        throw changed(
          source,
          `plugin '${definition.name}': ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return { name: plugin.name, module: plugin.module, definition, config };
  });
}

export async function rehydrateConfig(payload: WirePayload, baseDir: string): Promise<JunctionConfig> {
  const { config: wire, document } = payload;
  const source = wire.source;
  const { strategyModules, pluginModules } = await importModules(document, baseDir);

  const plugins = rebuildPlugins(wire.plugins, document['plugins'], pluginModules, source);
  const rawRoutes = Array.isArray(document['routes']) ? (document['routes'] as unknown[]) : [];
  const routes = wire.routes.map((route, index): RouteConfig =>
    route.plugins.length === 0
      ? (route as RouteConfig)
      : {
          ...route,
          plugins: rebuildPlugins(
            route.plugins,
            asRecord(rawRoutes[index])?.['plugins'],
            pluginModules,
            source,
          ),
        },
  );

  // As buildConfig(): named strategies' modules first, then the strategies plugins bring.
  const available = new Map<string, StrategyPlugin>();
  for (const loaded of strategyModules.values())
    if (loaded.ok) available.set(loaded.plugin.kind, loaded.plugin);
  for (const plugin of [...plugins, ...routes.flatMap((route) => route.plugins)]) {
    for (const strategy of plugin.definition.strategies ?? []) available.set(strategy.kind, strategy);
  }
  const strategyPlugins = new Map<string, StrategyPlugin>();
  for (const kind of wire.strategyPluginKinds) {
    const plugin = available.get(kind);
    if (plugin === undefined)
      throw changed(source, `strategy kind '${kind}' is no longer provided by its module`);
    strategyPlugins.set(kind, plugin);
  }

  let rules: JunctionConfig['rules'];
  if (wire.hasRules) {
    // The worker compiled them with positions; a failure now means an included file changed since,
    // reported by key path (the YAML tree stayed in the worker).
    const noTree = new YamlPositions(
      parseDocument('', { lineCounter: new LineCounter() }),
      new LineCounter(),
    );
    const compiled = compileConfigRules(document, source, baseDir, noTree);
    if (!compiled.ok) throw new ConfigErrors(compiled.errors);
    rules = compiled.rules;
  }

  // Every data field as it came (a field added to JunctionConfig crosses without a change here).
  const data: Record<string, unknown> = { ...wire };
  delete data['strategyPluginKinds'];
  delete data['hasRules'];
  const config = { ...data, routes, plugins, strategyPlugins, rules } as unknown as JunctionConfig;
  rememberDocument(config, document, payload.hash);
  return config;
}
