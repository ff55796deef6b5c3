/** The start of a transaction as tracing sees it: the trace it continues or starts, and its server span. */
import type { RequestHead } from '../codec/types.ts';
import { TxnTrace } from '../tracing/index.ts';
import type { SessionPort } from './session-port.ts';
import type { RuntimeSnapshot } from './snapshot.ts';

const DEFAULT_TRACING = { startTraces: true, openTelemetry: false } as const;

export function beginTrace(
  head: RequestHead,
  session: SessionPort,
  snapshot: RuntimeSnapshot,
): TxnTrace | null {
  let traceparent: string | undefined;
  let tracestate: string | undefined;
  const headers = head.headers;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length !== 11 && name.length !== 10) continue;
    const lower = name.toLowerCase();
    // A repeated traceparent is ambiguous: the first one counts. Repeated tracestate fields are one list.
    if (lower === 'traceparent') traceparent ??= headers[i + 1];
    else if (lower === 'tracestate') {
      tracestate = tracestate === undefined ? headers[i + 1] : `${tracestate},${headers[i + 1]!}`;
    }
  }
  return TxnTrace.begin(snapshot.config.tracing ?? DEFAULT_TRACING, traceparent, tracestate, {
    method: head.method,
    path: head.path,
    scheme: session.scheme,
    host: head.host,
    port: head.port,
    clientAddress: session.clientAddress,
  });
}
