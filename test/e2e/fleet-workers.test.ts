/**
 * A fleet instance with worker processes, and the local file reloaded while following, against a real
 * etcd the test starts. With `workers: 2` only the primary watches etcd (one watcher in etcd's own
 * metrics) and every worker applies each change (the group's status agrees on one config) under
 * steady load without a failed request; `/fleet` and the record in etcd report the same revision. A
 * SIGHUP reloading the local file keeps the record truthful: the fleet revision stays, the config
 * version moves, and the local file's reload is stamped.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { expect, test } from 'vitest';
import { countingBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { documentFor, fleetView, localFile, startEtcd, tempDir, type Etcd } from '../support/fleet.ts';
import { spawnJunction, type JunctionProcess } from '../support/junction-process.ts';
import { steadyLoad } from '../support/steady-load.ts';
import { waitFor } from '../support/wait-for.ts';

interface GroupStatus {
  version: number;
  hash: string;
  workers: { worker: number; state: string; hash: string }[];
}

async function groupStatus(junction: JunctionProcess): Promise<GroupStatus> {
  return (await (await fetch(`${junction.adminUrl!}/status`)).json()) as GroupStatus;
}

/** Watchers etcd has open (its own gauge). */
async function etcdWatchers(etcd: Etcd): Promise<number> {
  const text = await (await fetch(`${etcd.endpoint}/metrics`)).text();
  const match = /^etcd_debugging_mvcc_watcher_total (\d+)/m.exec(text);
  if (match === null) throw new Error('etcd reports no etcd_debugging_mvcc_watcher_total');
  return Number(match[1]);
}

/** What `count` requests on fresh connections answered (each may reach either worker). */
async function bodies(junction: JunctionProcess, count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const res = await request(junction.port, { agent: new Agent(), timeoutMs: 5_000 });
    seen.add(`${res.status} ${res.body.toString()}`);
  }
  return seen;
}

interface Record_ {
  revision: number;
  config_version: number;
  config_hash: string;
  local_file: { path: string; version: number; loaded_at: string } | null;
}

test('workers: 2 following etcd: one watch in the primary, every worker applies the change under load, /fleet and the record agree', async (context) => {
  const etcd = await startEtcd(context);
  const [a, b] = [await countingBackend('a'), await countingBackend('b')];
  etcd.put('/fleet-test/config', documentFor(a.address));
  const dir = await tempDir();
  const file = await localFile(dir, 'group', etcd);
  await writeFile(file, `workers: 2\n${await readFile(file, 'utf8')}`);
  const group = await spawnJunction(file, { withAdmin: true, timeoutMs: 30_000 });
  await waitFor(async () => (await fleetView(group))['phase'] === 'following', { timeoutMs: 10_000 });
  expect((await groupStatus(group)).workers).toHaveLength(2);
  expect(await bodies(group, 10)).toEqual(new Set(['200 a']));
  // One watch for the instance, however many workers: the primary follows etcd and fans out.
  expect(await etcdWatchers(etcd)).toBe(1);

  const load = steadyLoad(group.port, { connections: 4 });
  await waitFor(() => load.ok > 20, { timeoutMs: 10_000, what: 'traffic' });
  const before = await groupStatus(group);
  etcd.put('/fleet-test/config', documentFor(b.address));
  const view = await waitFor(
    async () => {
      const v = await fleetView(group);
      return v['config_version'] !== before.version ? v : undefined;
    },
    { timeoutMs: 15_000, what: 'the change applied' },
  );
  const outcome = await load.stop();
  expect(outcome.errors).toEqual([]);
  expect(outcome.failed).toBe(0);
  expect(outcome.ok).toBeGreaterThan(0);

  // Every worker serves the new config (its hash, as each worker reported it), and only b answers.
  const status = await groupStatus(group);
  expect(status.hash).not.toBe(before.hash);
  expect(status.workers.map((w) => [w.state, w.hash])).toEqual([
    ['serving', status.hash],
    ['serving', status.hash],
  ]);
  expect(view['config_version']).toBe(status.version);
  expect(await bodies(group, 10)).toEqual(new Set(['200 b']));
  const record = JSON.parse(etcd.get('/fleet-test/instances/group')) as Record_;
  expect(record.revision).toBe(view['revision']);
  expect(record.config_version).toBe(status.version);
  expect(await etcdWatchers(etcd)).toBe(1);
}, 90_000);

