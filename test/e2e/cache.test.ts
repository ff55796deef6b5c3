/**
 * The HTTP cache (RFC 9111) end to end: a real backend behind Junction with `cache: true` on its route,
 * each rule checked by what reached the backend and what the client got.
 */
import { expect, onTestFinished, test } from 'vitest';
import { definePlugin, replaceText } from '../../src/index.ts';
import { request } from '../support/clients.ts';
import { cacheBackend, cachingProxy, type CacheHandler } from '../support/cache-backend.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';
import { delay } from '../support/wait-for.ts';

function answer(fields: Record<string, string>, body = 'hello'): CacheHandler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', ...fields });
    res.end(body);
  };
}

test('a fresh response is served from the cache: the backend sees one request', async () => {
  const { backend, get } = await cachingProxy(answer({ 'cache-control': 'max-age=60' }));
  const first = await get('/a');
  const second = await get('/a');
  expect(first.text).toBe('hello');
  expect(second.text).toBe('hello');
  expect(backend.count('/a')).toBe(1);
  expect(first.headers['cache-status']).toBe('Junction; fwd=miss; stored');
  expect(second.headers['cache-status']).toMatch(/^Junction; hit; ttl=\d+$/);
  expect(second.headers.age).toBeDefined();
  expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
});

test('the key has the query: another query is another object', async () => {
  const { backend, get } = await cachingProxy(answer({ 'cache-control': 'max-age=60' }));
  await get('/q?x=1');
  await get('/q?x=2');
  await get('/q?x=1');
  expect(backend.count('/q?x=1')).toBe(1);
  expect(backend.count('/q?x=2')).toBe(1);
});

test('max-age expires: a stale object without validators is fetched again', async () => {
  const { backend, get } = await cachingProxy(answer({ 'cache-control': 'max-age=1' }));
  await get('/e');
  await get('/e');
  expect(backend.count('/e')).toBe(1);
  await delay(1_100);
  await get('/e');
  expect(backend.count('/e')).toBe(2);
});

test('no-store and private responses are not stored', async () => {
  const { backend, get } = await cachingProxy((req, res) => {
    res.writeHead(200, { 'cache-control': req.path === '/no-store' ? 'no-store' : 'private, max-age=60' });
    res.end('x');
  });
  for (const path of ['/no-store', '/private']) {
    await get(path);
    const again = await get(path);
    expect(backend.count(path), path).toBe(2);
    expect(again.headers['cache-status'], path).toBe('Junction; fwd=miss');
  }
});

test('a no-cache response is stored but validated before every use', async () => {
  const { backend, get } = await cachingProxy((req, res) => {
    if (req.headers['if-none-match'] === '"n"') {
      res.writeHead(304, { etag: '"n"', 'cache-control': 'no-cache' });
      res.end();
      return;
    }
    res.writeHead(200, { etag: '"n"', 'cache-control': 'no-cache' });
    res.end('validated');
  });
  await get('/nc');
  const again = await get('/nc');
  expect(again.text).toBe('validated');
  expect(again.headers['cache-status']).toBe('Junction; fwd=stale; fwd-status=304');
  expect(backend.count('/nc')).toBe(2);
});

test('a request with no-cache goes to the backend', async () => {
  const { backend, get } = await cachingProxy(answer({ 'cache-control': 'max-age=60' }));
  await get('/rnc');
  await get('/rnc', { 'cache-control': 'no-cache' });
  expect(backend.count('/rnc')).toBe(2);
});

test('a response to an authorized request is shared only when s-maxage or public allows it', async () => {
  const { backend, get } = await cachingProxy((req, res) => {
    res.writeHead(200, { 'cache-control': req.path === '/shared' ? 's-maxage=60' : 'max-age=60' });
    res.end('secret');
  });
  await get('/mine', { authorization: 'Bearer a' });
  await get('/mine', { authorization: 'Bearer a' });
  expect(backend.count('/mine')).toBe(2);
  await get('/shared', { authorization: 'Bearer a' });
  await get('/shared', { authorization: 'Bearer b' });
  expect(backend.count('/shared')).toBe(1);
});

test('Set-Cookie responses are not shared unless the route says so', async () => {
  const { backend, get } = await cachingProxy(
    answer({ 'cache-control': 'max-age=60', 'set-cookie': 'id=1' }),
  );
  await get('/c');
  const again = await get('/c');
  expect(backend.count('/c')).toBe(2);
  expect(again.headers['set-cookie']).toEqual(['id=1']);
});

test('Vary keeps one alternate per variant, each served to its own requests', async () => {
  const { backend, get } = await cachingProxy((req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=60', vary: 'Accept-Language' });
    res.end(`lang=${String(req.headers['accept-language'])}`);
  });
  expect((await get('/v', { 'accept-language': 'en' })).text).toBe('lang=en');
  expect((await get('/v', { 'accept-language': 'fr' })).text).toBe('lang=fr');
  const en = await get('/v', { 'accept-language': 'en' });
  const fr = await get('/v', { 'accept-language': 'fr' });
  expect(en.text).toBe('lang=en');
  expect(fr.text).toBe('lang=fr');
  expect(en.headers['cache-status']).toMatch(/hit/);
  expect(fr.headers['cache-status']).toMatch(/hit/);
  expect(backend.count('/v')).toBe(2);
});

