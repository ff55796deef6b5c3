import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import type { HeaderMatch, HostMatch, PathMatch, RouteConfig } from '../config/index.ts';
import { RouteTable, type RouteRequest } from './route-table.ts';

interface RouteSpec {
  readonly host?: readonly string[];
  readonly path?: PathMatch | undefined;
  readonly method?: readonly string[];
  readonly headers?: readonly HeaderMatch[];
}

function host(pattern: string): HostMatch {
  return pattern.startsWith('*.')
    ? { kind: 'wildcard', suffix: pattern.slice(1) }
    : { kind: 'exact', host: pattern };
}

function route(name: string, spec: RouteSpec = {}): RouteConfig {
  return {
    name,
    cluster: name,
    maxBodyBytes: undefined,
    upgrade: true,
    match: {
      hosts: (spec.host ?? []).map(host),
      path: spec.path,
      methods: spec.method ?? [],
      headers: spec.headers ?? [],
    },
    strategy: undefined,
    plugins: [],
  };
}

const prefix = (value: string): PathMatch => ({ kind: 'prefix', value });
const exact = (value: string): PathMatch => ({ kind: 'exact', value });
const regex = (value: string): PathMatch => ({ kind: 'regex', value });

function request(
  target: string,
  method = 'GET',
  headers: Readonly<Record<string, string>> = {},
): RouteRequest {
  const slash = target.indexOf('/');
  return {
    host: target.slice(0, slash),
    path: target.slice(slash),
    method,
    header: (name) => headers[name],
  };
}

function matchName(routes: readonly RouteConfig[], req: RouteRequest): string | undefined {
  return new RouteTable(routes).match(req)?.name;
}

