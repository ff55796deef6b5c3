/**
 * Reads a config file from disk (at most MAX_CONFIG_BYTES), parses its YAML once, imports the strategy
 * and plugin modules it names, and validates it. Importing is the one asynchronous step: a module that
 * failed to load is reported at the position of its `module:` key.
 */
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, ConfigErrors } from '../errors/index.ts';
import type { PluginDefinition } from '../plugins/index.ts';
import type { StrategyPlugin } from '../strategies/index.ts';
import { BUILTIN_PLUGINS, pluginProblem } from '../plugins/index.ts';
import { readBoundedText, tooLarge } from './input-bounds.ts';
import { unresolvedListenAddresses } from './listen-addresses.ts';
import {
  moduleSpecifiers,
  parseConfigYaml,
  validateConfigYaml,
  type ParseConfigOptions,
} from './parse-config.ts';
import type { LoadedPluginModule, LoadedStrategyModule } from './schema.ts';
import type { JunctionConfig } from './types.ts';

/** Throws ConfigErrors: JCT_ERR_CONFIG_READ when the file cannot be read, else as parseConfigText(). */
export async function loadConfigFile(
  path: string,
  options: ParseConfigOptions = {},
): Promise<JunctionConfig> {
  return loadConfigText(await readConfigFile(path), path, options);
}

/** The file's text; ConfigErrors (JCT_ERR_CONFIG_READ, or _TOO_LARGE past MAX_CONFIG_BYTES) if not. */
export async function readConfigFile(path: string): Promise<string> {
  const read = await readBoundedText(path);
  if (read.ok) return read.text;
  if (read.errno === undefined && read.problem === tooLarge()) {
    throw new ConfigErrors([
      new ConfigError(`${path}: ${read.problem}`, undefined, 'JCT_ERR_CONFIG_TOO_LARGE'),
    ]);
  }
  throw new ConfigErrors([
    new ConfigError(
      `${path}: cannot read the config file (${read.problem})`,
      undefined,
      'JCT_ERR_CONFIG_READ',
    ),
  ]);
}

/**
 * Like parseConfigText(), but first imports the strategy modules the text names, resolving relative
 * specifiers against `options.baseDir` (default: the source file's directory).
 */
export async function loadConfigText(
  text: string,
  source: string,
  options: ParseConfigOptions = {},
): Promise<JunctionConfig> {
  const baseDir = options.baseDir ?? (source.startsWith('<') ? process.cwd() : dirname(resolvePath(source)));
  const parsed = parseConfigYaml(text, source);
  const modules = await importModules(parsed.data, baseDir, options);
  const config = validateConfigYaml(parsed, source, { ...options, baseDir, ...modules });
  if (options.listenAddresses !== undefined) {
    const problems = await unresolvedListenAddresses(config, parsed.positions);
    if (problems.length > 0 && options.listenAddresses === 'resolve') {
      config.rules?.dispose();
      throw new ConfigErrors(problems);
    }
    for (const problem of problems) options.warn?.(problem);
  }
  return config;
}

/** The strategy and plugin modules a parsed document names, imported (Node caches each module). */
export async function importModules(
  data: unknown,
  baseDir: string,
  options: ParseConfigOptions = {},
): Promise<{
  strategyModules: Map<string, LoadedStrategyModule>;
  pluginModules: Map<string, LoadedPluginModule>;
}> {
  const specifiers = moduleSpecifiers(data);
  const strategyModules = new Map<string, LoadedStrategyModule>(options.strategyModules ?? []);
  for (const specifier of specifiers.strategies) {
    if (!strategyModules.has(specifier)) {
      strategyModules.set(specifier, await importStrategyModule(specifier, baseDir));
    }
  }
  const pluginModules = new Map<string, LoadedPluginModule>(options.pluginModules ?? []);
  for (const specifier of specifiers.plugins) {
    if (!pluginModules.has(specifier))
      pluginModules.set(specifier, await importPluginModule(specifier, baseDir));
  }
  return { strategyModules, pluginModules };
}

/** `./x.js` and `/abs/x.js` are files; anything else is a package name resolved from the project. */
function moduleUrl(specifier: string, baseDir: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    return pathToFileURL(resolvePath(baseDir, specifier)).href;
  }
  return specifier;
}

/** The module's exports, or why it could not be imported. */
async function importModule(
  specifier: string,
  baseDir: string,
  what: string,
): Promise<{ ok: true; exports: Record<string, unknown> } | { ok: false; problem: string }> {
  try {
    return { ok: true, exports: (await import(moduleUrl(specifier, baseDir))) as Record<string, unknown> };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const detail = reason === 'ERR_MODULE_NOT_FOUND' ? 'not found' : (error as Error).message;
    return { ok: false, problem: `cannot load ${what} module '${specifier}': ${detail}` };
  }
}

async function importPluginModule(specifier: string, baseDir: string): Promise<LoadedPluginModule> {
  const builtin = BUILTIN_PLUGINS.get(specifier);
  if (builtin !== undefined) return { ok: true, definition: builtin };
  if (specifier.startsWith('junction:')) {
    return {
      ok: false,
      problem: `no built-in plugin '${specifier}' (built in: ${[...BUILTIN_PLUGINS.keys()].join(', ')})`,
    };
  }
  const imported = await importModule(specifier, baseDir, 'plugin');
  if (!imported.ok) return imported;
  const definition = imported.exports['default'] ?? imported.exports['plugin'];
  const problem = pluginProblem(definition);
  if (problem !== undefined) return { ok: false, problem: `plugin module '${specifier}' ${problem}` };
  return { ok: true, definition: definition as PluginDefinition };
}

async function importStrategyModule(specifier: string, baseDir: string): Promise<LoadedStrategyModule> {
  const imported = await importModule(specifier, baseDir, 'strategy');
  if (!imported.ok) return imported;
  const exports = imported.exports;
  const plugin = exports['default'] ?? exports['strategy'];
  const problem = strategyPluginProblem(plugin);
  if (problem !== undefined) {
    return { ok: false, problem: `strategy module '${specifier}' ${problem}` };
  }
  return { ok: true, plugin: plugin as StrategyPlugin };
}

/** Why a module's export is not a StrategyPlugin, or undefined when it is one. */
function strategyPluginProblem(plugin: unknown): string | undefined {
  if (typeof plugin !== 'object' || plugin === null) {
    return 'must export a strategy plugin as its default export (see defineStrategy())';
  }
  const candidate = plugin as Record<string, unknown>;
  if (typeof candidate['kind'] !== 'string' || candidate['kind'] === '') {
    return 'exports a plugin without a kind (a non-empty string)';
  }
  for (const method of ['parseOptions', 'create'] as const) {
    if (typeof candidate[method] !== 'function') return `exports a plugin without a ${method}() function`;
  }
  return undefined;
}

/**
 * Where `path` is in the config file, for a problem found after loading (a listener that cannot bind).
 * Reads and parses the file again: only for reports at start, never while serving.
 */
export async function locateConfigKey(
  file: string,
  path: readonly (string | number)[],
): Promise<{ line: number; column: number } | undefined> {
  try {
    const { positions } = parseConfigYaml(await readConfigFile(file), file);
    return positions.position(positions.offsetOf({ path, target: 'value', message: '' }));
  } catch {
    return undefined;
  }
}
