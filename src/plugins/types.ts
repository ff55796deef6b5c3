import type { UpstreamConnectionInfo } from '../connector/index.ts';
import type { TxnHook, TxnHookName } from '../hooks/index.ts';
import type { Logger } from '../log/index.ts';
import type { StrategyPlugin } from '../strategies/index.ts';

/** A client connection, as session hooks see it. */
export interface SessionInfo {
  readonly clientAddress: string;
  readonly clientPort: number;
  /** The listener's name. */
  readonly listener: string;
}

/** An outbound connection, as outbound session hooks see it (the Connector's own record of it). */
export type UpstreamSessionInfo = UpstreamConnectionInfo;

/** What a config looks like to a post-load hook: enough to check or log it, not to change it. */
export interface LoadedConfigInfo {
  readonly source: string;
  readonly routes: readonly string[];
  readonly clusters: readonly string[];
}

export interface HookOptions {
  /** How long an asynchronous hook may take before its transaction fails with a 500. Default 5 s. */
  readonly timeoutMs?: number;
}

/** What a plugin's setup() receives: its validated config and the ways to register hooks. */
export interface PluginApi<Config> {
  /** The plugin's name (from the config, or the plugin's own). */
  readonly name: string;
  /** The plugin's config, as its parseConfig() returned it. */
  readonly config: Config;
  /** A logger that names the plugin. */
  readonly log: Logger;
  /** Where the plugin is attached: undefined for a global plugin, the route's name for a route plugin. */
  readonly route: string | undefined;
  /**
   * Registers a transaction hook. A global plugin's hooks run for every transaction; a route
   * plugin's run for the transactions of its route only (from `remap` on).
   */
  hook(name: TxnHookName, hook: TxnHook, options?: HookOptions): void;
  /** Runs once after the config is loaded, before Junction serves it. A throw stops the load. */
  onPostLoad(hook: (config: LoadedConfigInfo) => void | Promise<void>): void;
  /** Client connections opening and closing (global plugins only). */
  onSession(hooks: {
    readonly start?: (session: SessionInfo) => void;
    readonly close?: (session: SessionInfo) => void;
  }): void;
  /** Outbound connections opening and closing (global plugins only). */
  onUpstream(hooks: {
    readonly open?: (connection: UpstreamSessionInfo) => void;
    readonly close?: (connection: UpstreamSessionInfo) => void;
  }): void;
  /** Runs when the plugin is disposed: Junction stops, or a new config no longer has it. */
  onDispose(hook: () => void | Promise<void>): void;
  /** Runs when a new config replaces the one this plugin instance was created for (hot reload). */
  onReplace(hook: () => void): void;
}

/**
 * A plugin: a module's default export, named in the config with its own config section. It registers
 * hooks in setup(), may bring strategies, and is disposed cleanly.
 */
export interface PluginDefinition<Config = unknown> {
  /** The plugin's name, for logs and errors; a config entry may give the instance another. */
  readonly name: string;
  /**
   * Validates the plugin's config section (undefined when the config gives none) and returns it
   * typed. Throw an Error whose message names the problem: it becomes a config error at the position
   * of the plugin's `config`. Without it, the plugin takes no config.
   */
  parseConfig?(raw: unknown): Config;
  /** Strategy plugins this plugin brings; configs can name their kinds. */
  readonly strategies?: readonly StrategyPlugin[];
  /** Called once per instance when Junction starts with a config naming the plugin. */
  setup(api: PluginApi<Config>): void | Promise<void>;
}

/** A plugin as a config names it: the module, the instance's name, and its validated config. */
export interface PluginConfig {
  readonly name: string;
  readonly module: string;
  readonly definition: PluginDefinition;
  readonly config: unknown;
}

/**
 * What the plugin host reads of a loaded config: the plugins to set up (global ones, then each
 * route's) and what post-load hooks are told about it. A JunctionConfig is one.
 */
export interface ConfiguredPlugins {
  /** The file the config came from, or a description such as `<quick-start>`. */
  readonly source: string;
  /** Global plugins, in the order they are set up. */
  readonly plugins: readonly PluginConfig[];
  /** Every route, in order; a route's plugins are set up once for it. */
  readonly routes: readonly { readonly name: string; readonly plugins: readonly PluginConfig[] }[];
  /** The cluster names (post-load hooks see them). */
  readonly clusters: ReadonlyMap<string, unknown>;
}
