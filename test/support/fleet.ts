/**
 * The fleet's e2e tests' shared pieces: a real etcd on random 127.0.0.1 ports with a temporary data
 * directory (stopped and removed when the test ends), the local files of instances following it, the
 * admin API's `/fleet`, and `junction ctl fleet` run as a process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { onTestFinished, type TestContext } from 'vitest';
import { request } from './clients.ts';
import { JUNCTION_BIN, type JunctionProcess } from './junction-process.ts';
import { requireTool } from './system-tools.ts';
import { waitFor } from './wait-for.ts';

const INSTALL = "Debian's etcd-server and etcd-client packages (apt-get install etcd-server etcd-client)";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Etcd {
  readonly endpoint: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  put(key: string, value: string): void;
  get(key: string): string;
}

export async function startEtcd(context: TestContext): Promise<Etcd> {
  const etcdBin = requireTool(context, 'etcd', INSTALL);
  const etcdctl = requireTool(context, 'etcdctl', INSTALL);
  const dir = await mkdtemp(join(tmpdir(), 'junction-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  let child: ChildProcess | undefined;
  const ctl = (args: string[], input?: string): string => {
    const result = spawnSync(etcdctl, ['--endpoints', endpoint, ...args], {
      input,
      encoding: 'utf8',
      env: { ...process.env, ETCDCTL_API: '3' },
      timeout: 10_000,
    });
    if (result.status !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const etcd: Etcd = {
    endpoint,
    start: async () => {
      child = spawn(
        etcdBin,
        [
          '--name=test',
          `--data-dir=${join(dir, 'data')}`,
          `--listen-client-urls=${endpoint}`,
          `--advertise-client-urls=${endpoint}`,
          `--listen-peer-urls=http://127.0.0.1:${peer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
          `--initial-cluster=test=http://127.0.0.1:${peer}`,
        ],
        { stdio: 'ignore' },
      );
      await waitFor(
        async () => {
          const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(500) });
          return res.ok;
        },
        { timeoutMs: 15_000, intervalMs: 100, what: 'etcd to start' },
      );
    },
    stop: async () => {
      const running = child;
      child = undefined;
      if (running?.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
    put: (key, value) => void ctl(['put', key], value),
    get: (key) => ctl(['get', '--print-value-only', key]).replace(/\n$/, ''),
  };
  onTestFinished(async () => {
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await etcd.start();
  return etcd;
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'junction-fleet-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A local config file: listener and admin here, the rest from the fleet; `extra`: one more fleet key. */
export async function localFile(dir: string, name: string, etcd: Etcd, extra = ''): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `listeners: [{ address: 127.0.0.1, port: 0 }]
admin: { port: 0 }
timeouts: { shutdown_grace: 1s }
fleet:
  etcd: { endpoints: ${etcd.endpoint}, prefix: /fleet-test }
  instance_id: ${name}
  lease_ttl: 3s
${extra === '' ? '' : `  ${extra}`}`,
  );
  return file;
}

export const documentFor = (backend: string): string =>
  `routes:\n  - match: { path: / }\n    cluster: app\nclusters:\n  app:\n    backends: ['${backend}']\n`;

export async function body(junction: JunctionProcess): Promise<string> {
  const res = await request(junction.port, { agent: new Agent(), timeoutMs: 5_000 });
  return `${res.status} ${res.body.toString()}`;
}

export async function fleetView(junction: JunctionProcess): Promise<Record<string, unknown>> {
  const res = await fetch(`${junction.adminUrl!}/fleet`);
  return (await res.json()) as Record<string, unknown>;
}

export function ctl(
  file: string,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [JUNCTION_BIN, 'ctl', '-c', file, 'fleet', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
