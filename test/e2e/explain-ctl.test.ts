/**
 * `junction ctl explain` against a running Junction: the same walk as `junction explain`, but with the
 * backends' live health, so a backend active checks have down is reported as skipped and the pick
 * falls on the one left. Also the admin API's POST /explain refusing a bad body.
 */
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished, test } from 'vitest';
import { explain } from '../../src/explain/index.ts';
import { healthCheckedBackend } from '../support/backends.ts';
import { ctlInProcess } from '../support/in-process-cli.ts';
import { startWithAdmin } from '../support/metrics.ts';
import { backendList } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

const HEALTH =
  '{ active: { path: /healthz, interval: 1s, timeout: 1s, unhealthy_threshold: 2, healthy_threshold: 1 }, panic_threshold: 0% }';

test('ctl explain reports the backend live health skips and picks the one left', async () => {
  const a = await healthCheckedBackend('a');
  const b = await healthCheckedBackend('b');
  onTestFinished(() => a.close());
  onTestFinished(() => b.close());
  const { junction, admin, token } = await startWithAdmin(`
routes:
  - name: app
    match: { path: /app/ }
    cluster: app
clusters:
  app: { backends: ${backendList(a, b)}, health: ${HEALTH} }
`);
  a.healthStatus = 503;
  await waitFor(() => junction.server.upstreams().some((u) => u.id === a.address && !u.isUp), {
    what: 'backend a down by active checks',
    timeoutMs: 10_000,
  });
  const url = `http://app.example:${junction.port}/app/x`;
  const text = await ctlInProcess(['--admin', admin.url, '--token', token, 'explain', `GET ${url}`]);
  expect(text.stderr).toBe('');
  expect(text.code).toBe(0);
  expect(text.stdout).toContain(
    `backend    ${a.address} weight 1, skipped: down by active health checks (last: status 503)`,
  );
  expect(text.stdout).toContain(`listener:  127.0.0.1:0 (http://127.0.0.1:${junction.port})\n`);
  expect(text.stdout).toContain(`pick:      ${b.address} (deterministic for this request)`);

  const json = await ctlInProcess([
    '--admin',
    admin.url,
    '--token',
    token,
    '--json',
    'explain',
    `GET ${url}`,
  ]);
  const e = JSON.parse(json.stdout) as { route: string; cluster: { pick: { backend: string } } };
  expect(e.route).toBe('app');
  expect(e.cluster.pick.backend).toBe(b.address);

  // An assumed response (--status): the response side is evaluated where the process runs.
  const assumed = await ctlInProcess([
    '--admin',
    admin.url,
    '--token',
    token,
    'explain',
    `GET ${url}`,
    '--status',
    '503',
    '--response-header',
    'Retry-After: 5',
  ]);
  expect(assumed.stderr).toBe('');
  expect(assumed.stdout).toContain('Response assumed from the backend: 503\n  Retry-After: 5\n');
  expect(assumed.stdout).toContain('Response to the client: 503\n');
  const badResponse = await fetch(`${admin.url}/explain`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ method: 'GET', url, response: { status: 42 } }),
    signal: AbortSignal.timeout(5000),
  });
  expect(badResponse.status).toBe(400);
  expect(await badResponse.text()).toContain('response.status');

  const bad = await fetch(`${admin.url}/explain`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ method: 'GET' }),
    signal: AbortSignal.timeout(5000),
  });
  expect(bad.status).toBe(400);
  expect(await bad.text()).toContain('url is required');
});

test('ctl explain lists the running plugins by hook point, as offline explain does, without running them', async () => {
  const backend = await healthCheckedBackend('only');
  onTestFinished(() => backend.close());
  const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
  const { junction, admin, token } = await startWithAdmin(
    `
plugins:
  - ./plugins/stamp-headers.js
routes:
  - name: admin
    match: { path: /admin/ }
    cluster: app
    plugins:
      - { module: ./plugins/require-token.js, config: { tokens: [t0k3n] } }
  - name: app
    cluster: app
clusters:
  app: { backends: ${backendList(backend)} }
`,
    { baseDir: examples },
  );
  const ask = async (path: string) => {
    const out = await ctlInProcess([
      '--admin',
      admin.url,
      '--token',
      token,
      '--json',
      'explain',
      `GET http://app.example:${junction.port}${path}`,
    ]);
    expect(out.stderr).toBe('');
    return (JSON.parse(out.stdout) as { plugins: Record<string, string[]> }).plugins;
  };
  const offline = async (path: string) =>
    (
      await explain(junction.config, {
        method: 'GET',
        url: `http://app.example:${junction.port}${path}`,
        headers: [],
      })
    ).plugins;
  const onApp = await ask('/x');
  const onAdmin = await ask('/admin/x');
  // The global plugin hooks the app route; the route plugin only adds to the admin route's.
  expect(Object.values(onApp).flat()).toContain('stamp-headers');
  expect(Object.values(onApp).flat()).not.toContain('require-token');
  expect(Object.values(onAdmin).flat()).toEqual(expect.arrayContaining(['stamp-headers', 'require-token']));
  expect(onApp).toEqual(await offline('/x'));
  expect(onAdmin).toEqual(await offline('/admin/x'));
  // Listing ran no hook: the backend saw no request.
  expect(backend.requests).toHaveLength(0);
});
