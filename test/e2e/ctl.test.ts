/**
 * The `junction` process (built dist/, spawned): SIGHUP and `--watch` reload the config file, a bad file
 * keeps the running config, and `junction ctl` reads and changes it through the admin API (a few calls
 * as processes of their own, the rest through main() in this process).
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { countingBackend, type HttpBackend } from '../support/backends.ts';
import {
  JUNCTION_BIN as BIN,
  spawnJunction,
  tempConfigFile,
  type JunctionProcess,
} from '../support/junction-process.ts';
import { request } from '../support/clients.ts';
import { ctlInProcess } from '../support/in-process-cli.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';

const TOKEN = 'ctl-test-token-0123456789';

const tempFile = tempConfigFile;

async function backends(count: number): Promise<HttpBackend[]> {
  const started = await Promise.all(Array.from({ length: count }, (_, i) => countingBackend(`b${i}`)));
  for (const b of started) onTestFinished(() => b.close());
  return started;
}

/** `junction run -c FILE [...args]`, resolved once it logged its listener (and admin API) addresses. */
function runJunction(file: string, args: string[] = [], withAdmin = false): Promise<JunctionProcess> {
  return spawnJunction(file, { args, withAdmin, timeoutMs: 10_000 });
}

/** `junction ctl ...args` as its own process: exit code and output. */
function spawnCtl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return withTimeout(
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'ctl', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => {
        resolve({ code, stdout, stderr });
      });
    }),
    15_000,
    `junction ctl ${args.join(' ')}`,
  );
}

const ctl = ctlInProcess;

const config = (backend: HttpBackend, admin = '') =>
  `listeners: [{ address: 127.0.0.1, port: 0 }]
${admin}routes: [{ name: app, cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`;

describe('reloading the running process', () => {
  test('SIGHUP re-reads the file; a broken file is refused with file:line:column and the old config serves', async () => {
    const [b0, b1] = await backends(2);
    const file = await tempFile('junction.yaml', config(b0!));
    const junction = await runJunction(file);
    expect((await request(junction.port)).text).toBe('b0');

    await writeFile(file, config(b1!));
    junction.child.kill('SIGHUP');
    await waitFor(async () => (await request(junction.port)).text === 'b1', { timeoutMs: 10_000 });
    expect(junction.output()).toMatch(/config version 2 applied: .*backends \+app\/127/);

    await writeFile(file, config(b0!).replace('cluster: app', 'cluster: nowhere'));
    junction.child.kill('SIGHUP');
    await waitFor(() => junction.output().includes('reload refused'), { timeoutMs: 10_000 });
    expect(junction.output()).toContain(`${file}:2:`);
    expect((await request(junction.port)).text).toBe('b1');

    junction.child.kill('SIGTERM');
    expect(await withTimeout(junction.exited, 10_000, 'junction to exit')).toEqual({ code: 0, signal: null });
  }, 30_000);

  test('--watch reloads when the file changes', async () => {
    const [b0, b1] = await backends(2);
    const file = await tempFile('junction.yaml', config(b0!));
    const junction = await runJunction(file, ['--watch']);
    await waitFor(() => junction.output().includes('watching'), { timeoutMs: 10_000 });
    expect((await request(junction.port)).text).toBe('b0');
    await writeFile(file, config(b1!));
    await waitFor(async () => (await request(junction.port)).text === 'b1', { timeoutMs: 10_000 });
  }, 30_000);

  test("--watch follows a Kubernetes ConfigMap update (the atomic swap of its '..data' symlink)", async () => {
    const [b0, b1] = await backends(2);
    // The layout kubelet makes: junction.yaml -> ..data/junction.yaml, ..data -> ..<version>/.
    const dir = dirname(await tempFile('unused', ''));
    const version = async (name: string, text: string): Promise<void> => {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'junction.yaml'), text);
    };
    await version('..2026_12_07_1', config(b0!));
    await symlink('..2026_12_07_1', join(dir, '..data'));
    await symlink('..data/junction.yaml', join(dir, 'junction.yaml'));
    const junction = await runJunction(join(dir, 'junction.yaml'), ['--watch']);
    await waitFor(() => junction.output().includes('watching'), { timeoutMs: 10_000 });
    expect((await request(junction.port)).text).toBe('b0');
    // The update: a new version directory, a new symlink renamed over ..data; junction.yaml is untouched.
    await version('..2026_12_07_2', config(b1!));
    await symlink('..2026_12_07_2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await waitFor(async () => (await request(junction.port)).text === 'b1', { timeoutMs: 10_000 });
    expect(junction.output().match(/config reloaded|reload applied|applied/g)?.length ?? 0).toBeGreaterThan(
      0,
    );
  }, 30_000);
});

