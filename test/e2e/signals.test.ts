/**
 * Signals to the `junction run` process (built dist/, spawned): SIGUSR2, whose default action would end
 * the process without a log line, is logged and ignored while traffic carries on; SIGQUIT stops
 * gracefully as SIGTERM does (nginx's graceful stop, which operators send by habit).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished, test } from 'vitest';
import { countingBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { backendList } from '../support/start-junction.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';

const BIN = fileURLToPath(new URL('../../bin/junction.js', import.meta.url));

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly signal?: string;
}

test('SIGUSR2 is logged and ignored; SIGQUIT then stops gracefully, exit 0', async () => {
  const backend = await countingBackend('b0');
  onTestFinished(() => backend.close());
  const dir = await mkdtemp(join(tmpdir(), 'junction-signals-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'junction.yaml');
  await writeFile(
    file,
    `listeners: [{ address: 127.0.0.1, port: 0 }]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: ${backendList(backend)} }\n`,
  );

  const child = spawn(process.execPath, [BIN, 'run', '-c', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JUNCTION_LOG_LEVEL: 'info' },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    }),
  );
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const lines = (): LogLine[] =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  const listening = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
  await waitFor(() => listening.test(out), { timeoutMs: 10_000 }).catch(() => {
    throw new Error(`junction did not start:\n${out}`);
  });
  const port = Number(listening.exec(out)![1]);

  child.kill('SIGUSR2');
  await waitFor(() => lines().some((line) => line.signal === 'SIGUSR2'), { timeoutMs: 5000 }).catch(() => {
    throw new Error(`no log line for SIGUSR2:\n${out}`);
  });
  expect(lines().find((line) => line.signal === 'SIGUSR2')).toMatchObject({
    level: 40,
    msg: 'SIGUSR2 is not used by Junction yet; ignored',
  });
  expect((await request(port)).text).toBe('b0');
  expect(child.exitCode).toBeNull();

  child.kill('SIGQUIT');
  expect(await withTimeout(exited, 10_000, 'junction to exit')).toEqual({ code: 0, signal: null });
  expect(lines().find((line) => line.msg.startsWith('shutting down'))).toMatchObject({ signal: 'SIGQUIT' });
  expect(lines().some((line) => line.msg === 'stopped')).toBe(true);
}, 30_000);
