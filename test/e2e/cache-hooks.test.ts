/**
 * The cache's hook points (select-alternate, read-cache-header, cache-lookup-complete) and os-dns over
 * real caching routes and backends: each point fires in its state with its facts, plugins change the
 * key, the alternate, the lookup status and the backend, and rules do the same with the TxnBox-style
 * hooks, directives and extractors.
 */
import { expect, onTestFinished, test } from 'vitest';
import { definePlugin, type PluginDefinition, type TxnContext } from '../../src/index.ts';
import { request } from '../support/clients.ts';
import { cacheBackend, type CacheHandler } from '../support/cache-backend.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

function answer(fields: Record<string, string>, body = 'hello'): CacheHandler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', ...fields });
    res.end(body);
  };
}

async function proxy(
  handler: CacheHandler,
  options: { plugin?: PluginDefinition; rules?: string; route?: string; backends?: number } = {},
) {
  const backends = [];
  for (let i = 0; i < (options.backends ?? 1); i++) backends.push(await cacheBackend(handler));
  const list = backends.map((b) => `"${b.address}"`).join(', ');
  const junction = await startJunctionFromYaml(
    `
${options.plugin === undefined ? '' : 'plugins: [test:cache]'}
${options.rules ?? ''}
routes: [${options.route ?? '{ cluster: app, cache: true }'}]
clusters:
  app: { backends: [${list}], retry: { attempts: 1 } }
`,
    options.plugin === undefined ? {} : { plugins: { 'test:cache': options.plugin } },
  );
  onTestFinished(() => junction.close());
  return {
    backend: backends[0]!,
    backends,
    get: (path: string, headers: Record<string, string> = {}) => request(junction.port, { path, headers }),
  };
}

function plugin(hooks: Partial<Record<string, (txn: TxnContext) => void | Promise<void>>>): PluginDefinition {
  return definePlugin({
    name: 'cache',
    setup(api) {
      for (const [name, hook] of Object.entries(hooks)) api.hook(name as never, hook!);
    },
  });
}

test('each cache point fires in its state with its facts: a miss, then a hit', async () => {
  const seen: string[] = [];
  const note = (txn: TxnContext) => {
    const c = txn.cache!;
    const stored = c.cachedResponse;
    seen.push(
      [
        txn.hook,
        c.lookupStatus ?? '-',
        stored === undefined ? '-' : `${stored.status}/${stored.headers.get('cache-control')}`,
        txn.hook === 'select-alternate' ? c.alternates!.map((a) => `${a.matches}:${a.score}`).join() : '',
        txn.hook === 'os-dns' ? `upstream=${txn.upstream}` : '',
      ].join(' '),
    );
  };
  const hooks = Object.fromEntries(
    [
      'post-remap',
      'select-alternate',
      'read-cache-header',
      'cache-lookup-complete',
      'os-dns',
      'send-request',
    ].map((name) => [name, note]),
  );
  let keyAtPostRemap = '';
  hooks['post-remap'] = (txn) => {
    keyAtPostRemap = txn.cache!.key;
    note(txn);
  };
  const { backend, get } = await proxy(answer({ 'cache-control': 'max-age=60' }), { plugin: plugin(hooks) });
  expect((await get('/a?x=1')).text).toBe('hello');
  expect(keyAtPostRemap).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/a\?x=1$/);
  expect(seen).toEqual([
    'post-remap - -  ',
    'cache-lookup-complete miss -  ',
    `os-dns miss -  upstream=${backend.address}`,
    'send-request miss -  ',
  ]);
  seen.length = 0;
  const hit = await get('/a?x=1');
  expect(hit.headers['cache-status']).toMatch(/^Junction; hit/);
  expect(seen).toEqual([
    'post-remap - -  ',
    'select-alternate - - true:1 ',
    'read-cache-header hit-fresh 200/max-age=60  ',
    'cache-lookup-complete hit-fresh 200/max-age=60  ',
  ]);
  expect(backend.count('/a?x=1')).toBe(1);
});

