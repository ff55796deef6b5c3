import { describe, expect, it } from 'vitest';
import { parseMetricsText } from '../metrics/index.ts';
import { junctionFamilies } from './dashboard-state.ts';
import { readMetrics } from './metrics-reading.ts';

const SCRAPE = `# HELP junction_requests_total Finished requests.
# TYPE junction_requests_total counter
junction_requests_total{listener="main",route="api",cluster="app",method="GET",code="200"} 90
junction_requests_total{listener="main",route="api",cluster="app",method="GET",code="503"} 10
junction_requests_total{listener="main",route="",cluster="",method="GET",code="404"} 5

# HELP junction_request_duration_seconds Duration.
# TYPE junction_request_duration_seconds histogram
junction_request_duration_seconds_bucket{route="api",le="0.01"} 50
junction_request_duration_seconds_bucket{route="api",le="0.1"} 100
junction_request_duration_seconds_bucket{route="api",le="+Inf"} 100
junction_request_duration_seconds_sum{route="api"} 2
junction_request_duration_seconds_count{route="api"} 100

# HELP junction_listener_connections_open Open.
# TYPE junction_listener_connections_open gauge
junction_listener_connections_open{listener="main"} 3
# HELP junction_listener_sent_bytes_total Sent.
# TYPE junction_listener_sent_bytes_total counter
junction_listener_sent_bytes_total{listener="main"} 4096

# HELP junction_upstream_attempts_total Attempts.
# TYPE junction_upstream_attempts_total counter
junction_upstream_attempts_total{cluster="app",outcome="success",code=""} 95
junction_upstream_attempts_total{cluster="app",outcome="unreached",code="JCT_ERR_CONNECT_REFUSED"} 4
junction_upstream_attempts_total{cluster="app",outcome="failure",code="JCT_ERR_UPSTREAM_TIMEOUT"} 1

# HELP junction_backend_attempt_failures_total Failures.
# TYPE junction_backend_attempt_failures_total counter
junction_backend_attempt_failures_total{cluster="app",backend="a:1"} 5
# HELP nodejs_eventloop_lag_seconds Lag.
# TYPE nodejs_eventloop_lag_seconds gauge
nodejs_eventloop_lag_seconds Nan
`;

describe('readMetrics', () => {
  it("reads the dashboard's series out of a scrape, leaving the process metrics aside", () => {
    const reading = readMetrics(parseMetricsText(junctionFamilies(SCRAPE)));
    expect(reading.totals).toEqual({ requests: 105, errors: 10, received: 0, sent: 4096 });
    expect(reading.routes.get('api')).toEqual({
      requests: 100,
      errors: 10,
      duration: { bounds: [0.01, 0.1, Infinity], cumulative: [50, 100, 100] },
    });
    expect(reading.routes.get('')).toMatchObject({ requests: 5, errors: 0 });
    expect(reading.listeners.get('main')).toEqual({ open: 3, queued: 0, received: 0, sent: 4096 });
    expect(Object.fromEntries(reading.clusterFailures.get('app')!)).toEqual({
      JCT_ERR_CONNECT_REFUSED: 4,
      JCT_ERR_UPSTREAM_TIMEOUT: 1,
    });
    expect(reading.backends.get('app/a:1')).toEqual({ attempts: 0, failures: 5 });
  });

  it('needs the filter: the whole scrape may not be valid text format', () => {
    expect(() => parseMetricsText(SCRAPE)).toThrow();
  });
});
