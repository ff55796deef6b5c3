/**
 * Trace context over real sockets: the traceparent a backend receives (the client's trace, Junction's
 * span as parent; a trace started when none came; a malformed one treated as absent), tracestate passed
 * on, trace_id in the access log, and OpenTelemetry spans recorded by the SDK's in-memory exporter.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { expect, onTestFinished, test } from 'vitest';
import { echoBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

async function setUp(tracing: string, status = 200) {
  const dir = mkdtempSync(join(tmpdir(), 'junction-tracing-'));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const log = join(dir, 'access.log');
  const backend = await echoBackend('app', { status });
  onTestFinished(() => backend.close());
  const junction = await startJunctionFromYaml(`
listeners: [{ name: web, address: 127.0.0.1, port: 0 }]
access_log: { path: ${log} }
${tracing}
routes: [{ name: main, cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  onTestFinished(() => junction.close());
  const accessLine = (n: number) =>
    waitFor(
      () => {
        const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
        return lines.length > n ? (JSON.parse(lines[n]!) as Record<string, unknown>) : undefined;
      },
      { what: `access line ${n + 1}` },
    );
  return { backend, junction, accessLine };
}

function sentUpstream(value: unknown): { traceId: string; parentId: string; flags: string } {
  expect(value).toMatch(TRACEPARENT);
  const [, traceId, parentId, flags] = TRACEPARENT.exec(value as string)!;
  return { traceId: traceId!, parentId: parentId!, flags: flags! };
}

test('a client trace is continued: same trace, Junction span as parent, tracestate unchanged, trace_id logged', async () => {
  const { backend, junction, accessLine } = await setUp('');
  const res = await request(junction.port, {
    headers: {
      traceparent: `00-${TRACE}-${CLIENT_SPAN}-01`,
      tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    },
  });
  expect(res.status).toBe(200);
  const seen = backend.requests[0]!.headers;
  const sent = sentUpstream(seen['traceparent']);
  expect(sent.traceId).toBe(TRACE);
  expect(sent.parentId).not.toBe(CLIENT_SPAN);
  expect(sent.flags).toBe('01');
  expect(seen['tracestate']).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  expect((await accessLine(0))['trace_id']).toBe(TRACE);
});

test('without a traceparent a trace is started; a malformed one counts as absent and its tracestate is dropped', async () => {
  const { backend, junction, accessLine } = await setUp('');
  await request(junction.port);
  const started = sentUpstream(backend.requests[0]!.headers['traceparent']);
  expect((await accessLine(0))['trace_id']).toBe(started.traceId);

  await request(junction.port, {
    headers: { traceparent: `00-${TRACE.toUpperCase()}-${CLIENT_SPAN}-01`, tracestate: 'rojo=1' },
  });
  const seen = backend.requests[1]!.headers;
  const fresh = sentUpstream(seen['traceparent']);
  expect(fresh.traceId).not.toBe(TRACE.toLowerCase());
  expect(fresh.traceId).not.toBe(started.traceId);
  expect(seen['tracestate']).toBeUndefined();
  expect((await accessLine(1))['trace_id']).toBe(fresh.traceId);
});

test('tracing.start_traces false: nothing is added to a request without a trace, trace_id is null', async () => {
  const { backend, junction, accessLine } = await setUp('tracing: { start_traces: false }');
  await request(junction.port);
  expect(backend.requests[0]!.headers['traceparent']).toBeUndefined();
  expect((await accessLine(0))['trace_id']).toBeNull();
  // A client's trace is still continued.
  await request(junction.port, { headers: { traceparent: `00-${TRACE}-${CLIENT_SPAN}-00` } });
  expect(sentUpstream(backend.requests[1]!.headers['traceparent']).traceId).toBe(TRACE);
});

function registerProvider(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  onTestFinished(async () => {
    trace.disable();
    await provider.shutdown();
  });
  return exporter;
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

test('with a tracer provider: a server span and a client span, parented, attributed, the client span id upstream', async () => {
  const exporter = registerProvider();
  const { backend, junction, accessLine } = await setUp('tracing: { opentelemetry: true }');
  const res = await request(junction.port, {
    path: '/a/b?x=1',
    headers: { host: 'app.test:8080', traceparent: `00-${TRACE}-${CLIENT_SPAN}-01` },
  });
  expect(res.status).toBe(200);
  const spans = await waitFor(
    () => (exporter.getFinishedSpans().length >= 2 ? exporter.getFinishedSpans() : undefined),
    {
      what: 'two finished spans',
    },
  );
  const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
  const client = spans.find((span) => span.kind === SpanKind.CLIENT)!;
  expect(server.spanContext().traceId).toBe(TRACE);
  expect(parentOf(server)).toBe(CLIENT_SPAN);
  expect(client.spanContext().traceId).toBe(TRACE);
  expect(parentOf(client)).toBe(server.spanContext().spanId);
  expect(server.instrumentationScope.name).toBe('junction');
  expect(server.attributes).toMatchObject({
    'http.request.method': 'GET',
    'url.path': '/a/b',
    'url.scheme': 'http',
    'server.address': 'app.test',
    'server.port': 8080,
    'network.peer.address': '127.0.0.1',
    'http.response.status_code': 200,
    'junction.route': 'main',
  });
  expect(client.attributes).toMatchObject({
    'http.request.method': 'GET',
    'server.address': '127.0.0.1',
    'server.port': backend.port,
    'network.peer.address': '127.0.0.1',
    'http.response.status_code': 200,
  });
  expect(server.status.code).toBe(SpanStatusCode.UNSET);
  const sent = sentUpstream(backend.requests[0]!.headers['traceparent']);
  expect(sent.traceId).toBe(TRACE);
  expect(sent.parentId).toBe(client.spanContext().spanId);
  expect((await accessLine(0))['trace_id']).toBe(TRACE);
});

test('with a tracer provider: a 5xx marks both spans failed; a started trace is the SDK one', async () => {
  const exporter = registerProvider();
  const { backend, junction, accessLine } = await setUp('tracing: { opentelemetry: true }', 503);
  expect((await request(junction.port)).status).toBe(503);
  const spans = await waitFor(
    () => (exporter.getFinishedSpans().length >= 2 ? exporter.getFinishedSpans() : undefined),
    {
      what: 'two finished spans',
    },
  );
  for (const span of spans) {
    expect(span.status.code, span.name).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['http.response.status_code']).toBe(503);
    expect(span.attributes['error.type']).toBe('503');
  }
  const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
  expect(parentOf(server)).toBeUndefined();
  const traceId = server.spanContext().traceId;
  expect(sentUpstream(backend.requests[0]!.headers['traceparent']).traceId).toBe(traceId);
  expect((await accessLine(0))['trace_id']).toBe(traceId);
});

test('opentelemetry on without a registered provider: trace context still propagates with ids of its own', async () => {
  trace.disable();
  const { backend, junction } = await setUp('tracing: { opentelemetry: true }');
  await request(junction.port, { headers: { traceparent: `00-${TRACE}-${CLIENT_SPAN}-01` } });
  const sent = sentUpstream(backend.requests[0]!.headers['traceparent']);
  expect(sent.traceId).toBe(TRACE);
  expect(sent.parentId).not.toBe(CLIENT_SPAN);
});

test('with a tracer provider: a retried request has one client span per attempt, each named upstream', async () => {
  const exporter = registerProvider();
  const busy = await echoBackend('busy', { status: 503 });
  onTestFinished(() => busy.close());
  const healthy = await echoBackend('healthy');
  onTestFinished(() => healthy.close());
  const junction = await startJunctionFromYaml(`
tracing: { opentelemetry: true }
routes: [{ cluster: app }]
clusters:
  app:
    strategy: first-available
    health: { passive: { consecutive_failures: 0 } }
    retry: { attempts: 3, on: [503], backoff: { base: 0ms } }
    backends: ["${busy.address}", "${healthy.address}"]
`);
  onTestFinished(() => junction.close());
  expect((await request(junction.port)).status).toBe(200);
  const spans = await waitFor(
    () => (exporter.getFinishedSpans().length >= 3 ? exporter.getFinishedSpans() : undefined),
    { what: 'three finished spans' },
  );
  const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
  const clients = spans.filter((span) => span.kind === SpanKind.CLIENT);
  expect(clients).toHaveLength(2);
  for (const client of clients) expect(parentOf(client)).toBe(server.spanContext().spanId);
  const [first, second] = clients;
  expect(first!.attributes['server.port']).toBe(busy.port);
  expect(first!.status.code).toBe(SpanStatusCode.ERROR);
  expect(first!.attributes['error.type']).toBe('503');
  expect(second!.attributes['server.port']).toBe(healthy.port);
  expect(second!.attributes['http.response.status_code']).toBe(200);
  expect(server.status.code).toBe(SpanStatusCode.UNSET);
  expect(sentUpstream(busy.requests[0]!.headers['traceparent']).parentId).toBe(first!.spanContext().spanId);
  expect(sentUpstream(healthy.requests[0]!.headers['traceparent']).parentId).toBe(
    second!.spanContext().spanId,
  );
});