describe('junction ctl', () => {
  test('status, routes, clusters, backends (list, add, remove, drain), certs, reload, config export and save', async () => {
    const [b0, b1] = await backends(2);
    const file = await tempFile(
      'junction.yaml',
      config(b0!, `admin: { address: 127.0.0.1, port: 0, token: ${TOKEN} }\n`),
    );
    const junction = await runJunction(file, [], true);
    const base = ['--admin', junction.adminUrl!, '--token', TOKEN];

    const refused = await spawnCtl(['--admin', junction.adminUrl!, 'status']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('401');

    const status = await spawnCtl([...base, 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^version\s+1$/m);
    const statusJson = await ctl([...base, '--json', 'status']);
    expect(JSON.parse(statusJson.stdout)).toMatchObject({ version: 1, routes: 1 });

    expect((await ctl([...base, 'routes'])).stdout).toMatch(
      /^NAME\s+HOSTS\s+PATH\s+METHODS\s+CLUSTER\napp\s+\*\s+\*\s+\*\s+app$/m,
    );
    expect((await ctl([...base, 'clusters'])).stdout).toMatch(/^app\s+round-robin\s+1\s+1/m);

    const add = await ctl([...base, 'backends', 'add', 'app', b1!.address, '--id', 'second']);
    expect(add.code).toBe(0);
    expect(add.stdout).toContain('backends added: app/second');
    const list = await ctl([...base, 'backends', 'app']);
    expect(list.stdout).toMatch(/^second\s+127\.0\.0\.1:\d+\s+up/m);

    const drain = await ctl([...base, 'backends', 'drain', 'app', 'second']);
    expect(drain.code).toBe(0);
    expect(drain.stdout).toContain('drained');
    expect(drain.stdout).toContain('backends removed: app/second');
    expect((await ctl([...base, 'backends', 'remove', 'app', 'nope'])).code).toBe(1);

    expect((await ctl([...base, 'certs'])).stdout).toBe('(none)\n');

    const added = await ctl([...base, 'backends', 'add', 'app', b1!.address]);
    expect(added.code).toBe(0);
    const exported = await ctl([...base, 'config', 'export']);
    expect(exported.stdout).toContain(b1!.address);
    const saved = await ctl([...base, 'config', 'save']);
    expect(saved.stdout).toContain(`saved ${file}`);
    expect(await readFile(file, 'utf8')).toContain(b1!.address);

    const removed = await ctl([...base, 'backends', 'remove', 'app', b1!.address]);
    expect(removed.stdout).toContain(`backends removed: app/${b1!.address}`);
    // The file still has it: reloading from the file brings it back.
    const reload = await ctl([...base, 'reload']);
    expect(reload.code).toBe(0);
    expect(reload.stdout).toContain(`backends added: app/${b1!.address}`);

    const usage = await spawnCtl([...base, 'frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown ctl command 'frobnicate'");
  }, 60_000);

  test('reads the admin address and token from the config file', async () => {
    const [b0] = await backends(1);
    const tokenFile = await tempFile('token', `${TOKEN}\n`);
    // A fixed port is needed for ctl to find the API from the file: take a free one first.
    const probe = await countingBackend('probe');
    const adminPort = probe.port;
    await probe.close();
    const file = await tempFile(
      'junction.yaml',
      config(b0!, `admin: { address: 127.0.0.1, port: ${adminPort}, token_file: ${tokenFile} }\n`),
    );
    await runJunction(file, [], true);
    const status = await spawnCtl(['-c', file, '--json', 'status']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ version: 1, file });
  }, 30_000);
});
