/**
 * The HTTP cache's storage bounds and its operation: bodies teed as they stream (large, chunked, over
 * max_object_size), eviction under a flood of unique URLs, purge and clear through the admin API,
 * the metrics and the access log's cache field.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { loadConfigText } from '../../src/config/index.ts';
import { request } from '../support/clients.ts';
import { ctlInProcess } from '../support/in-process-cli.ts';
import { cacheBackend, type CacheHandler } from '../support/cache-backend.ts';
import { ADMIN_TOKEN, startWithAdmin } from '../support/metrics.ts';
import { patternSha256, patternStream } from '../support/pattern.ts';
import { EPHEMERAL_LISTENER_YAML, startJunctionFromYaml } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

async function cachingProxy(handler: CacheHandler, top = '', route = 'cache: true') {
  const backend = await cacheBackend(handler);
  const junction = await startJunctionFromYaml(`
${top}
routes: [{ cluster: app, ${route} }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  onTestFinished(() => junction.close());
  return { backend, junction, get: (path: string) => request(junction.port, { path }) };
}

test('a large body is teed as it streams and served whole from the cache', async () => {
  const size = 3 * 1024 * 1024 + 17;
  const { backend, get } = await cachingProxy((_req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=60', 'content-length': String(size) });
    patternStream(size).pipe(res);
  });
  const expected = patternSha256(size);
  const first = await get('/big');
  const second = await get('/big');
  expect(first.bodySha256).toBe(expected);
  expect(second.bodySha256).toBe(expected);
  expect(second.headers['cache-status']).toMatch(/^Junction; hit/);
  expect(backend.count('/big')).toBe(1);
});

test('a chunked body is stored decoded and served with a length', async () => {
  const { backend, get } = await cachingProxy((_req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=60' });
    res.write('part one, ');
    setTimeout(() => res.end('part two'), 20);
  });
  const first = await get('/chunked');
  const second = await get('/chunked');
  expect(first.headers['transfer-encoding']).toBe('chunked');
  expect(second.text).toBe('part one, part two');
  expect(second.headers['content-length']).toBe('18');
  expect(backend.count('/chunked')).toBe(1);
});

test('a response over max_object_size is sent whole but not stored', async () => {
  const size = 200 * 1024;
  const { backend, get } = await cachingProxy((_req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=60' });
    patternStream(size).pipe(res);
  }, 'cache: { memory_size: 1MiB, max_object_size: 100KiB }');
  const first = await get('/too-big');
  expect(first.bodySha256).toBe(patternSha256(size));
  await get('/too-big');
  expect(backend.count('/too-big')).toBe(2);
});

test('Set-Cookie responses are stored on a route that shares them', async () => {
  const { backend, get } = await cachingProxy(
    (_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60', 'set-cookie': 'theme=dark' });
      res.end('x');
    },
    '',
    'cache: { set_cookie: true }',
  );
  await get('/sc');
  const again = await get('/sc');
  expect(again.headers['set-cookie']).toEqual(['theme=dark']);
  expect(backend.count('/sc')).toBe(1);
});

test('a flood of unique URLs stays within memory_size, evicting the least recently used', async () => {
  const body = 'x'.repeat(2048);
  const { junction, backend } = await (async () => {
    const backend = await cacheBackend((_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=600' });
      res.end(body);
    });
    const started = await startWithAdmin(`
cache: { memory_size: 64KiB, max_object_size: 16KiB }
routes: [{ cluster: app, cache: true }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    return { junction: started, backend };
  })();
  const port = junction.junction.port;
  for (let i = 0; i < 300; i++) await request(port, { path: `/flood/${i}` });
  const scrape = await junction.scrape();
  const stored = scrape.value('junction_cache_stored_bytes')!;
  expect(stored).toBeGreaterThan(32 * 1024);
  expect(stored).toBeLessThanOrEqual(64 * 1024);
  expect(scrape.value('junction_cache_evictions_total')).toBeGreaterThan(200);
  expect(scrape.value('junction_cache_requests_total{status="miss"}')).toBe(300);
  // The newest is still stored; the oldest was evicted.
  await request(port, { path: '/flood/299' });
  await request(port, { path: '/flood/0' });
  expect(backend.count('/flood/299')).toBe(1);
  expect(backend.count('/flood/0')).toBe(2);
});

test('purge by URL and by prefix, and clear, through the admin API', async () => {
  const backend = await cacheBackend((_req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=600' });
    res.end('x');
  });
  const { junction, admin } = await startWithAdmin(`
routes: [{ cluster: app, cache: true }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  const port = junction.port;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${admin.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const fill = async () => {
    for (const path of ['/a', '/docs/1', '/docs/2', '/other'])
      await request(port, { path, headers: { host: 'site.test' } });
  };
  await fill();
  expect((await call('GET', '/cache')).json).toMatchObject({ objects: 4 });
  expect((await call('POST', '/cache/purge', { url: 'http://SITE.test/a' })).json).toMatchObject({
    purged: 1,
  });
  expect(
    (await call('POST', '/cache/purge', { url: 'http://site.test/docs/', prefix: true })).json,
  ).toMatchObject({
    purged: 2,
  });
  await fill();
  expect(backend.count('/a')).toBe(2);
  expect(backend.count('/docs/1')).toBe(2);
  expect(backend.count('/other')).toBe(1);
  expect((await call('DELETE', '/cache')).json).toMatchObject({ cleared: 4 });
  await fill();
  expect(backend.count('/other')).toBe(2);
  expect((await call('POST', '/cache/purge', { url: 'not a url' })).status).toBe(400);
  // The same through junction ctl.
  const ctl = (...args: string[]) =>
    ctlInProcess(['--admin', admin.url, '--token', ADMIN_TOKEN, 'cache', ...args]);
  expect(await ctl('purge', 'http://site.test/docs/', '--prefix')).toMatchObject({
    code: 0,
    stdout: 'purged 2 objects\n',
  });
  expect(await ctl('purge', 'http://site.test/a')).toMatchObject({ code: 0, stdout: 'purged 1 objects\n' });
  expect(await ctl('clear')).toMatchObject({ code: 0, stdout: 'cleared 1 objects\n' });
  expect((await ctl('flush')).code).toBe(2);
});

test("the access log names each transaction's cache status", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-cache-log-'));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'access.log');
  const { get } = await cachingProxy((req, res) => {
    res.writeHead(200, { 'cache-control': req.path === '/no' ? 'no-store' : 'max-age=60' });
    res.end('x');
  }, `access_log: { path: ${path}, format: "{ua-req-path} {cache}" }`);
  await get('/yes');
  await get('/yes');
  await get('/no');
  const lines = await waitFor(() => {
    const text = existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
    return text.length >= 3 ? text : undefined;
  });
  expect(lines).toEqual(['yes miss', 'yes hit', 'no miss']);
});

test('a reload keeps what is stored; one that lowers memory_size evicts at once', async () => {
  const backend = await cacheBackend((_req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=600' });
    res.end('y'.repeat(4096));
  });
  const yaml = (memory: string) => `
${EPHEMERAL_LISTENER_YAML}
cache: { memory_size: ${memory}, max_object_size: 16KiB }
routes: [{ cluster: app, cache: true }]
clusters:
  app: { backends: ["${backend.address}"] }
`;
  const started = await startWithAdmin(yaml('1MiB'));
  const junction = started.junction;
  for (let i = 0; i < 40; i++) await request(junction.port, { path: `/r/${i}` });
  await junction.server.reload(await loadConfigText(yaml('1MiB').replace('16KiB', '32KiB'), '<reload>'));
  await request(junction.port, { path: '/r/0' });
  expect(backend.count('/r/0')).toBe(1);
  await junction.server.reload(await loadConfigText(yaml('64KiB'), '<reload>'));
  const after = await started.scrape();
  expect(after.value('junction_cache_stored_bytes')).toBeLessThanOrEqual(64 * 1024);
  expect(after.value('junction_cache_memory_limit_bytes')).toBe(64 * 1024);
  await request(junction.port, { path: '/r/39' });
  expect(backend.count('/r/39')).toBe(1);
});