describe('RouteTable precedence', () => {
  test.each<[string, RouteConfig[], RouteRequest, string | undefined]>([
    ['empty table matches nothing', [], request('a.com/'), undefined],
    ['a catch-all matches anything', [route('all')], request('x.org/any/thing', 'DELETE'), 'all'],
    [
      'exact host beats wildcard beats any host',
      [route('any'), route('wild', { host: ['*.a.com'] }), route('exact', { host: ['www.a.com'] })],
      request('www.a.com/'),
      'exact',
    ],
    [
      'wildcard beats any host',
      [route('any'), route('wild', { host: ['*.a.com'] }), route('exact', { host: ['www.a.com'] })],
      request('api.a.com/'),
      'wild',
    ],
    [
      'the longer wildcard suffix wins',
      [route('short', { host: ['*.com'] }), route('long', { host: ['*.a.com'] })],
      request('x.a.com/'),
      'long',
    ],
    [
      'a wildcard matches several labels',
      [route('wild', { host: ['*.a.com'] })],
      request('x.y.a.com/'),
      'wild',
    ],
    [
      'a fully qualified host (trailing dot) matches like the plain name',
      [route('exact', { host: ['a.com'] }), route('wild', { host: ['*.b.com'] })],
      request('x.b.com./'),
      'wild',
    ],
    ['a trailing dot on an exact host', [route('exact', { host: ['a.com'] })], request('a.com./'), 'exact'],
    [
      'a wildcard does not match its apex',
      [route('wild', { host: ['*.a.com'] })],
      request('a.com/'),
      undefined,
    ],
    [
      'a wildcard does not match a longer name that merely ends the same',
      [route('wild', { host: ['*.a.com'] })],
      request('xa.com/'),
      undefined,
    ],
    [
      'host outranks path: exact host with no path beats any host with an exact path',
      [route('path', { path: exact('/x') }), route('host', { host: ['a.com'] })],
      request('a.com/x'),
      'host',
    ],
    [
      'a route lists several hosts',
      [route('multi', { host: ['a.com', '*.b.com'] })],
      request('x.b.com/'),
      'multi',
    ],
    [
      'exact path beats prefix beats regex beats no path',
      [
        route('none'),
        route('re', { path: regex('^/x') }),
        route('pre', { path: prefix('/x') }),
        route('ex', { path: exact('/x') }),
      ],
      request('a.com/x'),
      'ex',
    ],
    [
      'prefix beats regex',
      [
        route('none'),
        route('re', { path: regex('^/x') }),
        route('pre', { path: prefix('/x') }),
        route('ex', { path: exact('/x') }),
      ],
      request('a.com/xy'),
      'pre',
    ],
    [
      'regex beats no path',
      [route('none'), route('re', { path: regex('y$') }), route('pre', { path: prefix('/x') })],
      request('a.com/ay'),
      're',
    ],
    [
      'the longest prefix wins, wherever it is declared',
      [
        route('root', { path: prefix('/') }),
        route('api', { path: prefix('/api/') }),
        route('v1', { path: prefix('/api/v1/') }),
      ],
      request('a.com/api/v1/users'),
      'v1',
    ],
    [
      'a prefix is a plain string prefix: /api matches /apix',
      [route('api', { path: prefix('/api') })],
      request('a.com/apix'),
      'api',
    ],
    ['/api/ does not match /api', [route('api', { path: prefix('/api/') })], request('a.com/api'), undefined],
    [
      'regexes: the first declared wins, even against more conditions',
      [route('first', { path: regex('^/v') }), route('second', { path: regex('^/v[0-9]'), method: ['GET'] })],
      request('a.com/v1'),
      'first',
    ],
    [
      'the same regex twice ties on path; conditions decide',
      [route('plain', { path: regex('^/v') }), route('get', { path: regex('^/v'), method: ['GET'] })],
      request('a.com/v1'),
      'get',
    ],
    [
      'a method condition beats none',
      [route('plain', { path: prefix('/a') }), route('get', { path: prefix('/a'), method: ['GET', 'HEAD'] })],
      request('a.com/a', 'HEAD'),
      'get',
    ],
    [
      'an unmatched method falls through to the next candidate',
      [route('plain', { path: prefix('/a') }), route('get', { path: prefix('/a'), method: ['GET'] })],
      request('a.com/a', 'POST'),
      'plain',
    ],
    [
      'more conditions win',
      [
        route('one', { method: ['GET'] }),
        route('two', { method: ['GET'], headers: [{ name: 'x-canary', value: '1' }] }),
      ],
      request('a.com/', 'GET', { 'x-canary': '1' }),
      'two',
    ],
    [
      'then declaration order',
      [route('first', { path: prefix('/a') }), route('second', { path: prefix('/a') })],
      request('a.com/a'),
      'first',
    ],
    [
      'header exact values are case-sensitive',
      [route('canary', { headers: [{ name: 'x-canary', value: 'yes' }] })],
      request('a.com/', 'GET', { 'x-canary': 'YES' }),
      undefined,
    ],
    [
      'header regex',
      [route('num', { headers: [{ name: 'x-id', regex: '^[0-9]+$' }] })],
      request('a.com/', 'GET', { 'x-id': '42' }),
      'num',
    ],
    [
      'header presence',
      [route('debug', { headers: [{ name: 'x-debug' }] })],
      request('a.com/', 'GET', { 'x-debug': '' }),
      'debug',
    ],
    [
      'all header conditions must hold',
      [route('both', { headers: [{ name: 'x-a' }, { name: 'x-b' }] }), route('rest')],
      request('a.com/', 'GET', { 'x-a': '1' }),
      'rest',
    ],
    [
      'an exact-host route whose path fails falls through to wildcard, then any host',
      [
        route('exact', { host: ['a.b.com'], path: exact('/only') }),
        route('wild', { host: ['*.b.com'], path: prefix('/w') }),
        route('any'),
      ],
      request('a.b.com/x'),
      'any',
    ],
  ])('%s', (_name, routes, req, expected) => {
    expect(matchName(routes, req)).toBe(expected);
  });

  test('reports its size and returns the configured route object', () => {
    const routes = [route('a'), route('b', { host: ['x.com', 'x.com'] })];
    const table = new RouteTable(routes);
    expect(table.size).toBe(2);
    expect(table.match(request('x.com/'))).toBe(routes[1]);
  });
});

// --- Property: the compiled table agrees with a naive matcher that scores every route. ---

const HOSTS = ['a.com', 'b.a.com', 'x.b.a.com', '*.a.com', '*.b.a.com', '*.com'];
const REQUEST_HOSTS = ['a.com', 'b.a.com', 'x.b.a.com', 'y.a.com', 'c.com', 'other.org', ''];
const PATHS: readonly PathMatch[] = [
  exact('/'),
  exact('/a'),
  exact('/a/b'),
  prefix('/'),
  prefix('/a'),
  prefix('/a/'),
  prefix('/ab'),
  regex('^/a'),
  regex('b$'),
  regex('^/[a-z]+$'),
];
const REQUEST_PATHS = ['/', '/a', '/a/', '/a/b', '/ab', '/abc', '/b', '/x/b'];
const HEADERS: readonly HeaderMatch[] = [
  { name: 'x', value: '1' },
  { name: 'x' },
  { name: 'y', regex: '^[0-9]+$' },
];

const routeSpec = fc.record({
  host: fc.subarray(HOSTS, { maxLength: 2 }),
  path: fc.option(fc.constantFrom(...PATHS), { nil: undefined }),
  method: fc.subarray(['GET', 'POST'], { maxLength: 2 }),
  headers: fc.subarray([...HEADERS], { maxLength: 2 }),
});

