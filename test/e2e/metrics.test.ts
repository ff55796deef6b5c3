/**
 * The metrics and health endpoints over real sockets: known traffic through a real Junction, then
 * `GET /metrics` on the admin API shows it by listener, cluster and backend name, and per request by
 * route, cluster, method and code (502, 503, 504 and 400 included), with latency histograms, upstream
 * attempts and retries; counters survive a reload that rebuilds what holds them or renames a route; `promtool check metrics` accepts the scrape; `/healthz` and
 * `/ready` answer without a token, and `/ready` turns 503 once Junction shuts down.
 */
import { connect } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { loadConfigText } from '../../src/config/index.ts';
import {
  closedPort,
  countingBackend,
  garbageBackend,
  neverAnswerBackend,
  slowHeadBackend,
  type HttpBackend,
} from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { rawRequest, request } from '../support/clients.ts';
import { httpsGet } from '../support/tls-clients.ts';
import {
  promtoolCheck,
  requirePrometheusTool,
  startWithAdmin,
  type JunctionWithAdmin,
} from '../support/metrics.ts';
import { spawnJunction, tempConfigFile } from '../support/junction-process.ts';
import { backendList } from '../support/start-junction.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';

async function backends(count: number): Promise<HttpBackend[]> {
  const started = await Promise.all(Array.from({ length: count }, (_, i) => countingBackend(`b${i}`)));
  for (const b of started) onTestFinished(() => b.close());
  return started;
}

function yaml(b0: HttpBackend, b1: HttpBackend, down: number, apiExtra = ''): string {
  return `listeners: [{ name: main, address: 127.0.0.1, port: 0 }]
routes:
  - { name: down, match: { path: /down/ }, cluster: down }
  - { name: all, match: { path: / }, cluster: api }
clusters:
  api: { strategy: round-robin, backends: [{ address: "${b0.address}", id: one }, { address: "${b1.address}", id: two }]${apiExtra} }
  down: { backends: ${backendList(down)}, retry: { attempts: 2, backoff: { base: 0ms } } }
`;
}

/** Waits until the scrape shows `series` at `expected` (attempts are counted as they finish). */
async function expectSeries(a: JunctionWithAdmin, series: string, expected: number): Promise<void> {
  await waitFor(async () => (await a.scrape()).value(series) === expected, {
    timeoutMs: 5_000,
    intervalMs: 50,
    what: `${series} = ${expected}`,
  });
}

