import { describe, expect, test } from 'vitest';
import type { SessionPort, TxnEnd } from '../server/index.ts';
import { Histogram, LATENCY_BUCKETS, RequestMetrics } from './request-metrics.ts';

function session(listener: string, bytesRead: number, bytesWritten: number): SessionPort {
  return { listener: { name: listener }, bytesRead, bytesWritten } as unknown as SessionPort;
}

function end(overrides: Partial<Record<keyof TxnEnd, unknown>> & { method?: string | null }): TxnEnd {
  const { method = 'GET', ...rest } = overrides;
  return {
    head: method === null ? null : { method },
    requestId: 'r',
    route: { name: 'api' },
    cluster: 'backends',
    upstream: undefined,
    status: 200,
    errorCode: undefined,
    startedAt: 1000,
    upstreamHeadAt: 0,
    attempts: 1,
    readMark: 0,
    writeMark: 0,
    tunnel: undefined,
    ...rest,
  } as unknown as TxnEnd;
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('RequestMetrics', () => {
  test('counts requests by listener, route, cluster, method and code', () => {
    const m = new RequestMetrics();
    m.transactionEnded(session('main', 100, 300), end({}), 1002);
    m.transactionEnded(session('main', 100, 300), end({}), 1002);
    m.transactionEnded(session('main', 100, 300), end({ method: 'POST', status: 502 }), 1002);
    // A method outside the standard ones, and an unreadable head: OTHER, never the value sent.
    m.transactionEnded(session('main', 100, 300), end({ method: 'BREW' }), 1002);
    m.transactionEnded(
      session('main', 10, 20),
      end({ method: null, status: 400, route: undefined, cluster: undefined }),
      1000,
    );
    const text = m.render();
    const base = 'junction_requests_total{listener="main",route="api",cluster="backends"';
    expect(value(text, `${base},method="GET",code="200"}`)).toBe(2);
    expect(value(text, `${base},method="POST",code="502"}`)).toBe(1);
    expect(value(text, `${base},method="OTHER",code="200"}`)).toBe(1);
    expect(
      value(text, 'junction_requests_total{listener="main",route="",cluster="",method="OTHER",code="400"}'),
    ).toBe(1);
    expect(text).not.toContain('BREW');
    expect(value(text, 'junction_listener_received_bytes_total{listener="main"}')).toBe(410);
    expect(value(text, 'junction_listener_sent_bytes_total{listener="main"}')).toBe(1220);
  });

  test('histograms: cumulative buckets, sum and count', () => {
    const m = new RequestMetrics();
    m.transactionEnded(session('main', 0, 0), end({ upstreamHeadAt: 1001 }), 1002); // 2 ms
    m.transactionEnded(session('main', 0, 0), end({}), 1300); // 300 ms
    m.transactionEnded(session('main', 0, 0), end({}), 1000 + 120_000); // past the last bucket
    const text = m.render();
    const h = 'junction_request_duration_seconds';
    expect(value(text, `${h}_bucket{route="api",le="0.001"}`)).toBe(0);
    expect(value(text, `${h}_bucket{route="api",le="0.0025"}`)).toBe(1);
    expect(value(text, `${h}_bucket{route="api",le="0.5"}`)).toBe(2);
    expect(value(text, `${h}_bucket{route="api",le="60"}`)).toBe(2);
    expect(value(text, `${h}_bucket{route="api",le="+Inf"}`)).toBe(3);
    expect(value(text, `${h}_count{route="api"}`)).toBe(3);
    expect(value(text, `${h}_sum{route="api"}`)).toBeCloseTo(120.302, 6);
    const u = 'junction_upstream_response_head_seconds';
    expect(value(text, `${u}_count{cluster="backends"}`)).toBe(1);
    expect(value(text, `${u}_sum{cluster="backends"}`)).toBeCloseTo(0.001, 6);
  });

  test('attempts by outcome and code, retries by reason, connect times', () => {
    const m = new RequestMetrics();
    m.attemptEnded('api', 'success', undefined);
    m.attemptEnded('api', 'success', undefined);
    m.attemptEnded('api', 'unreached', 'JCT_ERR_UPSTREAM_CONNECT');
    m.retried('api', 'connect-failure');
    m.connected('api', 3);
    const text = m.render();
    expect(value(text, 'junction_upstream_attempts_total{cluster="api",outcome="success",code=""}')).toBe(2);
    expect(
      value(
        text,
        'junction_upstream_attempts_total{cluster="api",outcome="unreached",code="JCT_ERR_UPSTREAM_CONNECT"}',
      ),
    ).toBe(1);
    expect(value(text, 'junction_upstream_retries_total{cluster="api",reason="connect-failure"}')).toBe(1);
    expect(text).not.toContain('reason="stale"');
    expect(value(text, 'junction_upstream_connect_duration_seconds_bucket{cluster="api",le="0.005"}')).toBe(
      1,
    );
    expect(value(text, 'junction_upstream_connect_duration_seconds_count{cluster="api"}')).toBe(1);
  });

  test('many label sets keep their own counts (slots grow)', () => {
    const m = new RequestMetrics();
    for (let status = 200; status < 240; status++) {
      for (let i = 0; i <= status - 200; i++)
        m.transactionEnded(session('main', 0, 0), end({ status }), 1000);
    }
    const text = m.render();
    for (let status = 200; status < 240; status++) {
      const series = `junction_requests_total{listener="main",route="api",cluster="backends",method="GET",code="${status}"}`;
      expect(value(text, series)).toBe(status - 199);
    }
  });

  test('a label value is escaped', () => {
    const m = new RequestMetrics();
    m.transactionEnded(session('a"b', 0, 0), end({}), 1000);
    expect(m.render()).toContain('listener="a\\"b"');
  });
});

describe('Histogram', () => {
  test('a value on a bound falls in that bucket (le is inclusive)', () => {
    const h = new Histogram(LATENCY_BUCKETS);
    h.observe(0.001);
    expect(h.counts[0]).toBe(1);
  });
});
