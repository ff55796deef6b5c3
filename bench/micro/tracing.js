// What trace context costs per transaction, on the built dist/: TxnTrace.begin (parse or start a trace,
// and the server span when OpenTelemetry is on), writeFields (the traceparent/tracestate of one upstream
// attempt) and end. Prints ns per transaction. Run: npm run build && node bench/micro/tracing.js
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { TxnTrace } from '../../dist/tracing/index.js';

function bench(name, iterations, fn) {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) fn(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`${name.padEnd(64)} ${ns.toFixed(1).padStart(9)} ns/txn`);
  return ns;
}

const request = {
  method: 'GET',
  path: '/api',
  scheme: 'http',
  host: 'app.test',
  port: '',
  clientAddress: '127.0.0.1',
};
const upstream = { host: '127.0.0.1', port: 8080 };
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const tracestate = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';
const off = { startTraces: false, openTelemetry: false };
const on = { startTraces: true, openTelemetry: false };
const otel = { startTraces: true, openTelemetry: true };
const N = 1_000_000;
let sink = 0;

function transaction(config, parent, state) {
  const trace = TxnTrace.begin(config, parent, state, request);
  if (trace === null) return;
  const headers = ['Host', 'app.test', 'Accept', '*/*'];
  trace.writeFields(headers, 'GET', upstream);
  trace.end(200, undefined, 'main');
  sink += headers.length;
}

bench('off (start_traces: false), no traceparent', N, () => transaction(off, undefined, undefined));
bench('trace started (the default), no traceparent', N, () => transaction(on, undefined, undefined));
bench('client trace continued, with tracestate', N, () => transaction(on, traceparent, tracestate));
bench('opentelemetry: true, no provider registered (no-op tracer)', N, () =>
  transaction(otel, traceparent, tracestate),
);
// With the SDK registered (spans recorded, no exporter): what recording costs before export.
trace.setGlobalTracerProvider(new BasicTracerProvider());
bench('opentelemetry: true, SDK provider registered (no exporter)', N / 4, () =>
  transaction(otel, traceparent, tracestate),
);
if (sink === 0) console.log('');
