import { afterAll, describe, expect, test } from 'vitest';
import { loadConfigText, type JunctionConfig } from '../config/index.ts';
import { explain } from './evaluate.ts';
import type { ExplainRequest } from './request.ts';
import { explanationJson, explanationText } from './format.ts';

const YAML = `
listeners:
  - { name: main, address: 127.0.0.1, port: 8080 }
  - { name: secure-redirect, address: 127.0.0.1, port: 8081, redirect_to_https: { port: 8443 } }
rules:
  - when: ua-req
    do:
      - ua-req-field<X-Internal>: null
  - when: pre-remap
    do:
      - with: '{ua-req-path}'
        select:
          - prefix: 'legacy/'
            do:
              - ua-req-path: 'v2/{*}'
  - when: pre-remap
    do:
      - with: '{ua-req-host}'
        select:
          - match: 'old.example.com'
            do:
              - redirect: [301, 'https://new.example.com/{ua-req-path}']
routes:
  - name: api-v2
    match: { host: api.example.com, path: /v2/, method: [GET, POST] }
    cluster: api
  - name: api-admin
    match: { host: api.example.com, path: /admin/, headers: { x-admin: 'yes' } }
    cluster: api
  - name: shop
    match: { host: '*.shop.example.com', path: /cart }
    cluster: shop
    rules:
      - with: '{ua-req-field<X-Beta>}'
        select:
          - match: '1'
            do:
              - cluster: 'shop-beta'
  - name: pinned
    match: { path: /pinned/ }
    cluster: hashed
clusters:
  api:
    backends: [10.0.0.1:80, 10.0.0.2:80]
  shop:
    backends: [10.0.1.1:80]
  shop-beta:
    backends: [10.0.2.1:80]
  hashed:
    backends: [10.0.3.1:80, 10.0.3.2:80, 10.0.3.3:80]
    strategy: { kind: consistent-hash, key: 'header:x-user' }
`;

let config: JunctionConfig | undefined;
const load = async () => (config ??= await loadConfigText(YAML, '<explain-test>'));
afterAll(() => config?.rules?.dispose());

function req(line: string, headers: Record<string, string> = {}): ExplainRequest {
  const [method, url] = line.split(' ') as [string, string];
  return { method, url, headers: Object.entries(headers) };
}

