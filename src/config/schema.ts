/**
 * The zod schema of the config file (snake_case, as users write it), assembled from one schema file
 * per section (listener-, route-, cluster-, strategy-, plugin-, observability-, settings-, admin-,
 * tls- and tcp-) built with schema-toolkit.ts. It checks shapes, ranges and per-value syntax and turns
 * values into their final form (durations to ms, sizes to bytes, host patterns and backend addresses
 * parsed). Defaults and renaming happen later, in build-config.ts; checks that span entries
 * (references, duplicates) are in check-references.ts.
 *
 * Messages are predicates ("must be at most 10, got 11"): issue-messages.ts prefixes the key.
 */
import * as z from 'zod';
import { admin } from './admin-schema.ts';
import { cluster } from './cluster-schema.ts';
import { describeValue } from './describe-value.ts';
import { listener } from './listener-schema.ts';
import { accessLog, requestId, tracing } from './observability-schema.ts';
import { pluginList } from './plugin-schema.ts';
import { route } from './route-schema.ts';
import type { SchemaOptions } from './schema-options.ts';
import { optional, strictObject } from './schema-toolkit.ts';
import { forwarded, limits, timeouts, workers } from './settings-schema.ts';
import { namedStrategy } from './strategy-schema.ts';
import { cacheSection } from './cache-schema.ts';
import { explainSection } from './explain-schema.ts';
import { fleetSection } from './fleet-schema.ts';

export type { LoadedPluginModule, LoadedStrategyModule, SchemaOptions } from './schema-options.ts';

/** Built per parse because the known strategy kinds are an input. Cheap next to reading a file. */
export function createConfigSchema(options: SchemaOptions) {
  return strictObject(
    {
      listeners: z
        .array(listener(options), {
          error: (issue) => `must be a list of listeners, got ${describeValue(issue.input)}`,
        })
        .min(1, 'at least one listener is required'),
      routes: optional(
        z.array(route(options), {
          error: (issue) => `must be a list of routes, got ${describeValue(issue.input)}`,
        }),
      ),
      clusters: optional(
        z.record(z.string().min(1, 'cluster names must not be empty'), cluster(options), {
          error: (issue) =>
            issue.code === 'invalid_type'
              ? `must be a mapping of cluster names to clusters, got ${describeValue(issue.input)}`
              : undefined,
        }),
      ),
      plugins: optional(pluginList(options)),
      rules: optional(z.unknown()),
      strategies: optional(
        z.record(z.string().min(1, 'strategy names must not be empty'), namedStrategy(options), {
          error: (issue) =>
            issue.code === 'invalid_type'
              ? `must be a mapping of strategy names to strategies, got ${describeValue(issue.input)}`
              : undefined,
        }),
      ),
      timeouts: optional(timeouts),
      limits: optional(limits),
      forwarded: optional(forwarded),
      access_log: optional(accessLog(options.baseDir)),
      request_id: optional(requestId),
      tracing: optional(tracing),
      admin: optional(admin(options)),
      workers: optional(workers),
      cache: optional(cacheSection(options.baseDir)),
      explain: optional(explainSection),
      fleet: optional(fleetSection(options)),
    },
    'must be a mapping with at least listeners',
  ).superRefine((value, ctx) => {
    if (value.fleet !== undefined) return;
    // A certificate the fleet keeps needs a fleet to keep it.
    value.listeners.forEach((listener, index) => {
      listener.tls?.certificates.forEach((certificate, at) => {
        if (certificate.fleet === undefined) return;
        ctx.addIssue({
          code: 'custom',
          path: ['listeners', index, 'tls', 'certificates', at, 'fleet'],
          message: 'a certificate from the fleet needs a fleet section (docs/fleet.md)',
        });
      });
    });
  });
}

export type RawConfig = z.output<ReturnType<typeof createConfigSchema>>;
