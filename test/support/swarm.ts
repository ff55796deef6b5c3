import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './wait-for.ts';

/** What the swarm process reports about its connections. */
export interface SwarmStatus {
  readonly open: number;
  readonly closed: number;
  readonly failed: number;
  readonly bytesReceived: number;
}

/** Many client connections held by a child process (see connection-swarm.js). */
export interface Swarm {
  /** Resolves when every connection has been opened or has failed. */
  readonly ready: Promise<{ open: number; failed: number }>;
  status(): Promise<SwarmStatus>;
  close(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./connection-swarm.js', import.meta.url));

/**
 * Opens `count` connections to 127.0.0.1:`port` from a child process. `idle` connections send nothing;
 * `slowloris` ones send a request head one byte every `intervalMs`, never finishing it.
 */
export function startSwarm(port: number, count: number, mode: 'idle' | 'slowloris', intervalMs = 200): Swarm {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [SCRIPT, String(port), String(count), mode, String(intervalMs)],
    { stdio: 'pipe' },
  );
  const waiting: ((line: Record<string, number | string>) => void)[] = [];
  let onReady: (value: { open: number; failed: number }) => void = () => undefined;
  const ready = new Promise<{ open: number; failed: number }>((resolve) => {
    onReady = resolve;
  });
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, number | string>;
    if (line['event'] === 'ready') onReady({ open: Number(line['open']), failed: Number(line['failed']) });
    else waiting.shift()?.(line);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  return {
    ready: withTimeout(ready, 30_000, `${count} swarm connections to open`),
    status() {
      const answer = new Promise<SwarmStatus>((resolve) => {
        waiting.push((line) => {
          resolve({
            open: Number(line['open']),
            closed: Number(line['closed']),
            failed: Number(line['failed']),
            bytesReceived: Number(line['bytesReceived']),
          });
        });
      });
      child.stdin.write('status\n');
      return withTimeout(answer, 5_000, 'the swarm status');
    },
    async close() {
      if (child.exitCode === null) {
        child.stdin.write('exit\n');
        await withTimeout(exited, 5_000, 'the swarm to exit').catch(() => child.kill('SIGKILL'));
      }
    },
  };
}
