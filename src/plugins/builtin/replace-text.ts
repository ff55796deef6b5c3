import { replaceText, type Replacement } from '../../transforms/index.ts';
import { definePlugin } from '../define-plugin.ts';
import { objectConfig, optionalStringList } from './config-reading.ts';

interface ReplaceConfig {
  readonly replacements: readonly Replacement[];
  readonly types: readonly string[] | undefined;
  readonly requests: boolean;
}

/**
 * `junction:replace-text`: replaces literal strings in response bodies (and, with `requests: true`,
 * request bodies) as they stream. Config: `replace: { old: new, ... }`, `types`, `requests`.
 */
export const replaceTextPlugin = definePlugin<ReplaceConfig>({
  name: 'replace-text',
  parseConfig(raw) {
    const config = objectConfig(raw, ['replace', 'types', 'requests']);
    const replace = config['replace'];
    if (typeof replace !== 'object' || replace === null || Array.isArray(replace)) {
      throw new Error('replace must be a mapping of text to find to its replacement');
    }
    const replacements = Object.entries(replace).map(([search, value]): Replacement => {
      if (typeof value !== 'string')
        throw new Error(`replace: the replacement of '${search}' must be a string`);
      return [search, value];
    });
    const requests = config['requests'] ?? false;
    if (typeof requests !== 'boolean') throw new Error('requests must be true or false');
    const parsed: ReplaceConfig = { replacements, types: optionalStringList(config, 'types'), requests };
    replaceText({ replacements, types: parsed.types }); // throws on an empty search and the like
    return parsed;
  },
  setup(api) {
    const factory = replaceText({ replacements: api.config.replacements, types: api.config.types });
    const point = api.route === undefined ? 'read-request' : 'remap';
    api.hook(point, (txn) => {
      txn.transformResponse(factory);
      if (api.config.requests) txn.transformRequest(factory);
    });
  },
});