const requestSpec = fc.record({
  host: fc.constantFrom(...REQUEST_HOSTS),
  path: fc.constantFrom(...REQUEST_PATHS),
  method: fc.constantFrom('GET', 'POST', 'PUT'),
  headers: fc.record({ x: fc.constantFrom('1', '2'), y: fc.constantFrom('7', 'z') }, { requiredKeys: [] }),
});

/** Matches every route independently and keeps the best score: the rules as written, nothing compiled. */
function naiveMatch(routes: readonly RouteConfig[], req: RouteRequest): RouteConfig | undefined {
  let best: { route: RouteConfig; score: number[] } | undefined;
  routes.forEach((candidate, index) => {
    const m = candidate.match;
    let hostScore = m.hosts.length === 0 ? 0 : -1;
    for (const h of m.hosts) {
      if (h.kind === 'exact' && h.host === req.host) hostScore = Math.max(hostScore, 10_000);
      if (h.kind === 'wildcard' && req.host.endsWith(h.suffix) && req.host.length > h.suffix.length) {
        hostScore = Math.max(hostScore, h.suffix.length);
      }
    }
    if (hostScore < 0) return;
    const p = m.path;
    const pathOk =
      p === undefined ||
      (p.kind === 'exact' && req.path === p.value) ||
      (p.kind === 'prefix' && req.path.startsWith(p.value)) ||
      (p.kind === 'regex' && new RegExp(p.value).test(req.path));
    if (!pathOk) return;
    if (m.methods.length > 0 && !m.methods.includes(req.method)) return;
    const headersOk = m.headers.every((h) => {
      const value = req.header(h.name);
      if (value === undefined) return false;
      if (h.regex !== undefined) return new RegExp(h.regex).test(value);
      return h.value === undefined || h.value === value;
    });
    if (!headersOk) return;
    const pathTier = p === undefined ? 0 : p.kind === 'regex' ? 1 : p.kind === 'prefix' ? 2 : 3;
    const prefixLength = p?.kind === 'prefix' ? p.value.length : 0;
    const regexFirst =
      p?.kind === 'regex'
        ? routes.findIndex((r) => r.match.path?.kind === 'regex' && r.match.path.value === p.value)
        : 0;
    const conditions = (m.methods.length > 0 ? 1 : 0) + m.headers.length;
    const score = [hostScore, pathTier, prefixLength, -regexFirst, conditions, -index];
    if (best === undefined || isGreater(score, best.score)) best = { route: candidate, score };
  });
  return best?.route;
}

function isGreater(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i]! > b[i]!;
  }
  return false;
}

const runs = Number(process.env['JUNCTION_FC_RUNS'] ?? 300);
const seed =
  process.env['JUNCTION_FC_SEED'] === undefined ? undefined : Number(process.env['JUNCTION_FC_SEED']);

describe('RouteTable against a naive reference matcher', () => {
  propTest.prop(
    [fc.array(routeSpec, { maxLength: 12 }), fc.array(requestSpec, { minLength: 1, maxLength: 10 })],
    {
      numRuns: runs,
      ...(seed === undefined ? {} : { seed }),
    },
  )('picks the same route for every request', (specs, requests) => {
    const routes = specs.map((spec, index) => route(`r${index}`, spec));
    const table = new RouteTable(routes);
    for (const r of requests) {
      const req = request(`${r.host}${r.path}`, r.method, r.headers);
      expect(table.match(req)?.name).toBe(naiveMatch(routes, req)?.name);
    }
  });
});

describe('RouteTable.gradually', () => {
  test('builds the same table as the constructor, a slice at a time', async () => {
    const routes = Array.from({ length: 2_500 }, (_, i) =>
      route(`r${i}`, {
        host: i % 3 === 0 ? [] : [i % 5 === 0 ? `*.w${i % 7}.example.com` : `h${i % 50}.example.com`],
        path: { kind: 'prefix', value: `/p${i % 70}/` },
      }),
    );
    const direct = new RouteTable(routes);
    const gradual = await RouteTable.gradually(routes);
    expect(gradual.size).toBe(direct.size);
    for (let i = 0; i < 200; i++) {
      const request: RouteRequest = {
        host: i % 4 === 0 ? `a.w${i % 7}.example.com` : `h${i % 60}.example.com`,
        path: `/p${i % 80}/x`,
        method: 'GET',
        header: () => undefined,
      };
      expect(gradual.match(request)?.name).toBe(direct.match(request)?.name);
    }
  });
});