test('a plugin turns a fresh hit into a revalidation, and into a miss', async () => {
  const { backend, get } = await proxy(
    (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=60' });
        res.end();
        return;
      }
      res.writeHead(200, { etag: '"v1"', 'cache-control': 'max-age=60' });
      res.end('body');
    },
    {
      plugin: plugin({
        'cache-lookup-complete': (txn) => {
          const wanted = txn.request.headers.get('x-lookup');
          if (wanted === 'hit-stale' || wanted === 'miss') txn.cache!.setLookupStatus(wanted);
        },
      }),
    },
  );
  await get('/r');
  const revalidated = await get('/r', { 'x-lookup': 'hit-stale' });
  expect(revalidated.status).toBe(200);
  expect(revalidated.text).toBe('body');
  expect(revalidated.headers['cache-status']).toBe('Junction; fwd=stale; fwd-status=304');
  expect(backend.seen.at(-1)!.headers['if-none-match']).toBe('"v1"');
  const fetched = await get('/r', { 'x-lookup': 'miss' });
  expect(fetched.headers['cache-status']).toBe('Junction; fwd=miss; stored');
  expect(backend.seen.at(-1)!.headers['if-none-match']).toBeUndefined();
  expect(backend.count('/r')).toBe(3);
  expect((await get('/r')).headers['cache-status']).toMatch(/^Junction; hit/);
  expect(backend.count('/r')).toBe(3);
});

test('a lookup status a hook may not set fails that transaction only', async () => {
  const { get } = await proxy(answer({ 'cache-control': 'max-age=60' }), {
    plugin: plugin({
      'cache-lookup-complete': (txn) => {
        txn.cache!.setLookupStatus('hit-stale');
      },
    }),
  });
  // A miss cannot become a stale hit: nothing is stored to revalidate.
  expect((await get('/m')).status).toBe(500);
});

test('a plugin sets the key at post-remap: requests that differ by their query share an object', async () => {
  const { backend, get } = await proxy(answer({ 'cache-control': 'max-age=60' }), {
    plugin: plugin({
      'post-remap': (txn) => {
        txn.cache!.setKey(`http://shared${txn.request.path}`);
      },
      'cache-lookup-complete': (txn) => {
        if (txn.cache!.key !== `http://shared${txn.request.path}`)
          throw new Error('the key set is not the one used');
      },
    }),
  });
  expect((await get('/k?a=1')).headers['cache-status']).toBe('Junction; fwd=miss; stored');
  expect((await get('/k?a=2')).headers['cache-status']).toMatch(/^Junction; hit/);
  expect(backend.seen).toHaveLength(1);
});

test('setKey() after the lookup is too late: a 500 for that transaction', async () => {
  const { get } = await proxy(answer({ 'cache-control': 'max-age=60' }), {
    plugin: plugin({
      'cache-lookup-complete': (txn) => {
        txn.cache!.setKey('http://late/');
      },
    }),
  });
  expect((await get('/late')).status).toBe(500);
});

test('select-alternate: a plugin scores the alternates of a Vary key and its choice is served', async () => {
  const { backend, get } = await proxy(
    (req, res) => {
      const lang = req.headers['accept-language'] ?? 'none';
      res.writeHead(200, {
        vary: 'Accept-Language',
        'cache-control': 'max-age=60',
        'content-language': lang,
      });
      res.end(`in ${lang}`);
    },
    {
      plugin: plugin({
        'select-alternate': (txn) => {
          if (txn.request.headers.get('x-any-language') !== 'yes') return;
          // Any stored language will do; English is preferred.
          for (const alt of txn.cache!.alternates!)
            alt.score = alt.headers.get('content-language') === 'en' ? 0.9 : 0.5;
        },
      }),
    },
  );
  await get('/v', { 'accept-language': 'fr' });
  await get('/v', { 'accept-language': 'en' });
  expect(backend.count('/v')).toBe(2);
  const chosen = await get('/v', { 'accept-language': 'de', 'x-any-language': 'yes' });
  expect(chosen.text).toBe('in en');
  expect(chosen.headers['cache-status']).toMatch(/^Junction; hit/);
  // Without the plugin's say, German matches nothing stored: a miss.
  expect((await get('/v', { 'accept-language': 'de' })).text).toBe('in de');
  expect(backend.count('/v')).toBe(3);
});

test('a select-alternate hook that returns a promise fails the transaction (it runs inside the lookup)', async () => {
  const { get } = await proxy(answer({ 'cache-control': 'max-age=60' }), {
    plugin: plugin({ 'select-alternate': () => Promise.resolve() }),
  });
  expect((await get('/p')).status).toBe(200);
  expect((await get('/p')).status).toBe(500);
});

