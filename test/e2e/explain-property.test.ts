/**
 * Property: what `junction explain` says about a request is what a running Junction does with it.
 * Random requests (method, host, path, fields) go to a real Junction in this process, whose backends
 * echo what they received; explain evaluates the same request under the same config. The route and
 * cluster (from the transaction's end), the path and host the backend got, the backend a consistent
 * hash picks, and the status and location of an answer Junction gives itself must agree.
 * JUNCTION_FC_RUNS widens a run and JUNCTION_FC_SEED replays one.
 */
import { fc } from '@fast-check/vitest';
import { onTestFinished, test, expect } from 'vitest';
import { explain } from '../../src/explain/index.ts';
import type { TxnEnd } from '../../src/transaction/index.ts';
import { echoBackend, type HttpBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

const runs = Number(process.env['JUNCTION_FC_RUNS'] ?? 60);
const seed =
  process.env['JUNCTION_FC_SEED'] === undefined ? undefined : Number(process.env['JUNCTION_FC_SEED']);

function configYaml(b: Record<string, HttpBackend>): string {
  return `
rules:
  - when: ua-req
    do:
      - ua-req-field<X-Internal>: null
  - when: pre-remap
    do:
      - with: ua-req-path
        select:
          - prefix: 'legacy/'
            do:
              - ua-req-path: 'v2/{*}'
          - prefix: 'blocked/'
            do:
              - proxy-reply: 403
  - when: pre-remap
    do:
      - with: ua-req-host
        select:
          - match: 'old.example.com'
            do:
              - redirect: [301, 'https://new.example.com/{ua-req-path}']
          - match: 'alias.example.com'
            do:
              - ua-req-host: 'api.example.com'
routes:
  - name: api-v2
    match: { host: api.example.com, path: /v2/, method: [GET, POST] }
    cluster: api
  - name: api-admin
    match: { host: api.example.com, path: /admin/, headers: { x-admin: 'yes' } }
    cluster: admin
  - name: shop
    match: { host: '*.shop.example.com', path: /cart }
    cluster: shop
    rules:
      - with: ua-req-field<X-Beta>
        select:
          - match: '1'
            do:
              - cluster: 'shop-beta'
              - ua-req-field<X-Beta-Seen>: 'yes'
  - name: hashed
    match: { path: { regex: '^/u/[0-9]+' } }
    cluster: hashed
  - name: fallback
    match: { host: www.example.com }
    cluster: api
clusters:
  api: { backends: ['${b['api']!.address}'] }
  admin: { backends: ['${b['admin']!.address}'] }
  shop: { backends: ['${b['shop']!.address}'] }
  shop-beta: { backends: ['${b['shop-beta']!.address}'] }
  hashed:
    backends: ['${b['h1']!.address}', '${b['h2']!.address}', '${b['h3']!.address}']
    strategy: { kind: consistent-hash, key: 'header:x-user' }
`;
}

const HOSTS = [
  'api.example.com',
  'alias.example.com',
  'old.example.com',
  'eu.shop.example.com',
  'shop.example.com',
  'www.example.com',
  'other.test',
];
const PATHS = ['/v2/', '/legacy/', '/admin/', '/blocked/', '/cart', '/u/1', '/u/', '/', '/v3/'];

const requestArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'),
  host: fc.constantFrom(...HOSTS),
  path: fc.tuple(fc.constantFrom(...PATHS), fc.stringMatching(/^[a-z0-9]{0,6}$/)).map(([a, b]) => a + b),
  query: fc.constantFrom('', '?q=1', '?a=b&c=d'),
  admin: fc.constantFrom(undefined, 'yes', 'no'),
  beta: fc.constantFrom(undefined, '1', '0'),
  user: fc.option(fc.stringMatching(/^[a-z]{1,8}$/), { nil: undefined }),
  internal: fc.boolean(),
});

interface EchoReply {
  readonly backend: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

test('explain agrees with what Junction does, for random requests', { timeout: 120_000 }, async () => {
  const names = ['api', 'admin', 'shop', 'shop-beta', 'h1', 'h2', 'h3'];
  const backends: Record<string, HttpBackend> = {};
  for (const name of names) {
    const backend = await echoBackend(name);
    onTestFinished(() => backend.close());
    backends[name] = backend;
  }
  const junction = await startJunctionFromYaml(configYaml(backends));
  onTestFinished(() => junction.close());
  const ends: TxnEnd[] = [];
  const stop = junction.server.watch({
    transactionEnded: (_session, end) => {
      ends.push(end);
    },
    attemptEnded: () => undefined,
    connected: () => undefined,
    retried: () => undefined,
  });
  onTestFinished(stop);
  const addressOf = new Map(names.map((n) => [backends[n]!.address, n]));

  await fc.assert(
    fc.asyncProperty(requestArb, async (r) => {
      const headers: [string, string][] = [['Host', r.host]];
      if (r.admin !== undefined) headers.push(['X-Admin', r.admin]);
      if (r.beta !== undefined) headers.push(['X-Beta', r.beta]);
      if (r.user !== undefined) headers.push(['X-User', r.user]);
      if (r.internal) headers.push(['X-Internal', 'secret']);
      const target = r.path + r.query;
      const e = await explain(
        junction.config,
        { method: r.method, url: `http://${r.host}:${junction.port}${target}`, headers },
        { skipPlugins: true },
      );
      ends.length = 0;
      const res = await request(junction.port, {
        method: r.method,
        path: target,
        headers: Object.fromEntries(headers),
      });
      const end = ends.at(-1);
      expect(end?.route?.name, 'route').toBe(e.route);
      if (e.outcome.kind === 'local') {
        expect(res.status, 'local answer status').toBe(e.outcome.status);
        expect(res.headers.location, 'redirect target').toBe(e.outcome.location);
        return;
      }
      expect(res.status).toBe(200);
      const echo = JSON.parse(res.body.toString()) as EchoReply;
      expect(end?.cluster, 'cluster').toBe(e.cluster?.name);
      const up = e.upstreamRequest!;
      expect(echo.url, 'path sent upstream').toBe(up.path + up.query);
      expect(echo.headers['host'], 'host sent upstream').toBe(
        up.headers.find(([n]) => n.toLowerCase() === 'host')?.[1],
      );
      expect(echo.headers['x-internal'], 'a removed field').toBeUndefined();
      const pick = e.cluster!.pick;
      if (pick.deterministic) {
        const id = pick.backend!;
        expect(echo.backend, 'backend').toBe(addressOf.get(id) ?? id);
      }
    }),
    { numRuns: runs, ...(seed === undefined ? {} : { seed }) },
  );
});
