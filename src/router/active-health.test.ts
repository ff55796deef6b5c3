import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, onTestFinished, test, vi } from 'vitest';
import { createTestCa } from '../../test/support/certs.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { parseConfigText } from '../config/index.ts';
import { Connector, UpstreamPool } from '../connector/index.ts';
import { createLogger } from '../log/index.ts';
import { BUILTIN_STRATEGIES } from '../strategies/index.ts';
import {
  ActiveHealthChecker,
  recordCheck,
  statusExpected,
  type ActiveHealthSettings,
  type CheckResult,
} from './active-health.ts';
import { ClusterRuntime } from './cluster-runtime.ts';
import { Router } from './router.ts';
import { UpstreamState } from './upstream-state.ts';

const settings: ActiveHealthSettings = {
  method: 'GET',
  path: '/healthz',
  host: undefined,
  intervalMs: 1000,
  timeoutMs: 500,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  expectStatuses: [[200, 399]],
};
const pass: CheckResult = { status: 200, errorCode: undefined };
const badStatus: CheckResult = { status: 500, errorCode: undefined };
const refused: CheckResult = { status: 0, errorCode: 'JCT_ERR_CONNECT_REFUSED' };

function upstream(): UpstreamState {
  return new UpstreamState(
    { id: 'a', host: '127.0.0.1', port: 1, weight: 1, tls: false },
    new UpstreamPool('127.0.0.1', 1, { maxIdle: 1, idleTimeoutMs: 1 }),
  );
}