test('os-dns: the chosen backend is visible, a plugin sends the attempt to another, and a throw is a 500', async () => {
  const chosen: string[] = [];
  const wanted: { target?: string } = {};
  const { backends, get } = await proxy(answer({ 'cache-control': 'no-store' }), {
    backends: 2,
    route: '{ cluster: app }',
    plugin: plugin({
      'os-dns': async (txn) => {
        chosen.push(txn.upstream!);
        await Promise.resolve();
        if (txn.request.path === '/boom') throw new Error('no');
        if (wanted.target !== undefined) txn.setUpstream(wanted.target);
      },
    }),
  });
  const [a, b] = backends;
  await get('/x');
  expect([a!.address, b!.address]).toContain(chosen[0]);
  wanted.target = b!.address;
  for (let i = 0; i < 4; i++) expect((await get('/to-b')).status).toBe(200);
  expect(b!.count('/to-b')).toBe(4);
  expect(a!.count('/to-b')).toBe(0);
  expect((await get('/boom')).status).toBe(500);
  expect(a!.count('/boom') + b!.count('/boom')).toBe(0);
  // The next request is served: the held attempt was dropped cleanly.
  expect((await get('/to-b')).status).toBe(200);
});

test('os-dns: setUpstream() with a backend the cluster does not have fails the transaction', async () => {
  const { backend, get } = await proxy(answer({}), {
    route: '{ cluster: app }',
    plugin: plugin({
      'os-dns': (txn) => {
        txn.setUpstream('192.0.2.1:1');
      },
    }),
  });
  expect((await get('/n')).status).toBe(500);
  expect(backend.seen).toHaveLength(0);
});

test('rules: cache-key, cache-lookup-status and txn-conf at their hooks, and the cache extractors', async () => {
  const { backend, get } = await proxy(
    (req, res) => {
      res.writeHead(200, { etag: '"e"', 'cache-control': 'max-age=60' });
      res.end(req.headers['if-none-match'] === '"e"' ? '' : 'ruled');
    },
    {
      rules: `
rules:
  - when: ua-req
    do:
      - cache-key: 'http://ruled/{ua-req-path}'
      - with: '{ua-req-path}'
        select:
          - prefix: 'nocache/'
            do: [{ txn-conf<proxy.config.http.cache.http>: 0 }]
  - when: cache-lookup
    do:
      - ua-req-field<X-Seen>: '{cache-lookup-status} {cache-key} {cache-rsp-status}'
      - with: '{ua-req-field<X-Refresh>}'
        select:
          - match: 'yes'
            do: [{ cache-lookup-status: 'miss' }]
  - when: proxy-rsp
    do:
      - proxy-rsp-field<X-Cache>: '{cache-status} {cache-lookup-status} {txn-conf<proxy.config.http.cache.http>}'
`,
    },
  );
  const first = await get('/one?q=1');
  expect(first.headers['x-cache']).toBe('miss miss 1');
  expect(backend.seen[0]!.headers['x-seen']).toBe('miss http://ruled/one');
  const second = await get('/one?q=2');
  expect(second.headers['x-cache']).toBe('hit hit-fresh 1');
  expect(second.text).toBe('ruled');
  const refreshed = await get('/one?q=3', { 'x-refresh': 'yes' });
  expect(refreshed.headers['x-cache']).toBe('miss miss 1');
  expect(backend.seen.at(-1)!.headers['x-seen']).toBe('hit-fresh http://ruled/one 200');
  expect(backend.count('/one?q=3')).toBe(1);
  await get('/nocache/a');
  const off = await get('/nocache/a');
  expect(off.headers['x-cache']).toBe('skipped 0');
  expect(off.headers['cache-status']).toBeUndefined();
  expect(backend.count('/nocache/a')).toBe(2);
});

test('rules at cache-rsp read the stored head; rules at os-dns see the backend', async () => {
  const { backend, get } = await proxy(answer({ 'cache-control': 'max-age=60', etag: '"s"' }), {
    rules: `
rules:
  - when: cache-rsp
    do:
      - var<stored>: '{cache-rsp-status} {cache-rsp-field<ETag>}'
  - when: os-dns
    do:
      - ua-req-field<X-Backend>: '{upstream}'
  - when: proxy-rsp
    do:
      - proxy-rsp-field<X-Stored>: '{var<stored>}'
`,
  });
  expect((await get('/s')).headers['x-stored'] ?? '').toBe('');
  expect(backend.seen[0]!.headers['x-backend']).toBe(backend.address);
  expect((await get('/s')).headers['x-stored']).toBe('200 "s"');
});
