/** The schema of `admin`: the admin API's listener and its token. */
import * as z from 'zod';
import { isLoopbackAddress } from './addresses.ts';
import { secretFile } from './config-files.ts';
import { DEFAULT_ADMIN_ADDRESS } from './defaults.ts';
import { listenAddress } from './listener-schema.ts';
import type { SchemaOptions } from './schema-options.ts';
import { integer, optional, strictObject } from './schema-toolkit.ts';

/** The admin API's listener: loopback by default, and never a public address without a token. */
export function admin(options: SchemaOptions) {
  return strictObject(
    {
      address: optional(listenAddress),
      port: integer(0, 65535),
      token: optional(z.string().min(16, 'must be at least 16 characters')),
      token_file: optional(secretFile(options.baseDir)),
    },
    'must be a mapping with at least a port',
  ).superRefine((value, ctx) => {
    if (value.token !== undefined && value.token_file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['token_file'], message: 'give token or token_file, not both' });
    }
    const hasToken = value.token !== undefined || value.token_file !== undefined;
    if (!hasToken && !isLoopbackAddress(value.address ?? DEFAULT_ADMIN_ADDRESS)) {
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: `the admin API may listen on a non-loopback address (${value.address ?? ''}) only with a token or token_file`,
      });
    }
  });
}
