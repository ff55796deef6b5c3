/**
 * Signals to the `junction run` process (built dist/, spawned): SIGUSR2, whose default action would end
 * the process without a log line, is logged and ignored by a single process (`workers: 1`; a group's
 * primary restarts its workers) while traffic carries on; SIGQUIT stops
 * gracefully as SIGTERM does (nginx's graceful stop, which operators send by habit).
 */
import { expect, onTestFinished, test } from 'vitest';
import { countingBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { spawnJunction, tempConfigFile } from '../support/junction-process.ts';
import { backendList } from '../support/start-junction.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly signal?: string;
}

test('SIGUSR2 is logged and ignored; SIGQUIT then stops gracefully, exit 0', async () => {
  const backend = await countingBackend('b0');
  onTestFinished(() => backend.close());
  const file = await tempConfigFile(
    'junction.yaml',
    `listeners: [{ address: 127.0.0.1, port: 0 }]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: ${backendList(backend)} }\n`,
  );
  const junction = await spawnJunction(file, { timeoutMs: 10_000 });
  const { child, exited, port } = junction;
  const lines = (): LogLine[] => junction.lines() as unknown as LogLine[];
  const out = (): string => junction.output();

  child.kill('SIGUSR2');
  await waitFor(() => lines().some((line) => line.signal === 'SIGUSR2'), { timeoutMs: 5000 }).catch(() => {
    throw new Error(`no log line for SIGUSR2:\n${out()}`);
  });
  expect(lines().find((line) => line.signal === 'SIGUSR2')).toMatchObject({
    level: 40,
    msg: 'SIGUSR2 restarts worker processes, and this Junction runs one process; ignored',
  });
  expect((await request(port)).text).toBe('b0');
  expect(child.exitCode).toBeNull();

  child.kill('SIGQUIT');
  expect(await withTimeout(exited, 10_000, 'junction to exit')).toEqual({ code: 0, signal: null });
  expect(lines().find((line) => line.msg.startsWith('shutting down'))).toMatchObject({ signal: 'SIGQUIT' });
  expect(lines().some((line) => line.msg === 'stopped')).toBe(true);
}, 30_000);
