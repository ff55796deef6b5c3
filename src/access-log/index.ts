/**
 * access-log: one line per finished transaction, tunnel and TCP session. Owns the record's fields,
 * the JSON and template formats, filters and sampling, and the writers (stdout, stderr, files) with
 * their bounded buffers, failure handling and reopening on reload.
 * Does not: gather the facts (transaction/, tcp/ and session/ hand over a finished AccessRecord) or
 * decide request IDs (request-id.ts here only generates and checks them).
 * Used by: transaction/, session/, tcp/, config/ (template check), server/ (reopen, flush).
 * Uses: rules/features (format strings), log/, util/.
 */
export { AccessLog, accessLogFor } from './access-log.ts';
export type { AccessRecord } from './record.ts';
export { formatJson, jsonString } from './json-line.ts';
export { compileTemplate, TEMPLATE_NAMES } from './template.ts';
export { flushAccessLogs, reopenAccessLogs } from './writer.ts';
export { isWellFormedRequestId, newRequestId } from './request-id.ts';
