/**
 * RouteTable.explain() against match(): for any table and request, explain's chosen route is the one
 * match() returns, the last route it considered is that route, every earlier one names a failed
 * condition, and with no match every route is listed with at least one miss.
 */
import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import type { HostMatch, PathMatch, RouteConfig } from '../config/index.ts';
import { RouteTable, type RouteRequest } from './route-table.ts';

const hostArb = fc.constantFrom<HostMatch>(
  { kind: 'exact', host: 'a.com' },
  { kind: 'exact', host: 'b.a.com' },
  { kind: 'wildcard', suffix: '.a.com' },
);
const pathArb = fc.option(
  fc.constantFrom<PathMatch>(
    { kind: 'prefix', value: '/' },
    { kind: 'prefix', value: '/api/' },
    { kind: 'exact', value: '/api/x' },
    { kind: 'regex', value: '^/v[0-9]/' },
  ),
  { nil: undefined },
);
const routeArb = fc.record({
  hosts: fc.array(hostArb, { maxLength: 2 }),
  path: pathArb,
  methods: fc.constantFrom<string[]>([], ['GET'], ['POST', 'PUT']),
  headers: fc.constantFrom([], [{ name: 'x-a', value: '1' }], [{ name: 'x-b', regex: '^y' }]),
});
const requestArb = fc.record({
  host: fc.constantFrom('a.com', 'b.a.com', 'c.b.a.com', 'x.org', 'a.com.'),
  path: fc.constantFrom('/', '/api/', '/api/x', '/v1/a', '/other'),
  method: fc.constantFrom('GET', 'POST', 'DELETE'),
  xa: fc.constantFrom(undefined, '1', '2'),
  xb: fc.constantFrom(undefined, 'yes', 'no'),
});

function table(specs: readonly (typeof routeArb extends fc.Arbitrary<infer T> ? T : never)[]): RouteConfig[] {
  return specs.map((spec, i) => ({
    name: `r${i}`,
    cluster: 'c',
    maxBodyBytes: undefined,
    upgrade: true,
    strategy: undefined,
    plugins: [],
    match: { hosts: spec.hosts, path: spec.path, methods: spec.methods, headers: spec.headers },
  }));
}

describe('RouteTable.explain', () => {
  propTest.prop([fc.array(routeArb, { maxLength: 6 }), requestArb], { numRuns: 300 })(
    'agrees with match() and names a failed condition for every route passed over',
    (specs, r) => {
      const routes = new RouteTable(table(specs));
      const request: RouteRequest = {
        host: r.host,
        path: r.path,
        method: r.method,
        header: (name) => (name === 'x-a' ? r.xa : name === 'x-b' ? r.xb : undefined),
      };
      const matched = routes.match(request);
      const e = routes.explain(request);
      expect(e.chosen).toBe(matched);
      const last = e.considered.at(-1);
      if (matched !== undefined) {
        expect(last).toMatchObject({ route: matched.name, failed: undefined });
        expect(e.missed).toEqual([]);
      } else {
        expect(e.missed).toHaveLength(specs.length);
        for (const m of e.missed) expect(m.failed.length).toBeGreaterThan(0);
      }
      for (const v of e.considered.slice(0, -1)) expect(v.failed).toBeDefined();
    },
  );

  test('the condition that failed, in words', () => {
    const routes = new RouteTable(
      table([
        {
          hosts: [{ kind: 'exact', host: 'a.com' }],
          path: { kind: 'regex', value: '^/v[0-9]/' },
          methods: ['POST'],
          headers: [{ name: 'x-a', value: '1' }],
        },
      ]),
    );
    const e = routes.explain({ host: 'x.org', path: '/api', method: 'GET', header: () => '2' });
    expect(e.missed[0]?.failed).toEqual([
      "host 'x.org' is not a.com",
      "path '/api' does not match regex '^/v[0-9]/'",
      'method GET is not POST',
      "header x-a '2' is not '1'",
    ]);
  });
});
