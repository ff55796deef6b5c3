/**
 * The HTTP cache's disk tier end to end: hits that survive a restart of the server, files that are
 * truncated or corrupted on disk (a miss, never a crash), and the disk bound kept by eviction.
 */
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { request } from '../support/clients.ts';
import { cacheBackend, type CacheHandler } from '../support/cache-backend.ts';
import { startWithAdmin } from '../support/metrics.ts';
import { waitFor } from '../support/wait-for.ts';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'junction-cache-disk-'));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Every entry file of the tier (two-hex-digit directories), with its size. */
function files(dir: string): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  for (const sub of readdirSync(dir)) {
    if (!/^[0-9a-f]{2}$/.test(sub)) continue;
    for (const name of readdirSync(join(dir, sub))) {
      const path = join(dir, sub, name);
      out.push({ path, size: statSync(path).size });
    }
  }
  return out;
}

async function start(dir: string, backendAddress: string, top = '') {
  const started = await startWithAdmin(`
cache: { path: ${dir}, max_object_size: 64KiB, ${top || 'memory_size: 1MiB'} }
routes: [{ cluster: app, cache: true }]
clusters:
  app: { backends: ["${backendAddress}"], retry: { attempts: 1 } }
`);
  const diskObjects = async () => (await started.scrape()).value('junction_cache_disk_objects') ?? -1;
  return { ...started, port: started.junction.port, diskObjects };
}

/** One Host for every request: the key has the authority, and a restart listens on another port. */
const get = (port: number, options: { path: string }) =>
  request(port, { ...options, headers: { host: 'site.test' } });

const fresh: CacheHandler = (req, res) => {
  res.writeHead(200, { 'cache-control': 'max-age=600', 'content-type': 'text/plain' });
  res.end(`body of ${req.path}`);
};

test('hits survive a restart: the index is rebuilt from the files', async () => {
  const dir = tempDir();
  const backend = await cacheBackend(fresh);
  const first = await start(dir, backend.address);
  for (const path of ['/a', '/b', '/c']) await get(first.port, { path });
  await waitFor(async () => (await first.diskObjects()) === 3, { what: 'three files written' });
  await first.junction.close();

  const second = await start(dir, backend.address);
  await waitFor(async () => (await second.diskObjects()) === 3, { what: 'the scan indexing three files' });
  const hit = await get(second.port, { path: '/b' });
  expect(hit.text).toBe('body of /b');
  expect(hit.headers['cache-status']).toMatch(/^Junction; hit; ttl=\d+; detail=disk$/);
  // Now in memory: the next hit does not read the disk.
  const again = await get(second.port, { path: '/b' });
  expect(again.headers['cache-status']).toMatch(/^Junction; hit; ttl=\d+$/);
  expect(backend.count('/b')).toBe(1);
  const scrape = await second.scrape();
  expect(scrape.value('junction_cache_disk_hits_total')).toBe(1);
  expect(scrape.value('junction_cache_requests_total{status="hit"}')).toBe(2);
});

test('a truncated or corrupted file is a miss, not a crash, and is dropped', async () => {
  const dir = tempDir();
  const backend = await cacheBackend(fresh);
  const first = await start(dir, backend.address);
  await get(first.port, { path: '/truncated' });
  await get(first.port, { path: '/corrupted' });
  await get(first.port, { path: '/whole' });
  await waitFor(async () => (await first.diskObjects()) === 3);
  await first.junction.close();
  // Which file is which: the body is at the end of each file.
  const byBody = new Map(
    files(dir).map((f) => [
      readFileSync(f.path)
        .toString('latin1')
        .replace(/^[\s\S]*body of /, ''),
      f,
    ]),
  );
  const truncated = byBody.get('/truncated')!;
  const corrupted = byBody.get('/corrupted')!;
  truncateSync(truncated.path, truncated.size - 4);
  const bytes = readFileSync(corrupted.path);
  bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0x20; // same length: only the checksum can tell
  writeFileSync(corrupted.path, bytes);

  const second = await start(dir, backend.address);
  // The scan drops the truncated file by its length alone.
  await waitFor(async () => (await second.diskObjects()) === 2);
  for (const path of ['/truncated', '/corrupted']) {
    const response = await get(second.port, { path });
    expect(response.status, path).toBe(200);
    expect(response.text, path).toBe(`body of ${path}`);
    expect(response.headers['cache-status'], path).toBe('Junction; fwd=miss; stored');
    expect(backend.count(path), path).toBe(2);
  }
  expect((await get(second.port, { path: '/whole' })).headers['cache-status']).toMatch(/detail=disk/);
  const scrape = await second.scrape();
  expect(scrape.value('junction_cache_disk_dropped_total')).toBe(2);
  // Stored again, whole.
  await waitFor(async () => (await second.diskObjects()) === 3);
});

test('disk_size is honoured: the least recently used files are evicted', async () => {
  const dir = tempDir();
  const body = 'z'.repeat(40 * 1024);
  const backend = await cacheBackend((_req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=600' });
    res.end(body);
  });
  // Memory holds about six objects, the disk about twenty-five.
  const junction = await start(dir, backend.address, 'memory_size: 256KiB, disk_size: 1MiB');
  for (let i = 0; i < 60; i++) {
    await get(junction.port, { path: `/d/${i}` });
    // Keep /d/0 in use: it must outlive the others stored with it.
    if (i % 5 === 0) await get(junction.port, { path: '/d/0' });
  }
  const scrape = await waitFor(async () => {
    const s = await junction.scrape();
    return (s.value('junction_cache_disk_evictions_total') ?? 0) > 30 ? s : undefined;
  });
  expect(scrape.value('junction_cache_disk_bytes')).toBeLessThanOrEqual(1024 * 1024);
  expect(scrape.value('junction_cache_disk_limit_bytes')).toBe(1024 * 1024);
  await waitFor(() => files(dir).reduce((n, f) => n + f.size, 0) <= 1024 * 1024, {
    what: 'the evicted files deleted',
  });
  // /d/1 was evicted from both tiers; /d/0 is still stored.
  await get(junction.port, { path: '/d/1' });
  await get(junction.port, { path: '/d/0' });
  expect(backend.count('/d/1')).toBe(2);
  expect(backend.count('/d/0')).toBe(1);
});