test('a stale object is revalidated with If-None-Match, and a 304 serves it again', async () => {
  const { backend, get } = await cachingProxy((req, res) => {
    if (req.headers['if-none-match'] === '"v1"') {
      res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=1', 'x-updated': 'yes' });
      res.end();
      return;
    }
    res.writeHead(200, { etag: '"v1"', 'cache-control': 'max-age=1' });
    res.end('body-v1');
  });
  await get('/r');
  await delay(1_100);
  const revalidated = await get('/r');
  expect(revalidated.status).toBe(200);
  expect(revalidated.text).toBe('body-v1');
  expect(revalidated.headers['cache-status']).toBe('Junction; fwd=stale; fwd-status=304');
  expect(revalidated.headers['x-updated']).toBe('yes');
  expect(backend.seen[1]!.headers['if-none-match']).toBe('"v1"');
  // Fresh again after the 304.
  const hit = await get('/r');
  expect(hit.headers['cache-status']).toMatch(/^Junction; hit/);
  expect(backend.count('/r')).toBe(2);
});

test('a stale object revalidated with Last-Modified gets a new body on a 200', async () => {
  let version = 1;
  const { backend, get } = await cachingProxy((_req, res) => {
    res.writeHead(200, { 'last-modified': 'Mon, 07 Dec 2026 10:00:00 GMT', 'cache-control': 'max-age=1' });
    res.end(`v${version}`);
  });
  await get('/lm');
  version = 2;
  await delay(1_100);
  const fresh = await get('/lm');
  expect(fresh.text).toBe('v2');
  expect(backend.seen[1]!.headers['if-modified-since']).toBe('Mon, 07 Dec 2026 10:00:00 GMT');
  expect((await get('/lm')).text).toBe('v2');
  expect(backend.count('/lm')).toBe(2);
});

test('stale-if-error: a stale object answers for a backend that fails, within its allowance', async () => {
  let failing = false;
  const { get } = await cachingProxy((_req, res) => {
    if (failing) {
      res.writeHead(503);
      res.end('down');
      return;
    }
    res.writeHead(200, { 'cache-control': 'max-age=1, stale-if-error=60' });
    res.end('kept');
  });
  await get('/sie');
  failing = true;
  await delay(1_100);
  const stale = await get('/sie');
  expect(stale.status).toBe(200);
  expect(stale.text).toBe('kept');
  expect(stale.headers['cache-status']).toBe('Junction; fwd=stale; fwd-status=503; detail=stale-if-error');
});

test('without stale-if-error a failing backend is the client answer', async () => {
  let failing = false;
  const { get } = await cachingProxy((_req, res) => {
    res.writeHead(failing ? 503 : 200, { 'cache-control': 'max-age=1' });
    res.end(failing ? 'down' : 'kept');
  });
  await get('/nosie');
  failing = true;
  await delay(1_100);
  expect((await get('/nosie')).status).toBe(503);
});

test('HEAD is answered from a cached GET, without a body', async () => {
  const { backend, junction, get } = await cachingProxy(
    answer({ 'cache-control': 'max-age=60' }, 'twelve bytes'),
  );
  await get('/h');
  const head = await request(junction.port, { method: 'HEAD', path: '/h' });
  expect(head.status).toBe(200);
  expect(head.headers['content-length']).toBe('12');
  expect(head.bodyLength).toBe(0);
  expect(backend.count('/h')).toBe(1);
});

test('a HEAD that misses goes to the backend and does not fill the cache', async () => {
  const { backend, junction, get } = await cachingProxy(answer({ 'cache-control': 'max-age=60' }));
  const head = await request(junction.port, { method: 'HEAD', path: '/hm' });
  expect(head.headers['cache-status']).toBe('Junction; fwd=miss');
  await get('/hm');
  expect(backend.count('/hm', 'HEAD')).toBe(1);
  expect(backend.count('/hm', 'GET')).toBe(1);
});

test('a successful POST invalidates the URI and its Location', async () => {
  const { backend, junction, get } = await cachingProxy((req, res) => {
    if (req.method === 'POST') {
      res.writeHead(201, { location: '/items/2' });
      res.end();
      return;
    }
    res.writeHead(200, { 'cache-control': 'max-age=60' });
    res.end(req.path);
  });
  await get('/items');
  await get('/items/2');
  await request(junction.port, { method: 'POST', path: '/items', body: 'x' });
  await get('/items');
  await get('/items/2');
  expect(backend.count('/items', 'GET')).toBe(2);
  expect(backend.count('/items/2', 'GET')).toBe(2);
});

test('concurrent misses for one key send one request to the backend', async () => {
  const { backend, get } = await cachingProxy((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'cache-control': 'max-age=60' });
      res.end('collapsed');
    }, 200);
  });
  const responses = await Promise.all(Array.from({ length: 10 }, () => get('/burst')));
  expect(responses.map((r) => r.text)).toEqual(Array(10).fill('collapsed'));
  expect(backend.count('/burst')).toBe(1);
});

