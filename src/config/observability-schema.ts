/** The schema of what Junction reports about traffic: access logs (at any level), request IDs, tracing. */
import * as z from 'zod';
import { compileTemplate } from '../access-log/template.ts';
import { configPath } from './config-files.ts';
import { describeValue } from './describe-value.ts';
import { TOKEN, integer, nonEmptyString, optional, parsed, strictObject } from './schema-toolkit.ts';
import type { AccessLogSetting } from './types.ts';

const accessLogFilter = strictObject(
  {
    min_status: optional(integer(100, 599)),
    errors: optional(z.boolean()),
  },
  'must be a mapping with min_status and/or errors',
);

/**
 * `access_log`: false (none here), true (JSON to stdout), or `{ path, format, filter, sample }`. A
 * relative path resolves against the config's directory; a template is compiled here so a mistake has
 * a position, and built again (cheaply) where it runs.
 */
export function accessLog(baseDir: string) {
  const settings = strictObject(
    {
      path: optional(nonEmptyString),
      format: optional(
        parsed<string, string>(z.string(), (format) => {
          if (format === 'json') return { ok: true, value: format };
          const compiled = compileTemplate(format);
          return compiled.ok ? { ok: true, value: format } : { ok: false, problem: compiled.problem };
        }),
      ),
      filter: optional(accessLogFilter),
      sample: optional(
        z
          .number({ error: (issue) => `must be a number from 0 to 1, got ${describeValue(issue.input)}` })
          .min(0, 'must be from 0 to 1')
          .max(1, 'must be from 0 to 1'),
      ),
    },
    'must be false, true, or a mapping with path, format, filter, sample',
  );
  return z
    .preprocess(
      (value) => (value === true ? {} : value),
      z.union([z.literal(false), settings], {
        error: (issue) =>
          `must be false, true, or a mapping with path, format, filter, sample, got ${describeValue(issue.input)}`,
      }),
    )
    .transform((value): AccessLogSetting => {
      if (value === false) return false;
      const path = value.path ?? 'stdout';
      return {
        path: path === 'stdout' || path === 'stderr' ? path : configPath(baseDir, path),
        format: value.format ?? 'json',
        minStatus: value.filter?.min_status ?? 0,
        errorsOnly: value.filter?.errors ?? false,
        sample: value.sample ?? 1,
      };
    });
}

/** `request_id`: the header carrying request IDs. */
export const requestId = strictObject(
  {
    header: optional(
      z.string().refine((name) => TOKEN.test(name), {
        error: (issue) => `must be a header field name, got ${describeValue(issue.input)}`,
      }),
    ),
  },
  'must be a mapping with a header',
);

/** `tracing`: whether traces start here, and OpenTelemetry spans. */
export const tracing = strictObject(
  {
    start_traces: optional(z.boolean()),
    opentelemetry: optional(z.boolean()),
  },
  'must be a mapping with start_traces and/or opentelemetry',
);
