import type { PluginDefinition } from '../types.ts';
import { compressPlugin } from './compress.ts';
import { replaceTextPlugin } from './replace-text.ts';

/** Plugins that ship with Junction, named in configs as `junction:<name>`. */
export const BUILTIN_PLUGINS: ReadonlyMap<string, PluginDefinition> = new Map<string, PluginDefinition>([
  ['junction:compress', compressPlugin],
  ['junction:replace-text', replaceTextPlugin],
]);
