/**
 * `workers: 2`: `junction run` as a primary and two worker processes (built dist/, spawned). Which
 * worker served a response is told by a test plugin's `x-worker-pid` header, and which config by its
 * `x-config-mark` (a value of the plugin's config): both reach the client only through a worker.
 * Under steady keep-alive load: a reload, a restart of every worker, a worker killed.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { countingBackend, type HttpBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { ctlInProcess } from '../support/in-process-cli.ts';
import { spawnJunction, tempConfigFile, type JunctionProcess } from '../support/junction-process.ts';
import { backendList } from '../support/start-junction.ts';
import { steadyLoad } from '../support/steady-load.ts';
import { delay, waitFor, withTimeout } from '../support/wait-for.ts';

/** A plugin that says which process and which config answered; `fail_on_worker` refuses to set up there. */
const WORKER_ID_PLUGIN = `
import cluster from 'node:cluster';
export default {
  name: 'worker-id',
  parseConfig(raw) {
    return {
      mark: String(raw?.mark ?? ''),
      failOn: raw?.fail_on_worker ?? 0,
      crashReplacementsOf: String(raw?.crash_replacements_of ?? ''),
    };
  },
  setup(api) {
    if (cluster.worker?.id === api.config.failOn) throw new Error('told to fail on worker ' + api.config.failOn);
    // Workers forked after the first two, in that slot, die as they start.
    if (cluster.worker.id > 2 && process.env.JUNCTION_WORKER_SLOT === api.config.crashReplacementsOf) process.exit(3);
    api.hook('send-response', (txn) => {
      txn.response?.headers.set('x-worker-pid', String(process.pid));
      txn.response?.headers.set('x-config-mark', api.config.mark);
    });
  },
};
`;

interface WorkersAnswer {
  readonly hash: string;
  readonly version: number;
  readonly workers: readonly {
    worker: number;
    pid: number;
    state: string;
    hash: string;
    rss: number;
    replacements: number;
    crashLoop: boolean;
  }[];
  readonly rss: number;
  readonly primaryRss: number;
}

function configText(backend: HttpBackend, mark: string, extra = ''): string {
  return `workers: 2
listeners: [{ address: 127.0.0.1, port: 0 }]
admin: { port: 0 }
timeouts: { shutdown_grace: 5s }
plugins:
  - { module: ./worker-id.mjs, config: { mark: ${mark}${extra} } }
routes: [{ cluster: app }]
clusters:
  app: { backends: ${backendList(backend)} }
`;
}

async function startGroup(
  mark = 'v1',
  extra = '',
): Promise<{ junction: JunctionProcess; file: string; backend: HttpBackend }> {
  const backend = await countingBackend('b0');
  onTestFinished(() => backend.close());
  const file = await tempConfigFile('junction.yaml', configText(backend, mark, extra));
  await writeFile(join(dirname(file), 'worker-id.mjs'), WORKER_ID_PLUGIN);
  const junction = await spawnJunction(file, {
    withAdmin: true,
    timeoutMs: 30_000,
    readyWhen: (out) => out.includes('2 workers serving'),
  });
  return { junction, file, backend };
}

/** `junction ctl ...args` through main() in this process. */
const ctl = ctlInProcess;

async function workers(junction: JunctionProcess): Promise<WorkersAnswer> {
  const response = await fetch(`${junction.adminUrl!}/workers`, { signal: AbortSignal.timeout(5_000) });
  expect(response.status).toBe(200);
  return (await response.json()) as WorkersAnswer;
}

/**
 * Fresh connections, a few at a time, until responses from `count` distinct pids were seen (bounded):
 * returns pid → config mark.
 */
async function servingPids(port: number, count: number, timeoutMs = 15_000): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  await waitFor(
    async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => request(port, { timeoutMs: 5_000 })));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        seen.set(String(answer.headers['x-worker-pid']), String(answer.headers['x-config-mark']));
      }
      return seen.size >= count;
    },
    { timeoutMs, what: `responses from ${count} workers` },
  );
  return seen;
}

