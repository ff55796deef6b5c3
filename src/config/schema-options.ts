/** What a config schema is built from besides the text: loaded modules, known strategies, the config's folder. */
import type { FleetCertificates } from './fleet-certificates.ts';
import type { PluginDefinition } from '../plugins/index.ts';
import type { StrategyPlugin } from '../strategies/index.ts';

/** A strategy module the loader imported (or failed to), keyed by the specifier the config wrote. */
export type LoadedStrategyModule =
  { readonly ok: true; readonly plugin: StrategyPlugin } | { readonly ok: false; readonly problem: string };

/** A plugin module the loader imported (or failed to), keyed by the specifier the config wrote. */
export type LoadedPluginModule =
  | { readonly ok: true; readonly definition: PluginDefinition }
  | { readonly ok: false; readonly problem: string };

export interface SchemaOptions {
  /** Plugin modules the loader imported; undefined when the config was parsed without loading. */
  readonly pluginModule: (specifier: string) => LoadedPluginModule | undefined;
  /** The strategy kinds a cluster may name. */
  readonly strategyKinds: ReadonlySet<string>;
  /** The plugin whose parseOptions() checks a kind's options, when one is known. */
  readonly strategyPlugin: (kind: string) => StrategyPlugin | undefined;
  /** The names defined under the top-level `strategies`, which clusters and routes may name too. */
  readonly strategyNames: ReadonlySet<string>;
  /** Strategy modules the loader imported; undefined when the config was parsed without loading. */
  readonly strategyModule: (specifier: string) => LoadedStrategyModule | undefined;
  /** The directory relative file names (CA files, modules) are resolved against. */
  readonly baseDir: string;
  /**
   * The fleet's certificates, when the file is merged with a fleet (fleet-merge.ts); undefined: the
   * file alone, whose `{ fleet: <name> }` certificates stay unresolved until it is merged.
   */
  readonly fleetCertificates?: FleetCertificates | undefined;
}
