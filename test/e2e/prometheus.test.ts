/**
 * Junction scraped by a real Prometheus server (Debian's `prometheus` package): it scrapes the admin
 * API's /metrics every second with the bearer token, and its query API shows the counters matching the
 * traffic sent, before and after more traffic. Skipped with a note when `prometheus` is not installed,
 * except under CI, where that fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { closedPort, countingBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { requirePrometheusTool, startWithAdmin } from '../support/metrics.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';

/** Prometheus's answer to an instant query: one sample's value, or undefined when there is none. */
async function query(base: string, promql: string): Promise<number | undefined> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`, {
    signal: AbortSignal.timeout(2_000),
  });
  const answer = (await response.json()) as {
    status: string;
    data?: { result: { value: [number, string] }[] };
  };
  if (answer.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(answer)}`);
  const sample = answer.data?.result[0];
  return sample === undefined ? undefined : Number(sample.value[1]);
}

/** Stops Prometheus: SIGTERM, then SIGKILL if it has not exited within 3 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  child.kill('SIGTERM');
  await withTimeout(exited, 3_000, 'prometheus exit').catch(() => {
    child.kill('SIGKILL');
    return exited;
  });
}

test(
  'a Prometheus server scrapes Junction and its counters match the traffic',
  { timeout: 30_000 },
  async (context) => {
    const prometheus = requirePrometheusTool(context, 'prometheus');
    const backend = await countingBackend('b0');
    onTestFinished(() => backend.close());
    const a = await startWithAdmin(`listeners: [{ name: main, address: 127.0.0.1, port: 0 }]
routes: [{ match: { path: / }, cluster: api }]
clusters: { api: { backends: ["${backend.address}"] } }
`);
    for (let i = 0; i < 5; i++) expect((await request(a.junction.port)).status).toBe(200);

    const dir = await mkdtemp(join(tmpdir(), 'junction-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: junction
    scrape_interval: 1s
    scrape_timeout: 1s
    authorization: { type: Bearer, credentials: ${a.token} }
    static_configs: [{ targets: ['127.0.0.1:${a.admin.port}'] }]
`,
    );
    const port = await closedPort();
    let log = '';
    const child = spawn(
      prometheus,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    // Stopped before its storage is removed.
    onTestFinished(async () => {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    });
    const base = `http://127.0.0.1:${port}`;

    const series = 'junction_cluster_requests_total{cluster="api"}';
    const seen = async (promql: string, expected: number, what: string): Promise<void> => {
      await waitFor(async () => (await query(base, promql)) === expected, {
        timeoutMs: 12_000,
        intervalMs: 250,
        what: `${what} (prometheus log: ${log.slice(-500)})`,
      }).catch(async (error: unknown) => {
        throw new Error(
          `${String(error)}; last value ${String(await query(base, promql).catch(() => 'none'))}`,
        );
      });
    };
    await seen('up{job="junction"}', 1, 'the Junction target up');
    await seen(series, 5, 'five requests counted');
    await seen('junction_backend_attempts_total{cluster="api"}', 5, 'five attempts counted');
    await seen('junction_listener_connections_accepted_total{listener="main"}', 5, 'five connections');

    for (let i = 0; i < 3; i++) expect((await request(a.junction.port)).status).toBe(200);
    await seen(series, 8, 'eight requests counted after more traffic');
    await seen('junction_config_version', 1, 'the config version');
  },
);
