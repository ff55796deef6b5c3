/**
 * The HTTP cache with `workers: 2` (built dist/, spawned): each worker has its own memory tier and its
 * own disk directory (`worker-<slot>` under `cache.path`); `GET /cache`, purge and clear through the
 * admin API reach every worker and sum their answers; the cache metrics add up across workers.
 */
import { existsSync } from 'node:fs';
import { Agent } from 'node:http';
import { dirname, join } from 'node:path';
import { expect, test } from 'vitest';
import { request } from '../support/clients.ts';
import { cacheBackend } from '../support/cache-backend.ts';
import { spawnJunction, tempConfigFile } from '../support/junction-process.ts';
import { waitFor } from '../support/wait-for.ts';

interface CacheAnswer {
  objects: number;
  purged?: number;
  cleared?: number;
  requests: Record<string, number>;
  disk?: { objects: number };
  workers: { worker: number; value: { objects?: number; purged?: number } }[];
}

async function admin(url: string, method: string, path: string, body?: unknown): Promise<CacheAnswer> {
  const res = await fetch(new URL(path, url), {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  expect(res.status, `${method} ${path}`).toBe(200);
  return (await res.json()) as CacheAnswer;
}

function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

test('two workers: purge and clear reach both caches, counters and metrics add up', async () => {
  const backend = await cacheBackend((_req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=600' });
    res.end('cached');
  });
  const file = await tempConfigFile('junction.yaml', 'placeholder');
  const dir = join(dirname(file), 'cache');
  await import('node:fs/promises').then((fs) =>
    fs.writeFile(
      file,
      `workers: 2
listeners: [{ name: main, address: 127.0.0.1, port: 0 }]
admin: { port: 0 }
timeouts: { shutdown_grace: 1s }
cache: { path: ${dir}, disk_size: 16MiB }
routes: [{ cluster: app, cache: true }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
    ),
  );
  const junction = await spawnJunction(file, { withAdmin: true });
  const url = junction.adminUrl!;
  // A connection each: both workers get some, and each fills its own cache once.
  const fill = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const res = await request(junction.port, { path: '/a', agent: new Agent() });
      expect(res.text).toBe('cached');
    }
  };
  await fill(30);
  expect(backend.count('/a')).toBe(2);

  const stats = await admin(url, 'GET', '/cache');
  expect(stats.objects).toBe(2);
  expect(stats.workers.map((w) => w.value.objects)).toEqual([1, 1]);
  expect(stats.requests['hit']! + stats.requests['miss']!).toBe(30);
  // Each worker writes its own directory.
  await waitFor(() => existsSync(join(dir, 'worker-1')) && existsSync(join(dir, 'worker-2')));
  await waitFor(async () => (await admin(url, 'GET', '/cache')).disk?.objects === 2);

  const scrape = await (await fetch(new URL('/metrics', url))).text();
  expect(
    (metricValue(scrape, 'junction_cache_requests_total{status="hit"}') ?? 0) +
      (metricValue(scrape, 'junction_cache_requests_total{status="miss"}') ?? 0),
  ).toBe(30);
  expect(metricValue(scrape, 'junction_cache_objects')).toBe(2);

  const purged = await admin(url, 'POST', '/cache/purge', { url: `http://127.0.0.1:${junction.port}/a` });
  expect(purged.purged).toBe(2);
  expect(purged.workers.map((w) => w.value.purged)).toEqual([1, 1]);
  expect((await admin(url, 'GET', '/cache')).objects).toBe(0);
  await fill(30);
  expect(backend.count('/a')).toBe(4);

  const cleared = await admin(url, 'DELETE', '/cache');
  expect(cleared.cleared).toBe(2);
  expect((await admin(url, 'GET', '/cache')).objects).toBe(0);
  junction.child.kill('SIGTERM');
  await junction.exited;
});