describe('GET /metrics', () => {
  test('counts the traffic sent, by listener, cluster and backend', async () => {
    const [b0, b1] = await backends(2);
    const down = await closedPort();
    const a = await startWithAdmin(yaml(b0!, b1!, down));
    const port = a.junction.port;

    for (let i = 0; i < 6; i++) expect((await request(port, { path: `/x/${i}` })).status).toBe(200);
    expect((await request(port, { path: '/down/' })).status).toBe(503);

    await expectSeries(a, 'junction_backend_attempts_total{cluster="api",backend="one"}', 3);
    const scrape = await a.scrape();
    expect(scrape.value('junction_backend_attempts_total{cluster="api",backend="two"}')).toBe(3);
    expect(scrape.value('junction_backend_attempt_failures_total{cluster="api",backend="one"}')).toBe(0);
    expect(scrape.value('junction_cluster_requests_total{cluster="api"}')).toBe(6);
    expect(scrape.value('junction_cluster_retries_total{cluster="api"}')).toBe(0);
    // Seven requests, each on a connection of its own (node:http without an agent closes it).
    expect(scrape.value('junction_listener_connections_accepted_total{listener="main"}')).toBe(7);
    expect(
      scrape.value('junction_listener_connections_refused_total{listener="main",reason="accept_queue"}'),
    ).toBe(0);
    expect(scrape.value('junction_backend_up{cluster="api",backend="one"}')).toBe(1);
    expect(scrape.value('junction_backend_connections{cluster="api",backend="one",state="busy"}')).toBe(0);
    expect(scrape.value('junction_backend_connections_opened_total{cluster="api",backend="one"}')).toBe(1);
    expect(scrape.value('junction_backend_connection_reuses_total{cluster="api",backend="one"}')).toBe(2);
    // The closed port: both attempts failed to connect; the retry after a failed connect is exempt from
    // the budget, so the budget counted none.
    const downId = `127.0.0.1:${down}`;
    expect(scrape.value(`junction_backend_connect_failures_total{cluster="down",backend="${downId}"}`)).toBe(
      2,
    );
    expect(scrape.value(`junction_backend_attempt_failures_total{cluster="down",backend="${downId}"}`)).toBe(
      2,
    );
    expect(scrape.value('junction_cluster_requests_total{cluster="down"}')).toBe(1);
    expect(scrape.value('junction_cluster_retries_total{cluster="down"}')).toBe(0);
    expect(scrape.value('junction_config_version')).toBe(1);
    expect(scrape.value('junction_config_reloads_total{result="applied"}')).toBe(0);
    expect(scrape.text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    // Labels are config names only: no request path made it into a series.
    expect(scrape.text).not.toContain('/x/');
  });

  test('counters stay monotonic across a reload that rebuilds the cluster, and refused reloads count', async () => {
    const [b0, b1] = await backends(2);
    const down = await closedPort();
    const a = await startWithAdmin(yaml(b0!, b1!, down));
    const port = a.junction.port;
    for (let i = 0; i < 4; i++) expect((await request(port)).status).toBe(200);
    await expectSeries(a, 'junction_cluster_requests_total{cluster="api"}', 4);

    // A changed cluster gets a new runtime whose retry counters start from 0.
    const changed = await loadConfigText(yaml(b0!, b1!, down, ', retry: { attempts: 2 }'), '<e2e>');
    await a.junction.server.reload(changed);
    for (let i = 0; i < 2; i++) expect((await request(port)).status).toBe(200);
    await expectSeries(a, 'junction_cluster_requests_total{cluster="api"}', 6);

    // A listener that cannot bind (the port is a backend's) refuses the reload.
    const clash = await loadConfigText(
      yaml(b0!, b1!, down).replace(
        'listeners: [{ name: main, address: 127.0.0.1, port: 0 }]',
        `listeners: [{ name: main, address: 127.0.0.1, port: 0 }, { name: clash, address: 127.0.0.1, port: ${b0!.port} }]`,
      ),
      '<e2e>',
    );
    await expect(a.junction.server.reload(clash)).rejects.toThrow(/could not bind/);
    const scrape = await a.scrape();
    expect(scrape.value('junction_config_version')).toBe(2);
    expect(scrape.value('junction_config_reloads_total{result="applied"}')).toBe(1);
    expect(scrape.value('junction_config_reloads_total{result="refused"}')).toBe(1);
    expect(scrape.value('junction_backend_attempts_total{cluster="api",backend="one"}')).toBe(3);
    const appliedAt = scrape.value('junction_config_last_reload_timestamp_seconds')!;
    expect(Math.abs(appliedAt - Date.now() / 1000)).toBeLessThan(60);
  });

  test('promtool check metrics accepts the scrape', async (context) => {
    const promtool = requirePrometheusTool(context, 'promtool');
    const [b0, b1] = await backends(2);
    const a = await startWithAdmin(yaml(b0!, b1!, await closedPort()));
    expect((await request(a.junction.port)).status).toBe(200);
    // Every per-request metric has series: the closed port's retry, connect times, histograms.
    expect((await request(a.junction.port, { path: '/down/' })).status).toBe(503);
    await waitFor(async () => (await a.scrape()).text.includes('junction_upstream_retries_total{'), {
      what: 'the retry to be counted',
    });
    const { text } = await a.scrape();
    expect(await promtoolCheck(promtool, text)).toEqual({ code: 0, output: '' });
  });

  test('needs the token; the content type is the Prometheus text format', async () => {
    const [b0, b1] = await backends(2);
    const a = await startWithAdmin(yaml(b0!, b1!, await closedPort()));
    expect((await a.get('/metrics', { withToken: false })).status).toBe(401);
    const answer = await a.get('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});

/** One api backend, a closed port (503), a backend answering garbage (502), one never answering (504). */
async function perRequestYaml(apiRoute = 'all'): Promise<string> {
  const [api] = await backends(1);
  const bad = await garbageBackend();
  const slow = await neverAnswerBackend();
  onTestFinished(() => bad.close());
  onTestFinished(() => slow.close());
  const down = await closedPort();
  return `listeners: [{ name: main, address: 127.0.0.1, port: 0 }]
routes:
  - { name: down, match: { path: /down/ }, cluster: down }
  - { name: bad, match: { path: /bad/ }, cluster: bad }
  - { name: slow, match: { path: /slow/ }, cluster: slow }
  - { name: ${apiRoute}, match: { path: / }, cluster: api }
clusters:
  api: { backends: ${backendList(api!)} }
  down: { backends: ${backendList(down)}, retry: { attempts: 2, backoff: { base: 0ms } } }
  bad: { backends: ${backendList(bad)}, retry: { attempts: 1 } }
  slow: { backends: ${backendList(slow)}, retry: { attempts: 1 } }
timeouts: { backend_response: 300ms }
`;
}

const REQ = 'junction_requests_total{listener="main"';

describe('per-request metrics', () => {
  test('requests by route, cluster, method and code; latency histograms; attempts, retries, bytes', async () => {
    const a = await startWithAdmin(await perRequestYaml());
    const port = a.junction.port;
    for (let i = 0; i < 3; i++) expect((await request(port, { path: `/x/${i}` })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await request(port, { method: 'DELETE' })).status).toBe(200);
    expect((await request(port, { path: '/down/' })).status).toBe(503);
    expect((await request(port, { path: '/bad/' })).status).toBe(502);
    expect((await request(port, { path: '/slow/' })).status).toBe(504);
    // A request Junction cannot read: no route, no cluster, the method unknown.
    await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', { timeoutMs: 2_000 });

    await expectSeries(a, `${REQ},route="",cluster="",method="OTHER",code="400"}`, 1);
    const scrape = await a.scrape();
    expect(scrape.value(`${REQ},route="all",cluster="api",method="GET",code="200"}`)).toBe(3);
    expect(scrape.value(`${REQ},route="all",cluster="api",method="DELETE",code="200"}`)).toBe(2);
    expect(scrape.value(`${REQ},route="down",cluster="down",method="GET",code="503"}`)).toBe(1);
    expect(scrape.value(`${REQ},route="bad",cluster="bad",method="GET",code="502"}`)).toBe(1);
    expect(scrape.value(`${REQ},route="slow",cluster="slow",method="GET",code="504"}`)).toBe(1);
    const requests = scrape.text.split('\n').filter((l) => l.startsWith('junction_requests_total{'));
    expect(requests).toHaveLength(6);

    const d = 'junction_request_duration_seconds';
    expect(scrape.value(`${d}_count{route="all"}`)).toBe(5);
    expect(scrape.value(`${d}_bucket{route="all",le="+Inf"}`)).toBe(5);
    expect(scrape.value(`${d}_sum{route="all"}`)).toBeGreaterThan(0);
    // The 504 waited out backend_response (300 ms): not in the 250 ms bucket, in the 500 ms one.
    expect(scrape.value(`${d}_bucket{route="slow",le="0.25"}`)).toBe(0);
    expect(scrape.value(`${d}_bucket{route="slow",le="0.5"}`)).toBe(1);
    expect(scrape.value(`${d}_sum{route="slow"}`)).toBeGreaterThanOrEqual(0.3);
    expect(scrape.value('junction_upstream_response_head_seconds_count{cluster="api"}')).toBe(5);
    expect(scrape.text).not.toContain('junction_upstream_response_head_seconds_count{cluster="slow"}');

    const attempts = 'junction_upstream_attempts_total';
    expect(scrape.value(`${attempts}{cluster="api",outcome="success",code=""}`)).toBe(5);
    expect(
      scrape.value(`${attempts}{cluster="down",outcome="unreached",code="JCT_ERR_CONNECT_REFUSED"}`),
    ).toBe(2);
    expect(
      scrape.value(`${attempts}{cluster="bad",outcome="failure",code="JCT_ERR_HTTP_BAD_RESPONSE"}`),
    ).toBe(1);
    expect(
      scrape.value(`${attempts}{cluster="slow",outcome="suspect",code="JCT_ERR_UPSTREAM_TIMEOUT"}`),
    ).toBe(1);
    expect(scrape.value('junction_upstream_retries_total{cluster="down",reason="connect-failure"}')).toBe(1);
    // One connection per backend reached (the api one is reused), none to the closed port.
    expect(scrape.value('junction_upstream_connect_duration_seconds_count{cluster="api"}')).toBe(1);
    expect(scrape.text).not.toContain('junction_upstream_connect_duration_seconds_count{cluster="down"}');

    expect(scrape.value('junction_listener_received_bytes_total{listener="main"}')).toBeGreaterThan(8 * 30);
    expect(scrape.value('junction_listener_sent_bytes_total{listener="main"}')).toBeGreaterThan(9 * 50);
    expect(scrape.text).not.toContain('/x/');
  });

  test('a client that resets before the answer is counted with code 0', async () => {
    const slow = await neverAnswerBackend();
    onTestFinished(() => slow.close());
    const a = await startWithAdmin(`listeners: [{ name: main, address: 127.0.0.1, port: 0 }]
routes: [{ name: slow, cluster: slow }]
clusters: { slow: { backends: ${backendList(slow)} } }
`);
    const socket = connect(a.junction.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => a.junction.server.stats().upstreamInFlight > 0, {
      what: 'the request to reach the backend',
    });
    // A reset, not a FIN: a half-closed client may still read its answer.
    socket.resetAndDestroy();
    await expectSeries(a, `${REQ},route="slow",cluster="slow",method="GET",code="0"}`, 1);
    const scrape = await a.scrape();
    expect(
      scrape.value(
        'junction_upstream_attempts_total{cluster="slow",outcome="neutral",code="JCT_ERR_CLIENT_ABORTED"}',
      ),
    ).toBe(1);
  });

  test('stay monotonic across a reload that changes the routes', async () => {
    const a = await startWithAdmin(await perRequestYaml());
    const port = a.junction.port;
    for (let i = 0; i < 3; i++) expect((await request(port)).status).toBe(200);
    await expectSeries(a, `${REQ},route="all",cluster="api",method="GET",code="200"}`, 3);

    const renamed = await loadConfigText(await perRequestYaml('everything'), '<e2e>');
    await a.junction.server.reload(renamed);
    for (let i = 0; i < 2; i++) expect((await request(port)).status).toBe(200);
    await expectSeries(a, `${REQ},route="everything",cluster="api",method="GET",code="200"}`, 2);
    const scrape = await a.scrape();
    // The old route's series keeps its count; the cluster's series went on counting through the reload.
    expect(scrape.value(`${REQ},route="all",cluster="api",method="GET",code="200"}`)).toBe(3);
    expect(scrape.value('junction_request_duration_seconds_count{route="all"}')).toBe(3);
    expect(scrape.value('junction_upstream_response_head_seconds_count{cluster="api"}')).toBe(5);
    expect(scrape.value('junction_upstream_attempts_total{cluster="api",outcome="success",code=""}')).toBe(5);
  });
});

test('TLS handshakes by result on an HTTPS listener', async () => {
  const ca = createTestCa('Junction Metrics Test CA');
  const dir = await mkdtemp(join(tmpdir(), 'junction-metrics-tls-'));
  onTestFinished(async () => {
    ca.close();
    await rm(dir, { recursive: true, force: true });
  });
  const pair = ca.issue(['metrics.example.test']);
  await writeFile(join(dir, 'site.pem'), pair.cert);
  await writeFile(join(dir, 'site.key'), pair.key);
  const [b0] = await backends(1);
  const a = await startWithAdmin(
    `listeners:
  - { name: secure, address: 127.0.0.1, port: 0, tls: { certificates: [{ cert_file: site.pem, key_file: site.key }] } }
routes: [{ match: { path: / }, cluster: app }]
clusters: { app: { backends: ${backendList(b0!)} } }
`,
    { baseDir: dir },
  );
  const port = a.junction.port;
  const { response } = await httpsGet(port, 'metrics.example.test', {
    ca: ca.cert,
    servername: 'metrics.example.test',
  });
  expect(response.statusCode).toBe(200);
  // Plain HTTP on the HTTPS port: the handshake fails.
  await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 2_000 });

  await expectSeries(a, 'junction_tls_handshakes_total{listener="secure",result="failed"}', 1);
  const scrape = await a.scrape();
  expect(scrape.value('junction_tls_handshakes_total{listener="secure",result="completed"}')).toBe(1);
  expect(scrape.value('junction_tls_handshakes_total{listener="secure",result="timeout"}')).toBe(0);
  expect(scrape.value('junction_tls_handshake_versions_total{listener="secure",version="TLSv1.3"}')).toBe(1);
  expect(scrape.value('junction_tls_handshakes_in_progress{listener="secure"}')).toBe(0);
  expect(scrape.value('junction_listener_connections_accepted_total{listener="secure"}')).toBe(2);
});

describe('health endpoints', () => {
  test('/healthz and /ready answer without a token; /ready is 503 once shutting down', async () => {
    const [b0, b1] = await backends(2);
    const a = await startWithAdmin(yaml(b0!, b1!, await closedPort()));
    expect(await a.get('/healthz', { withToken: false })).toMatchObject({ status: 200, text: 'ok\n' });
    expect(await a.get('/ready', { withToken: false })).toMatchObject({ status: 200, text: 'ready\n' });

    await a.junction.close(1000);
    expect(await a.get('/ready', { withToken: false })).toMatchObject({
      status: 503,
      text: 'not ready: shutting down\n',
    });
    expect((await a.get('/healthz', { withToken: false })).status).toBe(200);
  });
});

test('`junction run` keeps the admin API up while it drains: /ready answers 503, then it exits 0', async () => {
  const backend = await slowHeadBackend(1_500);
  onTestFinished(() => backend.close());
  const file = await tempConfigFile(
    'junction.yaml',
    `listeners: [{ address: 127.0.0.1, port: 0 }]
admin: { address: 127.0.0.1, port: 0 }
routes: [{ cluster: app }]
clusters: { app: { backends: ${backendList(backend)} } }
timeouts: { shutdown_grace: 10s }
`,
  );
  const junction = await spawnJunction(file, { withAdmin: true, timeoutMs: 10_000 });
  const { child, exited } = junction;
  const ports = { proxy: junction.port, admin: Number(new URL(junction.adminUrl!).port) };
  const ready = async () => {
    const response = await fetch(`http://127.0.0.1:${ports.admin}/ready`, {
      signal: AbortSignal.timeout(2_000),
    });
    return { status: response.status, text: await response.text() };
  };
  expect(await ready()).toEqual({ status: 200, text: 'ready\n' });

  const inFlight = request(ports.proxy);
  await waitFor(() => backend.connections > 0, { what: 'the request to reach the backend' });
  child.kill('SIGTERM');
  await waitFor(async () => (await ready()).status === 503, { what: '/ready to answer 503' });
  expect(await ready()).toEqual({ status: 503, text: 'not ready: shutting down\n' });
  expect((await inFlight).status).toBe(200);
  expect(await withTimeout(exited, 10_000, 'junction to exit')).toEqual({ code: 0, signal: null });
}, 30_000);
