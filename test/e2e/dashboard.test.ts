/**
 * The dashboard's endpoints over real sockets: the page and its assets, the data endpoint with real
 * traffic (routes, clusters, backends, rates, percentiles, recent errors), across a config change, and
 * the admin API's access rules for it: loopback Host without a token, the token for the data, and the
 * refusal of other sites' pages while the dashboard's own page may drain; and over a group of workers.
 */
import { describe, expect, test } from 'vitest';
import { closedPort, echoBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { fromPage, startWithDashboard } from '../support/dashboard.ts';
import { spawnJunction, tempConfigFile } from '../support/junction-process.ts';
import { backendList } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

const TOKEN = 'dashboard-test-token-0123456789';

interface State {
  version: string;
  config: { version: number; lastChange: { from: number; to: number; summary: string } | null };
  totals: { requests: number | null; requestsPerSecond: number | null };
  listeners: { name: string; open: number | null }[];
  routes: {
    name: string;
    conditions: string[];
    cluster: string;
    strategy: string | null;
    requests: number;
    windowRequests: number;
    errorRatio: number | null;
    p50Ms: number | null;
    p95Ms: number | null;
    p99Ms: number | null;
  }[];
  clusters: {
    name: string;
    failuresByCode: Record<string, number>;
    backends: { id: string; state: string; reason: string; restore: { address: string } | null }[];
  }[];
  recentErrors: {
    requestId: string;
    route: string;
    cluster: string;
    upstream: string;
    status: number;
    code: string;
  }[];
}

async function setup(options: { token?: string } = {}) {
  const app = await echoBackend('app');
  const spare = await echoBackend('spare');
  const bad = await echoBackend('bad', { status: 500 });
  const dead = await closedPort();
  const j = await startWithDashboard(
    `
routes:
  - { name: api, match: { path: { prefix: /api/ }, method: [GET] }, cluster: app }
  - { name: broken, match: { path: { prefix: /broken/ } }, cluster: gone }
  - { name: failing, match: { path: { prefix: /fail/ } }, cluster: bad }
clusters:
  app: { backends: ${backendList(app, spare)} }
  gone: { backends: ${backendList(dead)}, retry: { attempts: 1 } }
  bad: { backends: ${backendList(bad)} }
`,
    options,
  );
  const state = async (token?: string): Promise<State> => {
    const answer = await j.call('GET', '/dashboard/api/state', token === undefined ? {} : { token });
    expect(answer.status, answer.text).toBe(200);
    return answer.json() as State;
  };
  return { ...j, app, bad, dead, state };
}

describe('the page', () => {
  test('GET / serves the page and its assets from the package, locked to this origin', async () => {
    const j = await setup();
    const page = await j.call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<title>Junction dashboard</title>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    for (const asset of ['dashboard.js', 'dashboard.css', 'uplot.min.js', 'uplot.min.css']) {
      const answer = await j.call('GET', `/dashboard/${asset}`);
      expect(answer.status, asset).toBe(200);
      expect(answer.bodyLength, asset).toBeGreaterThan(500);
    }
    // Every URL the page names is its own: no scheme, no other host.
    const script = (await j.call('GET', '/dashboard/dashboard.js')).text;
    expect(`${page.text}\n${script}`).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
  });

  test('HEAD answers the headers only; other methods are the admin API business', async () => {
    const j = await setup();
    const head = await j.call('HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.bodyLength).toBe(0);
    expect((await j.call('POST', '/')).status).toBe(404);
  });
});

describe('the data endpoint', () => {
  test('routes, clusters and backends with live counts, percentiles and the failed transactions', async () => {
    const j = await setup();
    for (let i = 0; i < 20; i++) {
      expect((await request(j.junction.port, { path: `/api/${i}` })).status).toBe(200);
    }
    const refused = await request(j.junction.port, { path: '/broken/x' });
    expect(refused.status).toBeGreaterThanOrEqual(500);
    const failed = await request(j.junction.port, { path: '/fail/x' });
    expect(failed.status).toBe(500);
    // The request ID the upstream got (the echo backend sends back what it received).
    const requestId = (failed.json() as { headers: Record<string, string> }).headers['x-request-id'];
    expect(requestId).toBeTruthy();

    const state = await j.state();
    expect(state.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(state.totals.requests).toBe(22);
    const api = state.routes.find((r) => r.name === 'api')!;
    expect(api).toMatchObject({ cluster: 'app', strategy: 'round-robin', requests: 20, errorRatio: 0 });
    expect(api.conditions).toEqual(['path prefix /api/', 'method GET']);
    expect(api.p50Ms).toBeGreaterThan(0);
    expect(api.p99Ms).toBeGreaterThanOrEqual(api.p95Ms!);
    expect(api.p95Ms).toBeGreaterThanOrEqual(api.p50Ms!);
    const broken = state.routes.find((r) => r.name === 'broken')!;
    expect(broken.errorRatio).toBe(1);

    const app = state.clusters.find((c) => c.name === 'app')!;
    expect(app.backends.find((b) => b.id === j.app.address)).toMatchObject({
      state: 'up',
      restore: { address: j.app.address },
    });
    const gone = state.clusters.find((c) => c.name === 'gone')!;
    expect(gone.failuresByCode).toEqual({ JCT_ERR_CONNECT_REFUSED: 1 });
    // Newest first: the upstream's own 500 (no error code), then the refused connect's answer.
    expect(state.recentErrors[0]).toMatchObject({
      requestId,
      route: 'failing',
      cluster: 'bad',
      upstream: j.bad.address,
      status: 500,
      code: '',
    });
    expect(state.recentErrors[1]).toMatchObject({ route: 'broken', cluster: 'gone', status: refused.status });
    expect(state.recentErrors[1]!.code).toMatch(/^JCT_ERR_/);
    expect(state.recentErrors).toHaveLength(2);
    expect(state.listeners[0]!.open).not.toBeNull();
  });

  test('counts new traffic between readings as a rate, and follows a config change with its diff', async () => {
    const j = await setup();
    await j.state(); // the first reading
    for (let i = 0; i < 10; i++) await request(j.junction.port, { path: '/api/x' });
    // Readings are at least 2 s apart: the next one that differs shows the rate.
    const later = await waitFor(
      async () => {
        const s = await j.state();
        return s.totals.requestsPerSecond !== null && s.totals.requestsPerSecond > 0 ? s : undefined;
      },
      { timeoutMs: 8000 },
    );
    expect(later.routes.find((r) => r.name === 'api')!.windowRequests).toBe(10);

    const put = await j.call('PUT', '/routes/extra', { body: { match: { path: '/extra' }, cluster: 'app' } });
    expect(put.status, put.text).toBe(200);
    const after = await j.state();
    expect(after.routes.map((r) => r.name)).toContain('extra');
    expect(after.config.lastChange).toMatchObject({ from: 1, to: 2 });
    expect(after.config.lastChange!.summary).toContain('+extra');
    // The server remembers its last reload: /status says what it changed, and when.
    const status = (await j.call('GET', '/status')).json() as {
      version: number;
      appliedAt: number;
      lastReload: { at: number; version: number; diff: { routes: { added: string[] } } } | null;
    };
    expect(status.lastReload).toMatchObject({ version: 2, at: status.appliedAt });
    expect(status.lastReload!.diff.routes.added).toEqual(['extra']);
  });

  test('shows the last reload even when it happened before any page asked', async () => {
    const j = await setup();
    const before = (await j.call('GET', '/status')).json() as { lastReload: unknown };
    expect(before.lastReload).toBeNull();
    const put = await j.call('PUT', '/routes/extra', { body: { match: { path: '/extra' }, cluster: 'app' } });
    expect(put.status, put.text).toBe(200);
    const state = await j.state();
    expect(state.config.lastChange).toMatchObject({ from: 1, to: 2 });
    expect(state.config.lastChange!.summary).toContain('+extra');
  });

  test('shows a backend the active checks have down as down, with why', async () => {
    const app = await echoBackend('app');
    const dead = await closedPort();
    const j = await startWithDashboard(`
routes:
  - { cluster: checked }
clusters:
  checked:
    backends: ${backendList(app, dead)}
    health: { active: { path: /, interval: 200ms, timeout: 100ms, unhealthy_threshold: 1 } }
`);
    const state = await waitFor(
      async () => {
        const s = (await j.call('GET', '/dashboard/api/state')).json() as State;
        const states = s.clusters[0]!.backends.map((b) => b.state);
        return states.includes('down') && states.includes('up') ? s : undefined;
      },
      { timeoutMs: 8000 },
    );
    const backends = state.clusters[0]!.backends;
    expect(backends.find((b) => b.id === `127.0.0.1:${dead}`)).toMatchObject({ state: 'down' });
    expect(backends.find((b) => b.id === `127.0.0.1:${dead}`)!.reason).toMatch(/^active check: /);
    expect(backends.find((b) => b.id === app.address)).toMatchObject({ state: 'up' });
  });
});

describe('access rules', () => {
  test('without a token: loopback Host only (a DNS name rebound here is refused)', async () => {
    const j = await setup();
    const rebound = { host: `attacker.example:${j.admin.port}` };
    expect((await j.call('GET', '/', { headers: rebound })).status).toBe(401);
    expect((await j.call('GET', '/dashboard/api/state', { headers: rebound })).status).toBe(401);
    const sameOriginRebound = {
      ...rebound,
      ...fromPage(`http://attacker.example:${j.admin.port}`, 'same-origin'),
    };
    expect((await j.call('GET', '/dashboard/api/state', { headers: sameOriginRebound })).status).toBe(401);
  });

  test("the dashboard's own page may drain; another site's page may not", async () => {
    const j = await setup();
    const id = encodeURIComponent(j.app.address);
    const path = `/clusters/app/backends/${id}/drain?timeout_ms=1000`;
    for (const [origin, site] of [
      ['http://evil.example', 'cross-site'],
      [`http://localhost:${j.admin.port}`, 'same-site'],
    ] as const) {
      const refused = await j.call('POST', path, { headers: fromPage(origin, site) });
      expect(refused.status, `${origin} ${site}`).toBe(401);
    }
    // A browser without Fetch Metadata: its Origin alone tells.
    expect((await j.call('POST', path, { headers: { origin: 'http://evil.example' } })).status).toBe(401);
    expect(j.store.server.config.clusters.get('app')!.backends).toHaveLength(2);

    const own = await j.call('POST', path, {
      headers: fromPage(`http://127.0.0.1:${j.admin.port}`, 'same-origin'),
    });
    expect(own.status, own.text).toBe(200);
    expect(j.store.server.config.clusters.get('app')!.backends).toHaveLength(1);
  });

  test('with a token: the page loads (its login form), the data and every change need the token', async () => {
    const j = await setup({ token: TOKEN });
    const page = await j.call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="login"');
    const own = fromPage(`http://127.0.0.1:${j.admin.port}`, 'same-origin');
    expect((await j.call('GET', '/dashboard/api/state', { headers: own })).status).toBe(401);
    expect((await j.call('GET', '/dashboard/api/state', { headers: own, token: 'wrong' })).status).toBe(401);
    expect((await j.call('GET', '/dashboard/api/state', { headers: own, token: TOKEN })).status).toBe(200);
    // Another site's page is refused even if it had the token.
    const evil = fromPage('http://evil.example', 'cross-site');
    const id = encodeURIComponent(j.app.address);
    const drain = `/clusters/app/backends/${id}/drain?timeout_ms=1000`;
    expect((await j.call('POST', drain, { headers: evil, token: TOKEN })).status).toBe(401);
    expect((await j.call('POST', drain, { headers: own })).status).toBe(401);
    expect(j.store.server.config.clusters.get('app')!.backends).toHaveLength(2);
    expect((await j.call('POST', drain, { headers: own, token: TOKEN })).status).toBe(200);
  });
});

describe('with several workers', () => {
  test('the group: counts from every worker, each worker listed, a drain through the group', async () => {
    const a = await echoBackend('a');
    const b = await echoBackend('b');
    const bad = await echoBackend('bad', { status: 500 });
    const file = await tempConfigFile(
      'junction.yaml',
      `workers: 2
listeners: [{ name: main, address: 127.0.0.1, port: 0 }]
admin: { port: 0 }
timeouts: { shutdown_grace: 1s }
routes:
  - { name: failing, match: { path: { prefix: /fail/ } }, cluster: bad }
  - { name: all, cluster: app }
clusters:
  app: { backends: ${backendList(a, b)} }
  bad: { backends: ${backendList(bad)} }
`,
    );
    const junction = await spawnJunction(file, { withAdmin: true });
    const admin = new URL(junction.adminUrl!);
    const call = (method: string, path: string, headers: Record<string, string> = {}) =>
      request(Number(admin.port), { method, path, headers: { host: admin.host, ...headers } });
    for (let i = 0; i < 30; i++) await request(junction.port, { path: `/x/${i}` });
    const state = await waitFor(
      async () => {
        const s = (await call('GET', '/dashboard/api/state')).json() as State & {
          workers: { worker: number; pid: number }[] | null;
        };
        return s.totals.requests === 30 ? s : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(state.workers).toHaveLength(2);
    expect(state.routes.find((r) => r.name === 'all')).toMatchObject({ requests: 30, errorRatio: 0 });
    const app = state.clusters.find((c) => c.name === 'app')!;
    expect(app.backends.map((x) => x.state)).toEqual(['up', 'up']);
    expect(state.recentErrors).toEqual([]);
    // Each worker keeps its own recent errors; the group's list has every worker's, newest first, each
    // naming its worker. Failed requests go on (new connections) until both workers have served some.
    const pids = state.workers!.map((w) => w.pid);
    let errors: (State['recentErrors'][number] & { pid: number; time: number })[] = [];
    let sent = 0;
    while (new Set(errors.map((e) => e.pid)).size < 2 && sent < 200) {
      for (let i = 0; i < 5; i++, sent++) {
        expect((await request(junction.port, { path: `/fail/${sent}` })).status).toBe(500);
      }
      errors = ((await call('GET', '/dashboard/api/state')).json() as State).recentErrors as typeof errors;
    }
    expect(new Set(errors.map((e) => e.pid))).toEqual(new Set(pids));
    expect(errors).toHaveLength(Math.min(sent, 50));
    expect(errors.every((e) => e.route === 'failing' && e.status === 500)).toBe(true);
    const times = errors.map((e) => e.time);
    expect(times).toEqual([...times].sort((x, y) => y - x));
    expect((await call('GET', '/')).status).toBe(200);
    const own = fromPage(`http://${admin.host}`, 'same-origin');
    const drained = await call('POST', `/clusters/app/backends/${encodeURIComponent(b.address)}/drain`, own);
    expect(drained.status, drained.text).toBe(200);
    const after = (await call('GET', '/dashboard/api/state')).json() as State;
    expect(after.clusters.find((c) => c.name === 'app')!.backends.map((x) => x.id)).toEqual([a.address]);
    // The group remembers its last reload (the drain removed the backend): /status and the page say so.
    const status = (await call('GET', '/status')).json() as {
      version: number;
      lastReload: { version: number; diff: { backends: { removed: string[] } } } | null;
    };
    expect(status.lastReload).toMatchObject({ version: status.version });
    expect(status.lastReload!.diff.backends.removed).toHaveLength(1);
    expect(after.config.lastChange).toMatchObject({ to: status.version });
  }, 40_000);
});
