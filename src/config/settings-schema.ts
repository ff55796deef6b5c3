/** The schema of the process-wide settings: timeouts, limits, forwarded headers and worker processes. */
import * as z from 'zod';
import {
  DEFAULT_MAX_HEAD_BYTES,
  DEFAULT_MAX_REQUEST_LINE_BYTES,
  MAX_BODY_BYTES,
  MAX_HEAD_BYTES,
  MAX_HEADER_COUNT,
  MAX_WORKERS,
  MIN_HEAD_BYTES,
} from './defaults.ts';
import { describeValue } from './describe-value.ts';
import { duration, integer, optional, size, strictObject } from './schema-toolkit.ts';

export const timeouts = strictObject(
  {
    connect: optional(duration(1)),
    client_head: optional(duration(1)),
    client_idle: optional(duration(1)),
    backend_response: optional(duration(1)),
    backend_idle: optional(duration(1)),
    backend_body: optional(duration(1)),
    client_body: optional(duration(1)),
    tunnel_idle: optional(duration(1)),
    // Zero: no limit on a connection's lifetime.
    max_session: optional(duration(0)),
    tcp_idle: optional(duration(1)),
    // Zero is meaningful here: cut in-flight transactions at once.
    shutdown_grace: optional(duration(0)),
  },
  'must be a mapping of timeout names to durations',
);

export const limits = strictObject(
  {
    max_head_size: optional(size(MIN_HEAD_BYTES, MAX_HEAD_BYTES)),
    max_header_count: optional(integer(1, MAX_HEADER_COUNT)),
    max_request_line: optional(size(64, MAX_HEAD_BYTES)),
    max_body_size: optional(size(0, MAX_BODY_BYTES)),
    max_pipelined_size: optional(size(MIN_HEAD_BYTES, MAX_HEAD_BYTES * 16)),
    max_response_head_size: optional(size(MIN_HEAD_BYTES, MAX_HEAD_BYTES)),
    max_response_header_count: optional(integer(1, MAX_HEADER_COUNT)),
  },
  'must be a mapping of limit names to values',
).superRefine((value, ctx) => {
  // The request line is part of the head, so a larger line limit could never be reached.
  const line = value.max_request_line ?? DEFAULT_MAX_REQUEST_LINE_BYTES;
  const head = value.max_head_size ?? DEFAULT_MAX_HEAD_BYTES;
  if (line > head) {
    ctx.addIssue({
      code: 'custom',
      path: value.max_request_line === undefined ? ['max_head_size'] : ['max_request_line'],
      message: `max_request_line (${line} bytes) must not exceed max_head_size (${head} bytes)`,
    });
  }
});

export const forwarded = strictObject(
  {
    x_forwarded_for: optional(z.boolean()),
    x_forwarded_proto: optional(z.boolean()),
    x_forwarded_host: optional(z.boolean()),
  },
  'must be a mapping of header names to true or false',
);

/** `workers`: `auto` (one per core) or a count of worker processes. */
export const workers = z.union([z.literal('auto'), z.number().int().min(1).max(MAX_WORKERS)], {
  error: (issue) =>
    `must be auto or a whole number from 1 to ${MAX_WORKERS}, got ${describeValue(issue.input)}`,
});
