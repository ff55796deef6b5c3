/**
 * A fleet of Junctions (built dist/, spawned) following one prefix in a real etcd the test starts on
 * random 127.0.0.1 ports with a temporary data directory: changes written with etcdctl and with
 * `junction ctl fleet apply` reach every instance under steady traffic without a failed request; a
 * document that does not validate is refused everywhere (old config serving, the refusal in the admin
 * API and in etcd); two appliers racing on one revision, one loses cleanly; etcd stopped and started
 * again (stale, then resynced); an instance started while etcd is down, with and without a cache.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { countingBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { body, ctl, documentFor, fleetView, localFile, startEtcd, tempDir } from '../support/fleet.ts';
import { JUNCTION_BIN, spawnJunction } from '../support/junction-process.ts';
import { waitFor } from '../support/wait-for.ts';

test('two instances follow one prefix: etcdctl and ctl apply reach both under load, a bad document is refused everywhere', async (context) => {
  const etcd = await startEtcd(context);
  const [a, b, c] = [await countingBackend('a'), await countingBackend('b'), await countingBackend('c')];
  etcd.put('/fleet-test/config', documentFor(a.address));
  const dir = await tempDir();
  const one = await spawnJunction(await localFile(dir, 'one', etcd), { withAdmin: true });
  const two = await spawnJunction(await localFile(dir, 'two', etcd), { withAdmin: true });
  expect(await body(one)).toBe('200 a');
  expect(await body(two)).toBe('200 a');

  // Steady traffic to both while the document changes: no request may fail.
  let failures = 0;
  let sent = 0;
  let running = true;
  const load = (async () => {
    while (running) {
      for (const j of [one, two]) {
        sent++;
        const res = await request(j.port, { timeoutMs: 5_000 }).catch(() => undefined);
        if (res?.status !== 200) failures++;
      }
    }
  })();

  etcd.put('/fleet-test/config', documentFor(b.address));
  await waitFor(async () => (await body(one)) === '200 b' && (await body(two)) === '200 b', {
    timeoutMs: 10_000,
    what: 'both instances to follow the etcdctl write',
  });

  const next = join(dir, 'next.yaml');
  await writeFile(next, documentFor(c.address));
  const diff = await ctl(join(dir, 'one.yaml'), 'diff', next);
  expect(diff.code).toBe(0);
  expect(diff.stdout).toContain(`+app/${c.address}`);
  const applied = await ctl(join(dir, 'one.yaml'), 'apply', next, '--wait=15s');
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  expect(applied.stdout).toContain('every instance (2) serves revision');
  expect(await body(one)).toBe('200 c');
  expect(await body(two)).toBe('200 c');

  // Refused everywhere: an unknown cluster. Written with etcdctl, so it reaches the instances.
  const before = Number(/revision (\d+)/.exec((await ctl(join(dir, 'one.yaml'), 'status')).stdout)![1]);
  etcd.put('/fleet-test/config', 'routes:\n  - match: { path: / }\n    cluster: nowhere\n');
  for (const j of [one, two]) {
    const view = await waitFor(
      async () => {
        const v = await fleetView(j);
        return v['last_refusal'] !== null ? v : undefined;
      },
      { timeoutMs: 10_000, what: 'the refusal' },
    );
    const refusal = view['last_refusal'] as { problems: string[] };
    expect(refusal.problems[0]).toMatch(/^\/fleet-test\/config:3:14: .*unknown cluster 'nowhere'/);
    expect(view['revision']).toBe(before);
    expect(await body(j)).toBe('200 c');
  }
  const record = JSON.parse(etcd.get('/fleet-test/instances/one')) as {
    last_refusal: { problems: string[] };
  };
  expect(record.last_refusal.problems[0]).toContain('/fleet-test/config:3:14');
  expect(one.output()).toContain('revision');
  expect(one.output()).toMatch(/refused; the running config/);
  const status = await ctl(join(dir, 'one.yaml'), 'status');
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/one .* refused/);
  expect(status.stdout).toMatch(/two .* refused/);

  running = false;
  await load;
  expect(sent).toBeGreaterThan(0);
  expect(failures).toBe(0);
}, 90_000);

test('two appliers on one revision: one writes, the other loses cleanly; a document in conflict with the file is refused locally', async (context) => {
  const etcd = await startEtcd(context);
  const a = await countingBackend('a');
  etcd.put('/fleet-test/config', documentFor(a.address));
  const dir = await tempDir();
  const file = await localFile(dir, 'op', etcd);
  const revision = /revision (\d+)/.exec((await ctl(file, 'status')).stdout)![1]!;
  const [x, y] = [join(dir, 'x.yaml'), join(dir, 'y.yaml')];
  await writeFile(x, documentFor('127.0.0.1:1'));
  await writeFile(y, documentFor('127.0.0.1:2'));
  const results = await Promise.all([
    ctl(file, 'apply', x, `--if-revision=${revision}`),
    ctl(file, 'apply', y, `--if-revision=${revision}`),
  ]);
  const won = results.filter((r) => r.code === 0);
  const lost = results.filter((r) => r.code === 1);
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(1);
  expect(lost[0]!.stderr).toMatch(/changed since it was read .*nothing was written.*JCT_ERR_FLEET_CONFLICT/s);
  const stored = etcd.get('/fleet-test/config');
  expect([documentFor('127.0.0.1:1'), documentFor('127.0.0.1:2')]).toContain(stored);

  // A key both set: refused before anything is written, with both positions.
  const conflicting = join(dir, 'conflicting.yaml');
  await writeFile(conflicting, `timeouts: { shutdown_grace: 5s }\n${documentFor(a.address)}`);
  const refused = await ctl(file, 'apply', conflicting);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`${conflicting}:1:1: timeouts: set both here and in ${file}:3:1`);
  expect(etcd.get('/fleet-test/config')).toBe(stored);
}, 60_000);

test('etcd stopped: still serving and stale; etcd back: resynced; a start while etcd is down uses the cache, or refuses without one', async (context) => {
  const etcd = await startEtcd(context);
  const [a, b] = [await countingBackend('a'), await countingBackend('b')];
  etcd.put('/fleet-test/config', documentFor(a.address));
  const dir = await tempDir();
  const file = await localFile(dir, 'one', etcd, 'cache_file: fleet-cache.json\n');
  const one = await spawnJunction(file, { withAdmin: true });
  await waitFor(async () => (await fleetView(one))['phase'] === 'following', { timeoutMs: 10_000 });

  await etcd.stop();
  await waitFor(async () => (await fleetView(one))['stale'] === true, { timeoutMs: 10_000, what: 'stale' });
  expect(await body(one)).toBe('200 a');
  const metrics = await (await fetch(`${one.adminUrl!}/metrics`)).text();
  expect(metrics).toContain('junction_fleet_stale 1');
  const status = (await (await fetch(`${one.adminUrl!}/status`)).json()) as { fleet: { stale: boolean } };
  expect(status.fleet.stale).toBe(true);

  // Started while etcd is down: from the cache the first instance wrote.
  const cached = await spawnJunction(await localFile(dir, 'cached', etcd, `cache_file: fleet-cache.json\n`), {
    withAdmin: true,
  });
  expect(await body(cached)).toBe('200 a');
  expect((await fleetView(cached))['stale']).toBe(true);
  expect(cached.output()).toContain('starting from the cached revision');

  // No cache: a clear refusal to start.
  const bare = spawnSync(process.execPath, [JUNCTION_BIN, 'run', '-c', await localFile(dir, 'bare', etcd)], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(bare.status).toBe(1);
  expect(bare.stderr).toMatch(
    /cannot start: the fleet's etcd cannot be reached .*no last good fleet config.*cache_file is not set/,
  );

  await etcd.start();
  etcd.put('/fleet-test/config', documentFor(b.address));
  for (const j of [one, cached]) {
    await waitFor(async () => (await body(j)) === '200 b', { timeoutMs: 30_000, what: 'the resync' });
    await waitFor(async () => (await fleetView(j))['stale'] === false, { timeoutMs: 10_000 });
  }
}, 90_000);
