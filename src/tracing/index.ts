/**
 * tracing: W3C Trace Context for transactions (the `traceparent`/`tracestate` sent upstream, a trace
 * started when none came in, the trace id the access log writes) and OpenTelemetry spans through
 * `@opentelemetry/api` when `tracing.opentelemetry` is on.
 * Does not: export spans (the embedding program's tracer provider does) or log.
 * Used by: transaction/.
 * Uses: config/ (types), @opentelemetry/api.
 */
export {
  acceptedTracestate,
  formatTraceparent,
  MAX_TRACESTATE_LENGTH,
  newSpanId,
  newTraceId,
  parseTraceparent,
  type TraceParent,
} from './trace-context.ts';
export { TRACER_NAME, TxnTrace, type TracedRequest, type TracedUpstream } from './txn-trace.ts';