describe('active health: the state machine', () => {
  test('an up backend goes down after unhealthy_threshold failures in a row, not before', () => {
    const u = upstream();
    expect(recordCheck(u, badStatus, settings)).toBeUndefined();
    expect(recordCheck(u, refused, settings)).toBeUndefined();
    expect(u.isUp).toBe(true);
    expect(recordCheck(u, badStatus, settings)).toBe('marked-down');
    expect(u.isUp).toBe(false);
    expect(u.activeDown).toBe(true);
    expect(u.passiveDown).toBe(false);
    // Further failures change nothing.
    expect(recordCheck(u, badStatus, settings)).toBeUndefined();
    expect(u.checkFailures).toBe(4);
    expect(u.lastCheckStatus).toBe(500);
    expect(u.lastCheckError).toBeUndefined();
  });

  test('a passing check resets the failure streak', () => {
    const u = upstream();
    recordCheck(u, badStatus, settings);
    recordCheck(u, badStatus, settings);
    recordCheck(u, pass, settings);
    recordCheck(u, badStatus, settings);
    recordCheck(u, badStatus, settings);
    expect(u.isUp).toBe(true);
    expect(u.checkFailures).toBe(2);
  });

  test('a down backend comes back after healthy_threshold passes in a row; a failure restarts the count', () => {
    const u = upstream();
    for (let i = 0; i < 3; i++) recordCheck(u, refused, settings);
    expect(u.lastCheckError).toBe('JCT_ERR_CONNECT_REFUSED');
    expect(recordCheck(u, pass, settings)).toBeUndefined();
    expect(recordCheck(u, badStatus, settings)).toBeUndefined();
    expect(recordCheck(u, pass, settings)).toBeUndefined();
    expect(u.isUp).toBe(false);
    expect(recordCheck(u, pass, settings)).toBe('marked-up');
    expect(u.isUp).toBe(true);
    expect(u.checkSuccesses).toBe(2);
    expect(u.checks).toBe(7);
  });

  test('thresholds of 1 flip on every change', () => {
    const one = { ...settings, healthyThreshold: 1, unhealthyThreshold: 1 };
    const u = upstream();
    expect(recordCheck(u, badStatus, one)).toBe('marked-down');
    expect(recordCheck(u, pass, one)).toBe('marked-up');
  });

  test('expected statuses are inclusive ranges', () => {
    const expect_ = [
      [200, 299],
      [404, 404],
    ] as const;
    expect([199, 200, 299, 300, 403, 404, 405].map((s) => statusExpected(s, expect_))).toEqual([
      false,
      true,
      true,
      false,
      false,
      true,
      false,
    ]);
    const u = upstream();
    const onlyOk = { ...settings, expectStatuses: expect_, unhealthyThreshold: 1 };
    expect(recordCheck(u, { status: 404, errorCode: undefined }, onlyOk)).toBeUndefined();
    expect(recordCheck(u, { status: 301, errorCode: undefined }, onlyOk)).toBe('marked-down');
  });

  test('a passive ejection keeps a backend out even when checks pass', () => {
    const u = upstream();
    u.passiveDown = true;
    for (let i = 0; i < 5; i++) recordCheck(u, pass, settings);
    expect(u.isUp).toBe(false);
    u.passiveDown = false;
    expect(u.isUp).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The checker over real loopback sockets

interface TestServer {
  readonly port: number;
  /** Connections accepted so far. */
  connections: number;
  /** The bytes each connection sent, by connection. */
  readonly received: string[];
  /** Connections the client closed. */
  closed: number;
}

/** A TCP server on 127.0.0.1 that hands each socket to `onRequest` once a request head has arrived. */
async function server(onRequest: (socket: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const state: TestServer = { port: 0, connections: 0, received: [], closed: 0 };
  const srv: Server = createServer((socket) => {
    const index = state.connections++;
    state.received.push('');
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      state.closed++;
      sockets.delete(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      const before = state.received[index]!;
      const now = before + chunk.toString('latin1');
      state.received[index] = now;
      if (!before.includes('\r\n\r\n') && now.includes('\r\n\r\n')) onRequest(socket);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        srv.close(() => {
          resolve();
        });
      }),
  );
  return Object.assign(state, { port: (srv.address() as AddressInfo).port });
}

/** Answers with `status` and closes, as a server honouring Connection: close does. */
function answer(status: number | (() => number)) {
  return (socket: Socket): void => {
    const code = typeof status === 'number' ? status : status();
    socket.end(`HTTP/1.1 ${code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok`);
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) =>
    srv.close(() => {
      resolve();
    }),
  );
  return port;
}

interface Harness {
  readonly cluster: ClusterRuntime;
  readonly upstream: UpstreamState;
  readonly checker: ActiveHealthChecker;
  readonly logs: { level: number; msg: string; reason?: string }[];
}

/** One cluster with one backend on `port`, checked with `active` (YAML flow mapping). */
function harness(port: number, active: string): Harness {
  const config = parseConfigText(
    `listeners: [{ port: 0 }]
routes: [{ cluster: c }]
clusters:
  c: { backends: ["127.0.0.1:${port}"], health: { active: ${active} } }
`,
    '<test>',
  );
  const connector = new Connector();
  const router = new Router(connector, BUILTIN_STRATEGIES);
  const clusterConfig = config.clusters.get('c')!;
  const cluster = router.buildCluster(clusterConfig);
  const logs: Harness['logs'] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line !== '') logs.push(JSON.parse(line) as Harness['logs'][number]);
      callback();
    },
  });
  const checker = new ActiveHealthChecker([cluster], {
    connector,
    limits: { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 8192 },
    log: createLogger({ level: 'debug', destination }),
    random: () => 0.5,
  });
  onTestFinished(() => {
    checker.stop();
    connector.close();
  });
  return { cluster, upstream: cluster.upstreams[0]!, checker, logs };
}

/** Runs one check now and waits for it to finish. */
async function checkOnce(h: Harness): Promise<void> {
  const before = h.upstream.checks;
  expect(h.checker.checkNow(h.upstream)).toBe(true);
  await waitFor(() => h.upstream.checks > before, { what: 'a check to finish', timeoutMs: 3000 });
}

