/**
 * `junction run` as a process of its own (the built dist/, through bin/junction.js), for tests of what
 * only a real process has: signals, `--watch`, the loading worker, exit codes. Killed when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { waitFor } from './wait-for.ts';

export const JUNCTION_BIN = fileURLToPath(new URL('../../bin/junction.js', import.meta.url));

const LISTENING = /listening on https?:\/\/127\.0\.0\.1:(\d+)/;
const ADMIN = /admin API on (http:\/\/127\.0\.0\.1:(\d+))/;

export interface JunctionProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote so far, stdout and stderr interleaved (JSON log lines). */
  output(): string;
  /** The JSON log lines written so far. */
  lines(): readonly Record<string, unknown>[];
  /** The first HTTP listener's port. */
  readonly port: number;
  /** The admin API's URL, when the config has one. */
  readonly adminUrl: string | undefined;
  /** Resolves when the process ends: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  /** More arguments after `run -c FILE`. */
  readonly args?: readonly string[];
  /** Wait until this is true of the output too (besides the listener, and the admin API if configured). */
  readonly readyWhen?: (output: string) => boolean;
  /** Wait for the admin API's address. */
  readonly withAdmin?: boolean;
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts `junction run -c file` and resolves once it is ready: it logged its listener and that SIGHUP
 * is handled (before that a SIGHUP's default action would end it), and whatever `readyWhen` asks.
 */
export async function spawnJunction(file: string, options: SpawnOptions = {}): Promise<JunctionProcess> {
  const child = spawn(process.execPath, [JUNCTION_BIN, 'run', '-c', file, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JUNCTION_LOG_LEVEL: 'info', ...options.env },
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
  const ready = (): boolean =>
    LISTENING.test(out) &&
    out.includes('SIGHUP reloads') &&
    (options.withAdmin !== true || ADMIN.test(out)) &&
    (options.readyWhen?.(out) ?? true);
  await waitFor(ready, { timeoutMs: options.timeoutMs ?? 15_000 }).catch(() => {
    throw new Error(`junction did not start:\n${out}`);
  });
  return {
    child,
    output: () => out,
    lines: () =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    port: Number(LISTENING.exec(out)![1]),
    adminUrl: ADMIN.exec(out)?.[1],
    exited,
  };
}

/** Writes `text` to `name` in a new temporary directory, removed when the test ends. Returns its path. */
export async function tempConfigFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'junction-process-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}