describe('workers: 2', () => {
  test('both workers serve; the primary serves no traffic; status reports each worker and its memory', async () => {
    const { junction } = await startGroup();
    const seen = await servingPids(junction.port, 2);
    const status = await workers(junction);
    const pids = status.workers.map((w) => String(w.pid)).sort();
    expect([...seen.keys()].sort()).toEqual(pids);
    expect(pids).not.toContain(String(junction.child.pid));
    expect(status.workers.map((w) => w.state)).toEqual(['serving', 'serving']);
    expect(new Set(status.workers.map((w) => w.hash))).toEqual(new Set([status.hash]));
    await waitFor(async () => (await workers(junction)).workers.every((w) => w.rss > 0), {
      what: 'RSS polled',
    });
    const polled = await workers(junction);
    expect(polled.rss).toBeGreaterThanOrEqual(
      polled.primaryRss + polled.workers[0]!.rss + polled.workers[1]!.rss,
    );
    const table = await ctl(['--admin', junction.adminUrl!, 'workers']);
    expect(table.code).toBe(0);
    expect(table.stdout.match(/serving/g)).toHaveLength(2);
    expect(table.stdout).toMatch(/group rss \d+\.\d MiB/);

    junction.child.kill('SIGTERM');
    expect(await withTimeout(junction.exited, 15_000, 'junction to exit')).toEqual({ code: 0, signal: null });
    expect(junction.output()).toContain('every worker stopped');
  }, 60_000);

  test('a reload under steady keep-alive load: no request fails, and every worker serves the new config', async () => {
    const { junction, file, backend } = await startGroup('v1');
    const load = steadyLoad(junction.port, { connections: 4, header: 'x-config-mark' });
    await waitFor(() => load.ok >= 50, { timeoutMs: 15_000, what: 'load flowing' });
    await writeFile(file, configText(backend, 'v2'));
    junction.child.kill('SIGHUP');
    await waitFor(() => junction.output().includes('reloaded '), { timeoutMs: 20_000, what: 'the reload' });
    const after = load.ok;
    await waitFor(() => load.ok >= after + 50, { timeoutMs: 15_000, what: 'load after the reload' });
    const outcome = await load.stop();
    expect(outcome.errors).toEqual([]);
    expect(outcome.failed).toBe(0);
    expect(outcome.byHeader.get('v2')).toBeGreaterThan(0);

    const marks = await servingPids(junction.port, 2);
    expect([...marks.values()]).toEqual(['v2', 'v2']);
    const status = await workers(junction);
    expect(status.version).toBe(2);
    expect(status.workers.map((w) => w.hash)).toEqual([status.hash, status.hash]);
  }, 90_000);

  test('a reload one worker cannot apply is refused everywhere; the old config keeps serving', async () => {
    const { junction, file, backend } = await startGroup('v1');
    const before = await workers(junction);
    // Worker ids 1 and 2 serve; the plugin fails to set up on worker 2 only, after worker 1 applied it.
    await writeFile(file, configText(backend, 'v2', ', fail_on_worker: 2'));
    junction.child.kill('SIGHUP');
    await waitFor(() => junction.output().includes('reload failed (SIGHUP)'), {
      timeoutMs: 20_000,
      what: 'the refusal',
    });
    expect(junction.output()).toMatch(/reload refused by worker 2 \(pid \d+\): .*told to fail on worker 2/);

    const marks = await servingPids(junction.port, 2);
    expect([...marks.values()]).toEqual(['v1', 'v1']);
    const after = await workers(junction);
    expect(after.version).toBe(before.version);
    expect(after.hash).toBe(before.hash);
    expect(after.workers.map((w) => w.hash)).toEqual([before.hash, before.hash]);
    expect(after.workers.map((w) => w.pid)).toEqual(before.workers.map((w) => w.pid));

    // A config that does not validate never reaches a worker.
    await writeFile(file, 'listeners: nope\n');
    junction.child.kill('SIGHUP');
    await waitFor(() => junction.output().includes('reload refused (SIGHUP)'), { timeoutMs: 20_000 });
    expect((await workers(junction)).hash).toBe(before.hash);
  }, 90_000);

  test('a restart of every worker under steady load: no request fails, and every worker is new', async () => {
    const { junction } = await startGroup();
    const before = await workers(junction);
    const load = steadyLoad(junction.port, { connections: 4 });
    await waitFor(() => load.ok >= 50, { timeoutMs: 15_000, what: 'load flowing' });
    const restart = await ctl(['--admin', junction.adminUrl!, '--json', 'restart'], 60_000);
    expect(restart.code).toBe(0);
    const report = JSON.parse(restart.stdout) as {
      workers: { worker: number; oldPid: number; newPid: number }[];
    };
    const after = load.ok;
    await waitFor(() => load.ok >= after + 50, { timeoutMs: 15_000, what: 'load after the restart' });
    const outcome = await load.stop();
    expect(outcome.errors).toEqual([]);
    expect(outcome.failed).toBe(0);

    const oldPids = before.workers.map((w) => w.pid);
    expect(report.workers.map((w) => w.oldPid)).toEqual(oldPids);
    const status = await workers(junction);
    const newPids = status.workers.map((w) => w.pid);
    expect(newPids.filter((pid) => oldPids.includes(pid))).toEqual([]);
    expect(status.workers.map((w) => w.state)).toEqual(['serving', 'serving']);
    const seen = await servingPids(junction.port, 2);
    expect([...seen.keys()].map(Number).sort()).toEqual([...newPids].sort());
    // The old workers drained and exited, each logging how much it cut: nothing.
    const stops = junction.lines().filter((line) => line['msg'] === 'stopped');
    expect(stops.length).toBeGreaterThanOrEqual(2);
    expect(stops.every((line) => line['cutRequests'] === 0)).toBe(true);
  }, 120_000);

  test('SIGUSR2 restarts every worker too', async () => {
    const { junction } = await startGroup();
    const before = await workers(junction);
    junction.child.kill('SIGUSR2');
    await waitFor(() => junction.output().includes('restart done: 2 workers replaced'), {
      timeoutMs: 40_000,
    });
    const after = await workers(junction);
    expect(
      after.workers.map((w) => w.pid).filter((pid) => before.workers.some((w) => w.pid === pid)),
    ).toEqual([]);
  }, 90_000);

  test('a SIGKILLed worker costs only the requests in flight on it, and is replaced', async () => {
    const { junction } = await startGroup();
    const before = await workers(junction);
    const victim = before.workers[1]!;
    const connections = 4;
    const load = steadyLoad(junction.port, { connections });
    await waitFor(() => load.ok >= 50, { timeoutMs: 15_000, what: 'load flowing' });
    process.kill(victim.pid, 'SIGKILL');
    await waitFor(
      async () => {
        const now = await workers(junction);
        const slot = now.workers.find((w) => w.worker === victim.worker);
        return slot !== undefined && slot.pid !== victim.pid && slot.state === 'serving';
      },
      { timeoutMs: 20_000, what: 'the replacement' },
    );
    const after = load.ok;
    await waitFor(() => load.ok >= after + 50, { timeoutMs: 15_000, what: 'load after the replacement' });
    const outcome = await load.stop();
    // At most one request per connection: the one each connection to the killed worker carried (or
    // was about to send on it).
    expect(outcome.failed).toBeLessThanOrEqual(connections);
    expect(outcome.badStatuses).toEqual([]);
    expect(junction.output()).toMatch(/worker 2 \(pid \d+\) died \(signal SIGKILL\): replacing it/);
    const status = await workers(junction);
    expect(status.workers.find((w) => w.worker === victim.worker)).toMatchObject({ state: 'serving' });
    expect(status.workers[0]!.pid).toBe(before.workers[0]!.pid);
    const seen = await servingPids(junction.port, 2);
    expect(seen.has(String(victim.pid))).toBe(false);
  }, 90_000);

  test('a worker whose replacements keep dying is a crash loop: reported, slowed down, the other serves', async () => {
    const { junction } = await startGroup('v1', ', crash_replacements_of: 2');
    const before = await workers(junction);
    process.kill(before.workers[1]!.pid, 'SIGKILL');
    await waitFor(() => junction.output().includes('worker 2 is in a crash loop (3 quick deaths in a row)'), {
      timeoutMs: 20_000,
      what: 'the crash loop report',
    });
    const looping = await workers(junction);
    expect(looping.workers[1]).toMatchObject({ worker: 2, crashLoop: true });
    // Not spun: each start waits twice as long as the one before (0, 250, 500, 1000 ms, ...).
    const replacements = looping.workers[1]!.replacements;
    await delay(2_000);
    expect((await workers(junction)).workers[1]!.replacements).toBeLessThanOrEqual(replacements + 2);
    expect(looping.workers[0]).toMatchObject({ pid: before.workers[0]!.pid, state: 'serving' });
    expect((await request(junction.port)).status).toBe(200);
  }, 60_000);
});