describe('explain', () => {
  test('a matching route: the routes tried in order, the cluster, candidates of round robin', async () => {
    const e = await explain(await load(), req('GET http://api.example.com:8080/v2/users'), {
      skipPlugins: true,
    });
    expect(e.listener?.name).toBe('main');
    expect(e.route).toBe('api-v2');
    // The longer prefix is tried first (rule 2).
    expect(e.routing.considered).toEqual([
      { route: 'api-admin', hostBy: 'exact', failed: "path '/v2/users' does not start with '/admin/'" },
      { route: 'api-v2', hostBy: 'exact', failed: undefined },
    ]);
    expect(e.cluster?.name).toBe('api');
    expect(e.cluster?.pick.deterministic).toBe(false);
    expect(e.cluster?.pick.candidates.map((c) => c.id)).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    expect(e.outcome).toMatchObject({ kind: 'proxy' });
    expect(e.retries?.idempotent).toBe(true);
  });

  test('each route the matcher passed over names the condition that failed', async () => {
    const e = await explain(await load(), req('DELETE http://api.example.com:8080/v2/users'), {
      skipPlugins: true,
    });
    expect(e.routing.considered[1]).toEqual({
      route: 'api-v2',
      hostBy: 'exact',
      failed: 'method DELETE is not GET or POST',
    });
    expect(e.outcome).toMatchObject({ kind: 'local', status: 404, code: 'JCT_ERR_ROUTE_NOT_FOUND' });
    expect(e.routing.closest[0]).toEqual({ route: 'api-v2', missed: ['method DELETE is not GET or POST'] });
  });

  test('404: the closest routes and every condition each missed', async () => {
    const e = await explain(await load(), req('GET http://api.example.com:8080/admin/x'), {
      skipPlugins: true,
    });
    expect(e.outcome.status).toBe(404);
    expect(e.routing.closest[0]).toEqual({ route: 'api-admin', missed: ['header x-admin is absent'] });
    const text = explanationText(e);
    expect(text).toContain('No route matches. Closest routes:');
    expect(text).toContain('api-admin: header x-admin is absent');
  });

  test('a rule rewrites the path before routing; routing sees the new path', async () => {
    const e = await explain(
      await load(),
      req('GET http://api.example.com:8080/legacy/users?id=1', { 'X-Internal': 'yes' }),
      { skipPlugins: true },
    );
    expect(e.rules).toEqual([
      { hook: 'ua-req', rule: 'rule 1 at ua-req', changes: ['field X-Internal: removed'], error: undefined },
      {
        hook: 'pre-remap',
        rule: 'rule 1 at pre-remap',
        changes: ['path: /legacy/users -> /v2/users'],
        error: undefined,
      },
    ]);
    expect(e.route).toBe('api-v2');
    expect(e.upstreamRequest?.path).toBe('/v2/users');
    expect(e.upstreamRequest?.query).toBe('?id=1');
  });

  test('a rule redirects: the walk stops with the redirect', async () => {
    const e = await explain(await load(), req('GET http://old.example.com:8080/a/b'), { skipPlugins: true });
    expect(e.outcome).toMatchObject({ kind: 'local', status: 301, location: 'https://new.example.com/a/b' });
    expect(e.routing.chosenBy).toBeUndefined();
    expect(e.rules.at(-1)?.changes).toEqual(['redirect: 301 to https://new.example.com/a/b']);
  });

  test("a route's rules choose another cluster", async () => {
    const e = await explain(
      await load(),
      req('GET http://eu.shop.example.com:8080/cart', { 'X-Beta': '1' }),
      {
        skipPlugins: true,
      },
    );
    expect(e.routing.considered).toEqual([
      { route: 'shop', hostBy: '*.shop.example.com', failed: undefined },
    ]);
    expect(e.cluster).toMatchObject({ name: 'shop-beta', chosenBy: 'rule' });
    expect(e.rules).toContainEqual({
      hook: 'remap',
      rule: "route 'shop' rules",
      changes: ['cluster: shop-beta'],
      error: undefined,
    });
    expect(e.cluster?.pick).toMatchObject({ deterministic: true, backend: '10.0.2.1:80' });
  });

  test('a consistent hash picks one backend for a given key, the same every time', async () => {
    const a = await explain(await load(), req('GET http://x:8080/pinned/1', { 'X-User': 'alice' }), {
      skipPlugins: true,
    });
    expect(a.cluster?.pick.deterministic).toBe(true);
    const again = await explain(await load(), req('GET http://x:8080/pinned/1', { 'X-User': 'alice' }), {
      skipPlugins: true,
    });
    expect(again.cluster?.pick.backend).toBe(a.cluster?.pick.backend);
  });

  test('health: a backend health skips is reported, and when none is up the answer is 503', async () => {
    const e = await explain(await load(), req('GET http://api.example.com:8080/v2/x'), {
      skipPlugins: true,
      health: (_cluster, backend) =>
        backend === '10.0.0.1:80' ? { up: false, because: 'ejected by passive health' } : { up: true },
    });
    expect(e.cluster?.backends.find((b) => b.id === '10.0.0.1:80')?.skippedBecause).toBe(
      'ejected by passive health',
    );
    expect(e.cluster?.pick).toMatchObject({ deterministic: true, backend: '10.0.0.2:80' });
    const none = await explain(await load(), req('GET http://api.example.com:8080/v2/x'), {
      skipPlugins: true,
      health: () => ({ up: false }),
    });
    expect(none.outcome).toMatchObject({ status: 503, code: 'JCT_ERR_NO_UPSTREAM' });
  });

  test('a listener that redirects to HTTPS answers before any rule or route', async () => {
    const e = await explain(await load(), req('GET http://api.example.com:8081/v2/x?q=1'), {
      skipPlugins: true,
    });
    expect(e.listener?.name).toBe('secure-redirect');
    expect(e.outcome).toMatchObject({ status: 301, location: 'https://api.example.com:8443/v2/x?q=1' });
    expect(e.rules).toEqual([]);
  });

  test('--json output has sorted keys and nulls, and parses back', async () => {
    const e = await explain(await load(), req('GET http://api.example.com:8080/v2/users'), {
      skipPlugins: true,
    });
    const json = explanationJson(e);
    const parsed = JSON.parse(json) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual([...Object.keys(parsed)].sort());
    expect(parsed['outcome']).toMatchObject({ kind: 'proxy', status: null });
  });
});

describe('explain: checks after routing', () => {
  test('a body over the route limit is 413, an upgrade the route refuses is refused', async () => {
    const small = await loadConfigText(
      `
listeners: [{ name: main, address: 127.0.0.1, port: 8080 }]
routes:
  - name: upload
    match: { path: /up }
    cluster: c
    max_body_size: 10
    upgrade: false
clusters:
  c: { backends: [10.0.0.1:80] }
`,
      '<explain-limits>',
    );
    const big = await explain(
      small,
      { method: 'POST', url: 'http://x:8080/up', headers: [['Content-Length', '100']] },
      { skipPlugins: true },
    );
    expect(big.outcome).toMatchObject({ status: 413, code: 'JCT_ERR_HTTP_BODY_TOO_LARGE' });
    const ws = await explain(
      small,
      {
        method: 'GET',
        url: 'http://x:8080/up',
        headers: [
          ['Connection', 'Upgrade'],
          ['Upgrade', 'websocket'],
        ],
      },
      { skipPlugins: true },
    );
    expect(ws.outcome).toMatchObject({ code: 'JCT_ERR_UPGRADE_REFUSED' });
    const fine = await explain(
      small,
      { method: 'POST', url: 'http://x:8080/up', headers: [['Content-Length', '5']] },
      { skipPlugins: true },
    );
    expect(fine.outcome.kind).toBe('proxy');
  });
});