test('concurrent misses on an uncacheable answer each go to the backend', async () => {
  const { backend, get } = await cachingProxy((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'cache-control': 'no-store' });
      res.end('mine');
    }, 100);
  });
  const responses = await Promise.all(Array.from({ length: 5 }, () => get('/each')));
  expect(responses.every((r) => r.text === 'mine')).toBe(true);
  expect(backend.count('/each')).toBe(5);
});

test('a hit goes through the response hooks and transforms like a backend response', async () => {
  const backend = await cacheBackend((_req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' });
    res.end('the old text');
  });
  const replace = replaceText({ search: 'old', replace: 'new', types: ['text/plain'] });
  const plugin = definePlugin({
    name: 'on-every-response',
    setup(api) {
      api.hook('read-request', (txn) => {
        txn.transformResponse(replace);
      });
      api.hook('send-response', (txn) => {
        txn.response?.headers.set('x-seen-by-hook', 'yes');
      });
    },
  });
  const junction = await startJunctionFromYaml(
    `
plugins: [test:p]
routes: [{ cluster: app, cache: true }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
    { plugins: { 'test:p': plugin } },
  );
  onTestFinished(() => junction.close());
  const first = await request(junction.port, { path: '/t' });
  const second = await request(junction.port, { path: '/t' });
  for (const res of [first, second]) {
    expect(res.text).toBe('the new text');
    expect(res.headers['x-seen-by-hook']).toBe('yes');
  }
  expect(second.headers['cache-status']).toMatch(/^Junction; hit/);
  expect(backend.count('/t')).toBe(1);
});

test("a client's matching validators get a 304 from a fresh stored response", async () => {
  const { backend, get } = await cachingProxy(
    answer({
      'cache-control': 'max-age=60',
      etag: 'W/"e1"',
      'last-modified': 'Mon, 07 Dec 2026 10:00:00 GMT',
    }),
  );
  await get('/cond');
  const byEtag = await get('/cond', { 'if-none-match': '"other", "e1"' });
  expect(byEtag.status).toBe(304);
  expect(byEtag.headers.etag).toBe('W/"e1"');
  expect(byEtag.bodyLength).toBe(0);
  const byDate = await get('/cond', { 'if-modified-since': 'Mon, 07 Dec 2026 11:00:00 GMT' });
  expect(byDate.status).toBe(304);
  const changed = await get('/cond', { 'if-none-match': '"e2"' });
  expect(changed.status).toBe(200);
  expect(changed.text).toBe('hello');
  expect(backend.count('/cond')).toBe(1);
});

test('a single byte range is answered from a stored whole body (206, 416); others get it whole', async () => {
  const { backend, get } = await cachingProxy(answer({ 'cache-control': 'max-age=60' }, '0123456789'));
  await get('/range');
  const middle = await get('/range', { range: 'bytes=2-5' });
  expect(middle.status).toBe(206);
  expect(middle.text).toBe('2345');
  expect(middle.headers['content-range']).toBe('bytes 2-5/10');
  const suffix = await get('/range', { range: 'bytes=-3' });
  expect(suffix.text).toBe('789');
  const open = await get('/range', { range: 'bytes=7-' });
  expect(open.headers['content-range']).toBe('bytes 7-9/10');
  expect(backend.count('/range')).toBe(1);
  const past = await get('/range', { range: 'bytes=20-30' });
  expect(past.status).toBe(416);
  expect(past.headers['content-range']).toBe('bytes */10');
  // Several ranges (or another unit) are ignored, as RFC 9110 allows: the whole stored body.
  const several = await get('/range', { range: 'bytes=0-1,4-5' });
  expect(several.status).toBe(200);
  expect(several.text).toBe('0123456789');
  expect((await get('/range', { range: 'items=0-1' })).text).toBe('0123456789');
  expect(backend.count('/range')).toBe(1);
});

test('a range that misses goes to the backend as it is and fills nothing from its 206', async () => {
  const { backend, get } = await cachingProxy((req, res) => {
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range === null) {
      res.writeHead(200, { 'cache-control': 'max-age=60' });
      res.end('0123456789');
      return;
    }
    res.writeHead(206, {
      'cache-control': 'max-age=60',
      'content-range': `bytes ${range[1]}-${range[2]}/10`,
    });
    res.end('0123456789'.slice(Number(range[1]), Number(range[2]) + 1));
  });
  const partial = await get('/rm', { range: 'bytes=1-2' });
  expect(partial.status).toBe(206);
  expect(partial.text).toBe('12');
  expect(partial.headers['cache-status']).toBe('Junction; fwd=miss');
  expect(backend.seen.at(-1)?.headers.range).toBe('bytes=1-2');
  const whole = await get('/rm');
  expect(whole.headers['cache-status']).toBe('Junction; fwd=miss; stored');
  expect((await get('/rm', { range: 'bytes=1-2' })).headers['cache-status']).toMatch(/^Junction; hit/);
  expect(backend.count('/rm')).toBe(2);
});
