/**
 * `workers: 2` seen through the admin API (built dist/, spawned): status, clusters, backends and
 * `/metrics` add up across the workers; active health checks run in one worker only, and what they
 * find reaches the other; a backend drained through the admin API is drained in every worker; SIGUSR1
 * reopens the access log in every worker.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { Agent } from 'node:http';
import { expect, test } from 'vitest';
import { request } from '../support/clients.ts';
import { spawnJunction, tempConfigFile } from '../support/junction-process.ts';
import { listenForTest } from '../support/servers.ts';
import { waitFor } from '../support/wait-for.ts';

/** A backend that counts what it is asked, health checks (`/healthz`) apart. */
async function backend(): Promise<{ address: string; checks: () => number; requests: () => number }> {
  let checks = 0;
  let requests = 0;
  const port = await listenForTest(
    createServer((req, res) => {
      if (req.url === '/healthz') checks++;
      else requests++;
      res.end('ok');
    }),
  );
  return {
    address: `127.0.0.1:${port}`,
    checks: () => checks,
    requests: () => requests,
  };
}

async function adminGet(url: string, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(new URL(path, url));
  return { status: res.status, text: await res.text() };
}

function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

test('two workers: views and /metrics add up, health checks run once, drains reach both, SIGUSR1 reopens logs', async () => {
  const b = await backend();
  const other = await backend();
  const file = await tempConfigFile(
    'junction.yaml',
    `workers: 2
listeners: [{ name: main, address: 127.0.0.1, port: 0 }]
admin: { port: 0 }
timeouts: { shutdown_grace: 2s }
routes: [{ cluster: app }]
clusters:
  app:
    backends: [{ address: "${b.address}", id: one }, { address: "${other.address}", id: two }]
    health: { active: { path: /healthz, interval: 200ms } }
`,
  );
  const log = join(dirname(file), 'access.log');
  const withLog = `${readFileSync(file, 'utf8')}access_log: { path: ${log} }\n`;
  await import('node:fs/promises').then((fs) => fs.writeFile(file, withLog));
  const junction = await spawnJunction(file, { withAdmin: true });
  const admin = junction.adminUrl!;

  // Enough connections that both workers serve some (each request on a connection of its own).
  const total = 40;
  for (let i = 0; i < total; i++)
    expect((await request(junction.port, { agent: new Agent() })).status).toBe(200);

  const clusters = JSON.parse((await adminGet(admin, '/clusters')).text) as {
    clusters: { name: string; requests: number; workers?: unknown[] }[];
  };
  const app = clusters.clusters.find((c) => c.name === 'app')!;
  expect(app.requests).toBe(total);
  expect(b.requests() + other.requests()).toBe(total);
  expect(app.workers).toHaveLength(2);

  const scrape = await adminGet(admin, '/metrics');
  expect(scrape.status).toBe(200);
  expect(metricValue(scrape.text, 'junction_cluster_requests_total{cluster="app"}')).toBe(total);
  const byCode = metricValue(
    scrape.text,
    'junction_requests_total{listener="main",route="route-1",cluster="app",method="GET",code="200"}',
  );
  expect(byCode).toBe(total);
  expect(scrape.text).toMatch(/process_resident_memory_bytes\{worker="1"\}/);
  expect(scrape.text).toMatch(/process_resident_memory_bytes\{worker="2"\}/);

  // Checks every 200 ms from one worker: over 2 s about 10 to each backend, not about 20.
  const before = b.checks();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const checks = b.checks() - before;
  expect(checks).toBeGreaterThan(4);
  expect(checks).toBeLessThan(15);

  // Drained (then removed) through the admin API: no worker sends it anything more.
  const drain = await fetch(new URL('/clusters/app/backends/one/drain', admin), { method: 'POST' });
  expect(drain.status).toBeLessThan(300);
  const upstreams = JSON.parse((await adminGet(admin, '/clusters/app/backends')).text) as {
    backends: { id: string }[];
  };
  expect(upstreams.backends.map((u) => u.id)).toEqual(['two']);
  const served = b.requests();
  for (let i = 0; i < 10; i++) {
    expect((await request(junction.port, { agent: new Agent() })).status).toBe(200);
  }
  expect(b.requests()).toBe(served);

  // logrotate: the file moves away, SIGUSR1 to the primary, every worker writes to a new one.
  // Every line so far written (workers gather lines for up to 100 ms): one still waiting at the reopen
  // would land in the new file.
  const logged = total + 10;
  await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').trim().split('\n').length === logged, {
    what: 'the access lines written',
  });
  renameSync(log, `${log}.1`);
  junction.child.kill('SIGUSR1');
  await waitFor(() => junction.output().includes('reopening the access log files'), { what: 'the reopen' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (let i = 0; i < 10; i++) await request(junction.port, { agent: new Agent() });
  await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').trim().split('\n').length === 10, {
    what: 'ten lines in the new file (from both workers)',
  });
  junction.child.kill('SIGTERM');
  expect((await junction.exited).code).toBe(0);
}, 60_000);
