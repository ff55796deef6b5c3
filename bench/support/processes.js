// What the benchmark scripts share about the processes they start: a free port to give one, waiting
// until it listens, and its CPU time from /proc/<pid>/stat (Linux). Run directly, prints a free port
// (for the shell scripts: `port="$(node bench/support/processes.js)"`).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { pathToFileURL } from 'node:url';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
export const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** A port on 127.0.0.1 nothing listens on now (the kernel's choice; free until someone takes it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once a TCP connection to 127.0.0.1:port succeeds; rejects after `timeoutMs`. */
export async function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name, which may hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** utime + stime of a process in µs; NaN once it is gone. */
export function cpuMicros(pid) {
  try {
    return (cpuTicks(pid) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await freePort());
}
