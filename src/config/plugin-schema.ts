/** The schema of plugin entries (top-level and per route): the module the loader imported, checked by the plugin itself. */
import * as z from 'zod';
import type { PluginConfig } from '../plugins/index.ts';
import { describeValue } from './describe-value.ts';
import type { SchemaOptions } from './schema-options.ts';
import { nonEmptyString, optional, strictObject } from './schema-toolkit.ts';

/** A plugin: `./module.js`, or `{ module, name, config }`; its config is checked by the plugin. */
function pluginEntry(options: SchemaOptions) {
  return z.preprocess(
    (value) => (typeof value === 'string' ? { module: value } : value),
    strictObject(
      { module: nonEmptyString, name: optional(nonEmptyString), config: optional(z.unknown()) },
      'must be a module path, or a mapping with a module',
    ).transform((value, ctx): PluginConfig => {
      const loaded = options.pluginModule(value.module);
      if (!loaded?.ok) {
        ctx.addIssue({
          code: 'custom',
          path: ['module'],
          message:
            loaded === undefined
              ? 'plugin modules are loaded only when the config is read with loadConfigFile()'
              : loaded.problem,
        });
        return z.NEVER;
      }
      const definition = loaded.definition;
      let config: unknown = value.config;
      if (definition.parseConfig !== undefined) {
        try {
          config = definition.parseConfig(value.config);
        } catch (error) {
          ctx.addIssue({
            code: 'custom',
            path: value.config === undefined ? [] : ['config'],
            message: `plugin '${definition.name}': ${error instanceof Error ? error.message : String(error)}`,
          });
          return z.NEVER;
        }
      } else if (value.config !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['config'],
          message: `plugin '${definition.name}' takes no config`,
        });
        return z.NEVER;
      }
      return { name: value.name ?? definition.name, module: value.module, definition, config };
    }),
  );
}

export function pluginList(options: SchemaOptions) {
  return z.array(pluginEntry(options), {
    error: (issue) => `must be a list of plugins, got ${describeValue(issue.input)}`,
  });
}
