/**
 * The admin API over a group: two JunctionServers in one process stand in for two workers, behind an
 * AdminTarget that asks both and merges their answers (workers/aggregate.ts) and applies every change
 * to both, and a `/metrics` that merges both scrapes (metrics/group-metrics.ts), as the primary of a
 * group of worker processes does over its IPC. Status, backends and metrics add up across the two;
 * a drain and a backend removal reach both; the merged scrape passes promtool.
 */
import { describe, expect, onTestFinished, test } from 'vitest';
import { ConfigStore, startAdmin, type AdminMetrics, type AdminTarget } from '../../src/admin/index.ts';
import { loadConfigText, type JunctionConfig } from '../../src/config/index.ts';
import { GroupMetrics, JunctionMetrics, parseMetricsText } from '../../src/metrics/index.ts';
import {
  startJunction,
  type CertificateInput,
  type JunctionServer,
  type ReloadResult,
} from '../../src/server/index.ts';
import {
  mergeClusters,
  mergeStats,
  mergeStatus,
  mergeUpstreams,
  type WorkerReport,
} from '../../src/workers/aggregate.ts';
import { countingBackend, type HttpBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { promtoolCheck, requirePrometheusTool } from '../support/metrics.ts';
import { waitFor } from '../support/wait-for.ts';

const TOKEN = 'group-test-token-0123456789';

/** The group's AdminTarget over in-process servers: what a WorkerGroup does over IPC. */
class InProcessGroup implements AdminTarget {
  readonly #servers: readonly JunctionServer[];

  constructor(servers: readonly JunctionServer[]) {
    this.#servers = servers;
  }

  #ask<T>(question: (server: JunctionServer) => T): Promise<WorkerReport<T>[]> {
    return Promise.resolve(
      this.#servers.map((server, i) => ({ worker: i + 1, pid: 1000 + i, value: question(server) })),
    );
  }

  get config(): JunctionConfig {
    return this.#servers[0]!.config;
  }

  get listeners() {
    return this.#servers[0]!.listeners;
  }

  async status() {
    return mergeStatus(await this.#ask((s) => s.status()));
  }

  async stats() {
    return mergeStats(await this.#ask((s) => ({ ...s.stats(), rss: process.memoryUsage.rss() })));
  }

  async clusters() {
    return mergeClusters(await this.#ask((s) => s.clusters()));
  }

  async upstreams() {
    return mergeUpstreams(await this.#ask((s) => s.upstreams()));
  }

  async reload(config: JunctionConfig): Promise<ReloadResult> {
    const results = await Promise.all(this.#servers.map((s) => s.reload(config)));
    return results[0]!;
  }

  async drainBackend(cluster: string, id: string, timeoutMs?: number): Promise<boolean> {
    const drained = await Promise.all(this.#servers.map((s) => s.drainBackend(cluster, id, timeoutMs)));
    return drained.every(Boolean);
  }

  certificates() {
    return this.#servers[0]!.certificates();
  }

  addCertificate(listener: string, certificate: CertificateInput) {
    return this.#servers.map((s) => s.addCertificate(listener, certificate))[0]!;
  }

  replaceCertificate(listener: string, id: string, certificate: CertificateInput) {
    return this.#servers.map((s) => s.replaceCertificate(listener, id, certificate))[0]!;
  }

  removeCertificate(listener: string, id: string): void {
    for (const s of this.#servers) s.removeCertificate(listener, id);
  }
}

async function startGroup(yaml: string): Promise<{
  servers: JunctionServer[];
  call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; text: string; json: unknown }>;
}> {
  const config = await loadConfigText(yaml, '<e2e>', { baseDir: process.cwd() });
  const servers = await Promise.all([startJunction(config), startJunction(config)]);
  for (const server of servers) onTestFinished(() => server.close(0));
  const group = new InProcessGroup(servers);
  const workerMetrics = servers.map((s) => new JunctionMetrics(s));
  const groupMetrics = new GroupMetrics();
  const metrics: AdminMetrics = groupMetrics.source(
    () =>
      Promise.all(
        workerMetrics.map(async (m, i) => ({
          worker: i + 1,
          pid: 1000 + i,
          value: await m.scrapeFamilies(),
        })),
      ),
    () => group.status(),
  );
  onTestFinished(() => {
    for (const m of workerMetrics) m.close();
  });
  const admin = await startAdmin(
    new ConfigStore(group),
    { address: '127.0.0.1', port: 0, token: TOKEN },
    { metrics },
  );
  onTestFinished(() => admin.close());
  return {
    servers,
    call: async (method, path, body) => {
      const response = await fetch(`${admin.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      const json: unknown = response.headers.get('content-type')?.startsWith('application/json')
        ? JSON.parse(text)
        : undefined;
      return { status: response.status, text, json };
    },
  };
}

async function backends(count: number): Promise<HttpBackend[]> {
  const started = await Promise.all(Array.from({ length: count }, (_, i) => countingBackend(`b${i}`)));
  for (const b of started) onTestFinished(() => b.close());
  return started;
}

function yaml(b0: HttpBackend, b1: HttpBackend): string {
  return `listeners: [{ name: main, address: 127.0.0.1, port: 0 }]
routes: [{ name: all, cluster: api }]
clusters:
  api: { strategy: round-robin, backends: [{ address: "${b0.address}", id: one }, { address: "${b1.address}", id: two }] }
`;
}

interface Merged {
  readonly sessions: number;
  readonly connectionsAccepted: number;
  readonly workers: { worker: number; version: number; connectionsAccepted: number; rss: number }[];
  readonly backends: { id: string; requests: number; workers: { requests: number }[] }[];
  readonly clusters: { name: string; requests: number }[];
}

describe('the admin API over a group of servers', () => {
  test('status, clusters, backends and metrics add up across the servers', async () => {
    const [b0, b1] = await backends(2);
    const group = await startGroup(yaml(b0!, b1!));
    const [one, two] = group.servers;
    for (let i = 0; i < 4; i++) expect((await request(one!.listeners[0]!.port)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await request(two!.listeners[0]!.port)).status).toBe(200);
    // Attempts are counted as they finish, which may be just after the answer reached the client.
    await waitFor(
      async () => {
        const list = (await group.call('GET', '/clusters/api/backends')).json as Merged;
        return list.backends.reduce((n, b) => n + b.requests, 0) === 6;
      },
      { what: 'six attempts counted', timeoutMs: 5_000, intervalMs: 50 },
    );

    const status = (await group.call('GET', '/status')).json as Merged;
    expect(status.connectionsAccepted).toBe(6);
    expect(status.workers.every((w) => w.rss > 0)).toBe(true);
    expect(status.workers.map((w) => [w.worker, w.version, w.connectionsAccepted])).toEqual([
      [1, 1, 4],
      [2, 1, 2],
    ]);
    const clusters = (await group.call('GET', '/clusters')).json as Merged;
    expect(clusters.clusters[0]).toMatchObject({ name: 'api', requests: 6 });
    const list = (await group.call('GET', '/clusters/api/backends')).json as Merged;
    expect(list.backends.map((b) => [b.id, b.requests, b.workers.map((w) => w.requests)])).toEqual([
      ['one', 3, [2, 1]],
      ['two', 3, [2, 1]],
    ]);

    const scrape = await group.call('GET', '/metrics');
    expect(scrape.status).toBe(200);
    parseMetricsText(scrape.text);
    const value = (series: string): number | undefined => {
      const line = scrape.text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('junction_workers')).toBe(2);
    expect(value('junction_cluster_requests_total{cluster="api"}')).toBe(6);
    expect(value('junction_backend_attempts_total{cluster="api",backend="one"}')).toBe(3);
    expect(value('junction_listener_connections_accepted_total{listener="main"}')).toBe(6);
    expect(
      value('junction_requests_total{listener="main",route="all",cluster="api",method="GET",code="200"}'),
    ).toBe(6);
    expect(value('junction_backend_up{cluster="api",backend="one"}')).toBe(1);
    expect(value('junction_config_version')).toBe(1);
    expect(value('process_resident_memory_bytes{worker="2"}')).toBeGreaterThan(0);
  });

  test('a drain and a removal through the admin API reach every server', async () => {
    const [b0, b1] = await backends(2);
    const group = await startGroup(yaml(b0!, b1!));
    const drained = await group.call('POST', '/clusters/api/backends/two/drain?timeout_ms=2000');
    expect(drained.status).toBe(200);
    expect(drained.json).toMatchObject({ drained: true, version: 2 });
    for (const server of group.servers) {
      expect(server.upstreams().map((u) => u.id)).toEqual(['one']);
      expect(server.status().version).toBe(2);
    }
    const added = await group.call('POST', '/clusters/api/backends', { address: b1!.address, id: 'again' });
    expect(added.status).toBe(200);
    for (const server of group.servers) expect(server.upstreams().map((u) => u.id)).toEqual(['one', 'again']);
    expect((await group.call('DELETE', '/clusters/api/backends/one')).status).toBe(200);
    for (const server of group.servers) expect(server.upstreams().map((u) => u.id)).toEqual(['again']);
    expect(((await group.call('GET', '/status')).json as { version: number }).version).toBe(4);
  });

  test('promtool check metrics accepts the merged scrape', async (context) => {
    const promtool = requirePrometheusTool(context, 'promtool');
    const [b0, b1] = await backends(2);
    const group = await startGroup(yaml(b0!, b1!));
    for (const server of group.servers) expect((await request(server.listeners[0]!.port)).status).toBe(200);
    const { text } = await group.call('GET', '/metrics');
    expect(await promtoolCheck(promtool, text)).toEqual({ code: 0, output: '' });
  });
});
