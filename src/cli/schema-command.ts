/** `junction schema`: the config's JSON Schema on stdout, for editors (docs/configuration.md#editor-support-the-json-schema). */
import { configJsonSchema } from '../config/index.ts';
import type { CliContext } from './cli-context.ts';

export function runSchema(context: CliContext): number {
  context.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}