test('SIGHUP in fleet mode: the record and /fleet keep the fleet revision and report the new config version and the file reload', async (context) => {
  const etcd = await startEtcd(context);
  const [a, b] = [await countingBackend('a'), await countingBackend('b')];
  etcd.put('/fleet-test/config', documentFor(a.address));
  const dir = await tempDir();
  const file = await localFile(dir, 'hup', etcd);
  const junction = await spawnJunction(file, { withAdmin: true });
  const start = await waitFor(
    async () => {
      const v = await fleetView(junction);
      return v['phase'] === 'following' ? (v as unknown as Record_) : undefined;
    },
    { timeoutMs: 10_000 },
  );
  expect(start.local_file).toMatchObject({ path: file, version: start.config_version });
  const record = (): Record_ => JSON.parse(etcd.get('/fleet-test/instances/hup')) as Record_;

  // The local file changes (a setting it owns) and is reloaded by SIGHUP.
  await writeFile(file, (await readFile(file, 'utf8')).replace('shutdown_grace: 1s', 'shutdown_grace: 2s'));
  junction.child.kill('SIGHUP');
  const reloaded = await waitFor(
    async () => {
      const v = (await fleetView(junction)) as unknown as Record_;
      return v.config_version > start.config_version ? v : undefined;
    },
    { timeoutMs: 10_000, what: 'the SIGHUP reload in /fleet' },
  );
  expect(reloaded.revision).toBe(start.revision);
  expect(reloaded.config_hash).not.toBe(start.config_hash);
  expect(reloaded.local_file?.version).toBe(reloaded.config_version);
  expect(Date.parse(reloaded.local_file!.loaded_at)).toBeGreaterThan(Date.parse(start.local_file!.loaded_at));
  const status = (await (await fetch(`${junction.adminUrl!}/status`)).json()) as { version: number };
  expect(reloaded.config_version).toBe(status.version);
  await waitFor(() => record().config_version === reloaded.config_version, {
    timeoutMs: 10_000,
    what: 'the record after SIGHUP',
  });
  expect(record()).toMatchObject({
    revision: start.revision,
    config_hash: reloaded.config_hash,
    local_file: reloaded.local_file,
  });
  expect((await request(junction.port, { agent: new Agent() })).body.toString()).toBe('a');

  // Then the fleet changes: the revision moves on, merged with the reloaded file.
  etcd.put('/fleet-test/config', documentFor(b.address));
  const followed = await waitFor(
    async () => {
      const v = (await fleetView(junction)) as unknown as Record_;
      return v.revision > start.revision ? v : undefined;
    },
    { timeoutMs: 10_000, what: 'the fleet change' },
  );
  expect(followed.config_version).toBe(reloaded.config_version + 1);
  expect(followed.local_file).toEqual(reloaded.local_file);
  expect((await request(junction.port, { agent: new Agent() })).body.toString()).toBe('b');

  // A SIGHUP with the file unchanged keeps the version, and says when the file was read.
  junction.child.kill('SIGHUP');
  const kept = await waitFor(
    async () => {
      const v = (await fleetView(junction)) as unknown as Record_;
      return v.local_file!.loaded_at !== followed.local_file!.loaded_at ? v : undefined;
    },
    { timeoutMs: 10_000, what: 'the second SIGHUP' },
  );
  expect(kept.config_version).toBe(followed.config_version);
  expect(kept.revision).toBe(followed.revision);
  expect(kept.local_file?.version).toBe(followed.config_version);
}, 90_000);
