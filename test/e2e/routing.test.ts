/**
 * Routing: which cluster a request goes to, by host, path, method and headers, and which route wins when
 * several match (exact host > wildcard, longer suffix first > any host; then exact path > longest prefix >
 * regex > no path; then more method/header conditions; then declaration order). No match is a 404.
 */
import { describe, expect, onTestFinished, test } from 'vitest';
import { echoBackend, type EchoReply, type HttpBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

interface Probe {
  readonly host?: string;
  readonly path?: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Starts one echo backend per cluster name (each cluster is named after its backend) and Junction with
 * `routesYaml`; `answeredBy` says which backend answered a request, or `404` and the like.
 */
async function setup(clusterNames: readonly string[], routesYaml: string) {
  const backends = new Map<string, HttpBackend>();
  for (const name of clusterNames) {
    const backend = await echoBackend(name);
    onTestFinished(() => backend.close());
    backends.set(name, backend);
  }
  const clusters = [...backends.values()]
    .map((b) => `  ${b.name}: { backends: ["${b.address}"] }`)
    .join('\n');
  const junction = await startJunctionFromYaml(`routes:\n${routesYaml}\nclusters:\n${clusters}\n`);
  onTestFinished(() => junction.close());
  const answeredBy = async (probe: Probe): Promise<string> => {
    const res = await request(junction.port, {
      method: probe.method ?? 'GET',
      path: probe.path ?? '/',
      headers: { host: probe.host ?? 'any.test', ...probe.headers },
    });
    return res.status === 200 ? (res.json() as EchoReply).backend : String(res.status);
  };
  const answers = (probes: readonly Probe[]): Promise<string[]> => Promise.all(probes.map(answeredBy));
  return { junction, backends, answeredBy, answers };
}

describe('matching', () => {
  test('an exact host routes to its cluster and another host gets 404', async () => {
    const { answers } = await setup(
      ['api', 'www'],
      `  - { match: { host: api.example.com }, cluster: api }
  - { match: { host: www.example.com }, cluster: www }`,
    );
    expect(
      await answers([
        { host: 'api.example.com' },
        { host: 'www.example.com' },
        { host: 'other.example.com' },
      ]),
    ).toEqual(['api', 'www', '404']);
  });

  test('host matching ignores letter case and the port in Host', async () => {
    const { answers } = await setup(['api'], `  - { match: { host: api.example.com }, cluster: api }`);
    expect(await answers([{ host: 'API.Example.COM' }, { host: 'api.example.com:8080' }])).toEqual([
      'api',
      'api',
    ]);
  });

  test('a host list matches any of its hosts', async () => {
    const { answers } = await setup(['multi'], `  - { match: { host: [a.test, b.test] }, cluster: multi }`);
    expect(await answers([{ host: 'a.test' }, { host: 'b.test' }, { host: 'c.test' }])).toEqual([
      'multi',
      'multi',
      '404',
    ]);
  });

  test('a wildcard host matches one or more labels before its suffix, not the bare domain', async () => {
    const { answers } = await setup(['wild'], `  - { match: { host: "*.example.com" }, cluster: wild }`);
    expect(
      await answers([
        { host: 'a.example.com' },
        { host: 'a.b.example.com' },
        { host: 'example.com' },
        { host: 'badexample.com' },
      ]),
    ).toEqual(['wild', 'wild', '404', '404']);
  });

  test('an exact path matches only that path, whatever the query string', async () => {
    const { answers } = await setup(
      ['health'],
      `  - { match: { path: { exact: /health } }, cluster: health }`,
    );
    expect(
      await answers([
        { path: '/health' },
        { path: '/health?verbose=1' },
        { path: '/health/x' },
        { path: '/healthz' },
      ]),
    ).toEqual(['health', 'health', '404', '404']);
  });

  test('a prefix path (plain string or {prefix}) matches the paths under it', async () => {
    const { answers } = await setup(
      ['api', 'static'],
      `  - { match: { path: /api/ }, cluster: api }
  - { match: { path: { prefix: /static/ } }, cluster: static }`,
    );
    expect(
      await answers([
        { path: '/api/users' },
        { path: '/static/a.css?v=2' },
        { path: '/other' },
        { path: '/ap' },
      ]),
    ).toEqual(['api', 'static', '404', '404']);
  });

  test('a regex path matches paths the expression matches', async () => {
    const { answers } = await setup(
      ['versioned'],
      `  - { match: { path: { regex: '^/v[0-9]+/' } }, cluster: versioned }`,
    );
    expect(
      await answers([{ path: '/v1/items' }, { path: '/v42/x' }, { path: '/vx/items' }, { path: '/a/v1/' }]),
    ).toEqual(['versioned', 'versioned', '404', '404']);
  });

  test('a method condition matches one method or any of a list', async () => {
    const { answers } = await setup(
      ['reader', 'writer'],
      `  - { match: { method: GET }, cluster: reader }
  - { match: { method: [POST, PUT] }, cluster: writer }`,
    );
    expect(
      await answers([{ method: 'GET' }, { method: 'POST' }, { method: 'PUT' }, { method: 'DELETE' }]),
    ).toEqual(['reader', 'writer', 'writer', '404']);
  });

  test('header conditions match an exact value, a regex, or mere presence, by case-insensitive name', async () => {
    const { answers } = await setup(
      ['canary', 'beta', 'traced'],
      `  - { match: { headers: { x-canary: "1" } }, cluster: canary }
  - { match: { headers: { x-channel: { regex: '^beta-' } } }, cluster: beta }
  - { match: { headers: { x-trace: { present: true } } }, cluster: traced }`,
    );
    expect(
      await answers([
        { headers: { 'X-Canary': '1' } },
        { headers: { 'x-canary': '2' } },
        { headers: { 'x-channel': 'beta-7' } },
        { headers: { 'x-channel': 'stable' } },
        { headers: { 'x-trace': '' } },
        {},
      ]),
    ).toEqual(['canary', '404', 'beta', '404', 'traced', '404']);
  });

  test('every condition of a route must hold', async () => {
    const { answers } = await setup(
      ['narrow'],
      `  - match: { host: api.example.com, path: /admin/, method: POST, headers: { x-role: admin } }
    cluster: narrow`,
    );
    const ok = { host: 'api.example.com', path: '/admin/x', method: 'POST', headers: { 'x-role': 'admin' } };
    expect(
      await answers([
        ok,
        { ...ok, host: 'www.example.com' },
        { ...ok, path: '/public' },
        { ...ok, method: 'GET' },
        { ...ok, headers: { 'x-role': 'user' } },
      ]),
    ).toEqual(['narrow', '404', '404', '404', '404']);
  });
});

describe('precedence', () => {
  test('an exact host beats a wildcard host, which beats any host, whatever the declaration order', async () => {
    const { answers } = await setup(
      ['anyhost', 'wildcard', 'exact'],
      `  - { match: { path: / }, cluster: anyhost }
  - { match: { host: "*.example.com" }, cluster: wildcard }
  - { match: { host: api.example.com }, cluster: exact }`,
    );
    expect(
      await answers([{ host: 'api.example.com' }, { host: 'www.example.com' }, { host: 'other.org' }]),
    ).toEqual(['exact', 'wildcard', 'anyhost']);
  });

  test('the wildcard with the longer suffix wins', async () => {
    const { answers } = await setup(
      ['generic', 'eu'],
      `  - { match: { host: "*.example.com" }, cluster: generic }
  - { match: { host: "*.eu.example.com" }, cluster: eu }`,
    );
    expect(await answers([{ host: 'shop.eu.example.com' }, { host: 'shop.example.com' }])).toEqual([
      'eu',
      'generic',
    ]);
  });

  test('the host decides before the path: an exact host without path beats any host with an exact path', async () => {
    const { answers } = await setup(
      ['login', 'api'],
      `  - { match: { path: { exact: /login } }, cluster: login }
  - { match: { host: api.example.com }, cluster: api }`,
    );
    expect(
      await answers([
        { host: 'api.example.com', path: '/login' },
        { host: 'x.test', path: '/login' },
      ]),
    ).toEqual(['api', 'login']);
  });

  test('exact path beats the longest prefix, which beats a shorter prefix, a regex, and no path', async () => {
    const { answers } = await setup(
      ['nopath', 'regex', 'short', 'long', 'exact'],
      `  - { match: {}, cluster: nopath }
  - { match: { path: { regex: '^/(a|r)' } }, cluster: regex }
  - { match: { path: { prefix: /a/ } }, cluster: short }
  - { match: { path: { prefix: /a/b/ } }, cluster: long }
  - { match: { path: { exact: /a/b/c } }, cluster: exact }`,
    );
    expect(
      await answers([
        { path: '/a/b/c' },
        { path: '/a/b/c/d' },
        { path: '/a/x' },
        { path: '/r1' },
        { path: '/z' },
      ]),
    ).toEqual(['exact', 'long', 'short', 'regex', 'nopath']);
  });

  test('among equal host and path, more method and header conditions win', async () => {
    const { answers } = await setup(
      ['plain', 'get', 'getcanary'],
      `  - { match: { path: / }, cluster: plain }
  - { match: { path: /, method: GET }, cluster: get }
  - { match: { path: /, method: GET, headers: { x-canary: "1" } }, cluster: getcanary }`,
    );
    expect(
      await answers([{ method: 'GET', headers: { 'x-canary': '1' } }, { method: 'GET' }, { method: 'POST' }]),
    ).toEqual(['getcanary', 'get', 'plain']);
  });

  test('otherwise the route declared first wins', async () => {
    const { answers } = await setup(
      ['first', 'second'],
      `  - { match: { path: /same/ }, cluster: first }
  - { match: { path: /same/ }, cluster: second }`,
    );
    expect(await answers([{ path: '/same/x' }, { path: '/same/y' }])).toEqual(['first', 'first']);
  });
});

test('a request no route matches gets 404 from Junction and reaches no backend', async () => {
  const { junction, backends } = await setup(
    ['api'],
    `  - { match: { host: api.example.com }, cluster: api }`,
  );
  const res = await request(junction.port, { path: '/nothing-here', headers: { host: 'nowhere.test' } });
  expect(res.status).toBe(404);
  expect(res.text.length).toBeGreaterThan(0);
  expect(backends.get('api')?.requestsStarted).toBe(0);
});