describe('active health: the checker', () => {
  test('sends METHOD path HTTP/1.1 with Host, Connection: close and its User-Agent, then closes', async () => {
    const backend = await server(answer(204));
    const h = harness(backend.port, '{ path: /healthz, method: head }');
    await checkOnce(h);
    expect(backend.received[0]).toBe(
      `HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1:${backend.port}\r\nConnection: close\r\n` +
        'User-Agent: junction-health-check\r\n\r\n',
    );
    expect(h.upstream.lastCheckStatus).toBe(204);
    expect(h.upstream.checkSuccesses).toBe(1);
    await waitFor(() => backend.closed === 1, { what: 'the check connection to close' });
    // Its own connection: the backend's pool neither gave nor got one.
    expect(h.upstream.pool.connectsOpened).toBe(0);
    expect(h.upstream.pool.idleCount).toBe(0);
  });

  test('uses the configured Host', async () => {
    const backend = await server(answer(200));
    const h = harness(backend.port, '{ path: /status, host: app.internal }');
    await checkOnce(h);
    expect(backend.received[0]).toContain('GET /status HTTP/1.1\r\nHost: app.internal\r\n');
  });

  test('an interim 1xx head is skipped for the final one', async () => {
    const backend = await server((socket) => {
      socket.end(
        'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
      );
    });
    const h = harness(backend.port, '{ path: / }');
    await checkOnce(h);
    expect(h.upstream.lastCheckStatus).toBe(200);
    expect(h.upstream.checkSuccesses).toBe(1);
  });

  test.each([
    ['a status outside expect', answer(503), 503, undefined],
    ['a malformed response', (s: Socket) => s.end('SSH-2.0-OpenSSH\r\n\r\n'), 0, 'JCT_ERR_HTTP_BAD_RESPONSE'],
    ['a close before the response head', (s: Socket) => s.end(), 0, 'JCT_ERR_UPSTREAM_RESET'],
    ['no answer within the timeout', () => undefined, 0, 'JCT_ERR_UPSTREAM_TIMEOUT'],
  ] as const)('%s fails the check', async (_name, onRequest, status, code) => {
    const backend = await server(onRequest);
    const h = harness(backend.port, '{ path: /, interval: 1s, timeout: 150ms, expect: [2xx] }');
    await checkOnce(h);
    expect(h.upstream.checkFailures).toBe(1);
    expect(h.upstream.lastCheckStatus).toBe(status);
    expect(h.upstream.lastCheckError).toBe(code);
    await waitFor(() => backend.closed === 1, { what: 'the check connection to close' });
  });

  test('a refused connection fails the check', async () => {
    const port = await closedPort();
    const h = harness(port, '{ path: / }');
    await checkOnce(h);
    expect(h.upstream.lastCheckError).toBe('JCT_ERR_CONNECT_REFUSED');
  });

  test('only one check per backend is in flight; stop() destroys it', async () => {
    const backend = await server(() => undefined);
    const h = harness(backend.port, '{ path: /, interval: 10s, timeout: 5s }');
    expect(h.checker.checkNow(h.upstream)).toBe(true);
    expect(h.checker.checkNow(h.upstream)).toBe(false);
    await waitFor(() => backend.received[0]?.includes('\r\n\r\n'), { what: 'the check request' });
    expect(h.checker.checkNow(h.upstream)).toBe(false);
    expect(h.checker.inFlight).toBe(1);
    expect(backend.connections).toBe(1);

    h.checker.stop();
    expect(h.checker.inFlight).toBe(0);
    await waitFor(() => backend.closed === 1, { what: 'the stopped check to close its connection' });
    expect(h.upstream.checks).toBe(0); // a stopped check reports nothing
    expect(h.checker.checkNow(h.upstream)).toBe(false); // and none start after stop()
  });

  test('on its schedule: marked down after the failures, up after the passes, logged, strategies told', async () => {
    let status = 500;
    const backend = await server(answer(() => status));
    const h = harness(
      backend.port,
      '{ path: /healthz, interval: 30ms, timeout: 20ms, unhealthy_threshold: 3, healthy_threshold: 2 }',
    );
    const membersChanged = vi.spyOn(h.cluster, 'membersChanged');
    h.checker.start();
    await waitFor(() => !h.upstream.healthy, { what: 'the backend to be marked down', timeoutMs: 3000 });
    expect(h.upstream.checkFailures).toBeGreaterThanOrEqual(3);
    expect(membersChanged).toHaveBeenCalledTimes(1);
    const down = h.logs.find((l) => l.msg.includes('marked down'))!;
    expect(down.level).toBe(40);
    expect(down.reason).toBe('status 500');
    expect(down.msg).toBe(
      `upstream 127.0.0.1:${backend.port} of cluster 'c' marked down: 3 health checks in a row failed (last: status 500)`,
    );

    status = 200;
    await waitFor(() => h.upstream.healthy, { what: 'the backend to be marked up', timeoutMs: 3000 });
    expect(h.upstream.checkSuccesses).toBeGreaterThanOrEqual(2);
    expect(membersChanged).toHaveBeenCalledTimes(2);
    expect(h.logs.find((l) => l.msg.includes('marked up'))?.level).toBe(30);
  });

  test('the first check comes within a tenth of the interval of start()', async () => {
    const backend = await server(answer(200));
    const h = harness(backend.port, '{ path: /, interval: 2s, timeout: 1s }');
    const started = Date.now();
    h.checker.start();
    await waitFor(() => h.upstream.checks === 1, { what: 'the first check', timeoutMs: 1500 });
    // random() is 0.5 here: the first check is due 100 ms in, the second not before 1.8 s later.
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('clusters without active settings get no checks', () => {
    const config = parseConfigText(
      'listeners: [{ port: 0 }]\nroutes: [{ cluster: c }]\nclusters:\n  c: { backends: ["127.0.0.1:1"] }\n',
      '<test>',
    );
    const connector = new Connector();
    onTestFinished(() => {
      connector.close();
    });
    const router = new Router(connector, BUILTIN_STRATEGIES);
    const c = config.clusters.get('c')!;
    const checker = new ActiveHealthChecker([router.buildCluster(c)], {
      connector,
      limits: { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 8192 },
      log: createLogger({ level: 'silent' }),
    });
    expect(checker.size).toBe(0);
  });
});

describe('active health: checks dial the way the backend pool does', () => {
  /** A cluster over one backend on 127.0.0.1:`port` whose pool speaks TLS trusting `ca`. */
  function tlsHarness(port: number, ca: string): { upstream: UpstreamState; checker: ActiveHealthChecker } {
    const config = parseConfigText(
      `listeners: [{ port: 0 }]
routes: [{ cluster: c }]
clusters:
  c: { backends: ["127.0.0.1:${port}"], health: { active: { path: /healthz } } }
`,
      '<test>',
    ).clusters.get('c')!;
    const upstream = new UpstreamState(
      config.backends[0]!,
      new UpstreamPool('127.0.0.1', port, { maxIdle: 4, idleTimeoutMs: 60_000, tls: { ca } }),
    );
    const cluster = new ClusterRuntime(config, [upstream], BUILTIN_STRATEGIES, {
      random: Math.random,
      now: () => performance.now(),
    });
    const connector = new Connector();
    const checker = new ActiveHealthChecker([cluster], {
      connector,
      limits: { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 8192 },
      log: createLogger({ level: 'silent' }),
    });
    onTestFinished(() => {
      checker.stop();
      connector.close();
    });
    return { upstream, checker };
  }

  test('over TLS when the pool speaks TLS; an untrusted certificate fails the check', async () => {
    const ca = createTestCa();
    const otherCa = createTestCa('Another CA');
    onTestFinished(() => {
      ca.close();
      otherCa.close();
    });
    const paths: string[] = [];
    const server = createHttpsServer(ca.issue(['backend.test']), (req, res) => {
      paths.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    );
    const port = (server.address() as AddressInfo).port;

    const trusting = tlsHarness(port, ca.cert);
    expect(trusting.checker.checkNow(trusting.upstream)).toBe(true);
    await waitFor(() => trusting.upstream.checks === 1, { what: 'the TLS check' });
    expect(trusting.upstream.lastCheckStatus).toBe(200);
    expect(paths).toEqual(['/healthz']);

    const distrusting = tlsHarness(port, otherCa.cert);
    expect(distrusting.checker.checkNow(distrusting.upstream)).toBe(true);
    await waitFor(() => distrusting.upstream.checks === 1, { what: 'the untrusted TLS check' });
    expect(distrusting.upstream.lastCheckError).toBe('JCT_ERR_TLS_HANDSHAKE');
    expect(paths).toEqual(['/healthz']);
  });
});
