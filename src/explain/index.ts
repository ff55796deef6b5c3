/**
 * explain: owns evaluating a compiled config for one request without sending anything (`junction
 * explain`), and comparing two configs over many requests (`junction preview`). It walks the
 * transaction's phases with the real route table (RouteTable.explain()), the real compiled rules
 * (run against a recording context) and the real strategy plugins (over stand-in members), and
 * reports each step: listener, rules and what they changed, routes tried and the condition each
 * missed, cluster, strategy and backend, retries, timeouts, plugins' hook points, and the rules at
 * the response's hook points (listed, or run against a response the caller assumes:
 * response-side.ts).
 * Does not: open sockets, run plugins' hooks (their setup() runs once to list them), change a
 * running server's state, or re-implement the matcher or the rules.
 * Used by: cli/. Uses: config/, routes/, rules/, hooks/, strategies/, codec/, and pure helpers of
 * transaction/ and session/ (idempotency, upgrade policy, the HTTPS redirect's location).
 */
export {
  explain,
  chooseListener,
  type Explanation,
  type ExplainOptions,
  type Outcome,
  type RuleRun,
} from './evaluate.ts';
export { explanationFromJson, explanationJson, explanationText } from './format.ts';
export {
  assumedResponse,
  ExplainInputError,
  parseHeaderArg,
  parseRequestLine,
  type ExplainRequest,
} from './request.ts';
export {
  responseChanges,
  type AssumedResponse,
  type ResponseRuleRun,
  type ResponseSide,
} from './response-side.ts';
export type { HealthLookup } from './backend-pick.ts';
export {
  parseRequestsFile,
  preview,
  previewJson,
  previewText,
  summarize,
  type OutcomeSummary,
  type PreviewChange,
  type PreviewResult,
} from './preview.ts';
export { liveHealth, type LiveBackend } from './live-health.ts';
export {
  explainRequestOf,
  previewRecorded,
  recordOutcomes,
  type RecentRequests,
  type RecordedRequest,
} from './recent.ts';
