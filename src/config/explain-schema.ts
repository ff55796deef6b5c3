/**
 * The schema of `explain`: what the running process keeps for `junction ctl preview`. Off by default:
 * `keep_requests: 0` keeps nothing and costs one branch per request.
 */
import type { ExplainConfig } from './types.ts';
import { integer, optional, strictObject } from './schema-toolkit.ts';

/** The most request heads a process keeps: a bound on the ring's memory, not a target. */
export const MAX_KEPT_REQUESTS = 100_000;

export const explainSection = strictObject(
  { keep_requests: optional(integer(0, MAX_KEPT_REQUESTS)) },
  'must be a mapping, as in { keep_requests: 1000 }',
);

export function buildExplainConfig(raw: { keep_requests?: number | undefined } | undefined): ExplainConfig {
  return { keepRequests: raw?.keep_requests ?? 0 };
}
