/**
 * A transaction's trace: the trace it belongs to (continued from the client's `traceparent` or started
 * here), Junction's span in it, and, when `tracing.opentelemetry` is on, the OpenTelemetry server span
 * and one client span per upstream attempt, made through `@opentelemetry/api` only.
 */
import { isIP } from 'node:net';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  createTraceState,
  isSpanContextValid,
  trace,
  type Attributes,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { TracingConfig } from '../config/types.ts';
import {
  acceptedTracestate,
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
} from './trace-context.ts';

/** The instrumentation scope Junction's spans are recorded under. */
export const TRACER_NAME = 'junction';

/** What a server span describes of the request. */
export interface TracedRequest {
  readonly method: string;
  readonly path: string;
  readonly scheme: string;
  /** Lower-cased, without port. */
  readonly host: string;
  /** The port the client named; '' for none (the scheme's). */
  readonly port: string;
  readonly clientAddress: string;
}

/** The upstream an attempt went to. */
export interface TracedUpstream {
  readonly host: string;
  readonly port: number;
}

const SAMPLED = 1;

export class TxnTrace {
  readonly traceId: string;
  /** Junction's span: the OpenTelemetry server span's id when there is one, else an id of its own. */
  readonly spanId: string;
  readonly flags: number;
  readonly tracestate: string | undefined;
  readonly #server: Span | undefined;
  readonly #tracer: Tracer | undefined;
  #client: Span | undefined = undefined;

  private constructor(
    traceId: string,
    spanId: string,
    flags: number,
    tracestate: string | undefined,
    server: Span | undefined,
    tracer?: Tracer,
  ) {
    this.traceId = traceId;
    this.spanId = spanId;
    this.flags = flags;
    this.tracestate = tracestate;
    this.#server = server;
    this.#tracer = tracer;
  }

  /**
   * The trace of a new transaction, from its `traceparent` and `tracestate` values: null when none
   * came (or a malformed one) and traces are not started here. A tracestate without a valid
   * traceparent is dropped, as the spec says.
   */
  static begin(
    config: TracingConfig,
    traceparent: string | undefined,
    tracestate: string | undefined,
    request: TracedRequest,
  ): TxnTrace | null {
    const parent = parseTraceparent(traceparent);
    if (parent === null && !config.startTraces) return null;
    const state = parent === null ? undefined : acceptedTracestate(tracestate);
    const tracer = config.openTelemetry ? registeredTracer() : undefined;
    if (tracer !== undefined) {
      const server = startServerSpan(tracer, parent, state, request);
      const context = server.spanContext();
      // A no-op tracer (no provider registered) hands back the parent's context, or an invalid one
      // without a parent: then Junction's span gets an id of its own, and no client spans are made.
      if (isSpanContextValid(context) && context.spanId !== parent?.spanId) {
        return new TxnTrace(context.traceId, context.spanId, context.traceFlags, state, server, tracer);
      }
    }
    if (parent === null) return new TxnTrace(newTraceId(), newSpanId(), SAMPLED, undefined, undefined);
    return new TxnTrace(parent.traceId, newSpanId(), parent.flags, state, undefined);
  }

  /**
   * Sets the `traceparent` (and the accepted `tracestate`) an upstream attempt carries, replacing the
   * client's: its parent-id is the attempt's client span when there is one, else Junction's span.
   */
  writeFields(headers: string[], method: string, upstream: TracedUpstream | undefined): void {
    let spanId = this.spanId;
    const server = this.#server;
    if (server !== undefined) {
      this.#client?.end(); // an attempt that ended without a word (should not happen)
      const client = startClientSpan(this.#tracer!, server, method, upstream);
      this.#client = client;
      const context = client.spanContext();
      if (isSpanContextValid(context)) spanId = context.spanId;
    }
    for (let i = 0; i < headers.length; i += 2) {
      const length = headers[i]!.length;
      if (length !== 11 && length !== 10) continue;
      const name = headers[i]!.toLowerCase();
      if (name === 'traceparent' || name === 'tracestate') {
        headers.splice(i, 2);
        i -= 2;
      }
    }
    headers.push('traceparent', formatTraceparent(this.traceId, spanId, this.flags));
    if (this.tracestate !== undefined) headers.push('tracestate', this.tracestate);
  }

  /** The current attempt is over: its client span ends with the upstream's status or the error. */
  attemptEnded(status: number, errorType: string | undefined): void {
    const client = this.#client;
    if (client === undefined) return;
    this.#client = undefined;
    endSpan(client, status, errorType);
  }

  /** The transaction is over: the server span ends (an attempt still open ends first). */
  end(status: number, errorType: string | undefined, route: string | undefined): void {
    this.attemptEnded(status, errorType);
    const server = this.#server;
    if (server === undefined) return;
    if (route !== undefined) server.setAttribute('junction.route', route);
    endSpan(server, status, errorType);
  }
}

/**
 * Junction's tracer from the provider the program registered; undefined when none is (the API's global
 * is then a proxy without a delegate), so no span work is done at all.
 */
function registeredTracer(): Tracer | undefined {
  // The API's global provider is a proxy whose getDelegateTracer() is undefined until a provider is
  // registered; should a later API drop it, getTracer() still works (the no-op check in begin() stays).
  const provider: TracerProvider & { getDelegateTracer?: (name: string) => Tracer | undefined } =
    trace.getTracerProvider();
  return typeof provider.getDelegateTracer === 'function'
    ? provider.getDelegateTracer(TRACER_NAME)
    : provider.getTracer(TRACER_NAME);
}

function startServerSpan(
  tracer: Tracer,
  parent: ReturnType<typeof parseTraceparent>,
  tracestate: string | undefined,
  request: TracedRequest,
): Span {
  const context =
    parent === null
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId: parent.traceId,
          spanId: parent.spanId,
          traceFlags: parent.flags,
          isRemote: true,
          ...(tracestate === undefined ? {} : { traceState: createTraceState(tracestate) }),
        });
  const port = request.port === '' ? (request.scheme === 'https' ? 443 : 80) : Number(request.port);
  const attributes: Attributes = {
    'http.request.method': request.method,
    'url.path': request.path,
    'url.scheme': request.scheme,
    'server.address': request.host,
    'server.port': port,
    'client.address': request.clientAddress,
    'network.peer.address': request.clientAddress,
  };
  return tracer.startSpan(request.method, { kind: SpanKind.SERVER, attributes }, context);
}

function startClientSpan(
  tracer: Tracer,
  server: Span,
  method: string,
  upstream: TracedUpstream | undefined,
): Span {
  const attributes: Attributes = { 'http.request.method': method };
  if (upstream !== undefined) {
    attributes['server.address'] = upstream.host;
    attributes['server.port'] = upstream.port;
    if (isIP(upstream.host) !== 0) attributes['network.peer.address'] = upstream.host;
  }
  return tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, trace.setSpan(ROOT_CONTEXT, server));
}

/** Status and error attributes, then end: a 5xx or an error marks the span failed. */
function endSpan(span: Span, status: number, errorType: string | undefined): void {
  if (status > 0) span.setAttribute('http.response.status_code', status);
  const type = errorType ?? (status >= 500 ? String(status) : undefined);
  if (type !== undefined) span.setAttribute('error.type', type);
  if (status >= 500 || (status === 0 && errorType !== undefined)) {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      ...(errorType === undefined ? {} : { message: errorType }),
    });
  }
  span.end();
}
