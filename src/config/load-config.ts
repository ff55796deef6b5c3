/** Reads a config file from disk and parses it. Synchronous: it runs at startup and on reload only. */
import { readFileSync } from 'node:fs';
import { ConfigError, ConfigErrors } from '../errors/index.ts';
import { parseConfigText, type ParseConfigOptions } from './parse-config.ts';
import type { JunctionConfig } from './types.ts';

/** Throws ConfigErrors: JCT_ERR_CONFIG_READ when the file cannot be read, else as parseConfigText(). */
export function loadConfigFile(path: string, options: ParseConfigOptions = {}): JunctionConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigErrors([
      new ConfigError(`${path}: cannot read the config file (${reason})`, undefined, 'JCT_ERR_CONFIG_READ', {
        cause: error,
      }),
    ]);
  }
  return parseConfigText(text, path, options);
}
