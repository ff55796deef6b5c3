// Memory per idle client connection, as the operating system sees it: Junction's resident set size
// (RSS) before and after a swarm of connections that connect and send nothing. RSS counts everything
// the process holds for them (V8 heap, buffers, libuv and kernel-facing allocations, allocator slack),
// so it is the figure to size a host by; a heap snapshot alone reads lower.
//
//   npm run build --silent && node bench/idle-connections.js [-n 10000] [-r 3]
//
// -n connections per round, -r rounds (each with a fresh Junction process). Junction runs in its own
// process (bin/junction.js, a built dist/), the connections are held by another (this script with
// --clients), and this one reads Junction's RSS from /proc (Linux only) and its session count from
// the admin API. Needs `ulimit -n` above -n in both processes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const KiB = 1024;
const MiB = 1024 * 1024;

if (process.argv[2] === '--clients') await holdConnections(Number(process.argv[3]), Number(process.argv[4]));
else await main();

function option(flag, fallback) {
  const i = process.argv.indexOf(flag);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag} must be a positive whole number`);
  return value;
}

async function main() {
  const count = option('-n', 10_000);
  const rounds = option('-r', 3);
  const results = [];
  for (let round = 1; round <= rounds; round++) {
    const r = await measureRound(count);
    results.push(r);
    console.log(
      `round ${round}: baseline RSS ${(r.before / MiB).toFixed(1)} MiB, with ${count} idle connections ` +
        `${(r.after / MiB).toFixed(1)} MiB: ${(r.perConnection / KiB).toFixed(2)} KiB per connection`,
    );
  }
  const per = results.map((r) => r.perConnection / KiB).sort((a, b) => a - b);
  console.log(
    `${count} idle connections, ${rounds} rounds, Node ${process.version}: RSS per connection ` +
      `${per[0].toFixed(2)}-${per[per.length - 1].toFixed(2)} KiB (median ${per[Math.floor(per.length / 2)].toFixed(2)} KiB)`,
  );
}

async function measureRound(count) {
  const dir = mkdtempSync(join(tmpdir(), 'junction-idle-bench-'));
  const config = join(dir, 'junction.yaml');
  // The backend is never contacted: no request is ever sent. client_head is long enough that no
  // connection is closed while it is measured.
  writeFileSync(
    config,
    `listeners: [{ address: 127.0.0.1, port: 0, max_connections: ${count + 1000} }]
routes: [{ cluster: app }]
clusters: { app: { backends: ["127.0.0.1:9"] } }
timeouts: { client_head: 10m, shutdown_grace: 1s }
admin: { address: 127.0.0.1, port: 0 }
`,
  );
  const junction = spawn(process.execPath, [join(here, '../bin/junction.js'), 'run', '-c', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, JUNCTION_LOG_LEVEL: 'info' },
  });
  const clients = [];
  try {
    const { port, admin } = await started(junction);
    const sessions = async () => (await (await fetch(`${admin}/status`)).json()).sessions;
    const until = async (condition, what) => {
      const deadline = Date.now() + 60_000;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(100);
      }
    };

    // Warm-up: the accept and session paths run (and are compiled) before the baseline is read.
    const warm = startClients(port, 200);
    clients.push(warm);
    await warm.ready;
    await until(async () => (await sessions()) === 200, '200 warm-up sessions');
    warm.close();
    await until(async () => (await sessions()) === 0, 'the warm-up sessions to close');
    const before = await settledRss(junction.pid);

    const swarm = startClients(port, count);
    clients.push(swarm);
    const opened = await swarm.ready;
    if (opened !== count) throw new Error(`only ${opened} of ${count} connections opened`);
    await until(async () => (await sessions()) === count, `${count} sessions`);
    const after = await settledRss(junction.pid);
    return { before, after, perConnection: (after - before) / count };
  } finally {
    for (const c of clients) c.close();
    junction.kill('SIGTERM');
    await new Promise((resolve) => junction.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Junction's listener port and admin URL, from its log lines. */
function started(junction) {
  return new Promise((resolve, reject) => {
    let port;
    let admin;
    const lines = createInterface({ input: junction.stdout });
    lines.on('line', (line) => {
      const msg = line.startsWith('{') ? JSON.parse(line).msg : '';
      port ??= /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(msg)?.[1];
      admin ??= /admin API on (http:\/\/\S+)/.exec(msg)?.[1];
      if (port !== undefined && admin !== undefined) resolve({ port: Number(port), admin });
    });
    junction.once('exit', (code) => reject(new Error(`junction exited (${code}) before listening`)));
  });
}

/** RSS in bytes once it has stopped moving (two readings 250 ms apart within 64 KiB). */
async function settledRss(pid) {
  let last = rss(pid);
  for (let i = 0; i < 40; i++) {
    await sleep(250);
    const now = rss(pid);
    if (Math.abs(now - last) < 64 * KiB) return now;
    last = now;
  }
  return last;
}

function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)[1]) * KiB;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `count` idle connections held by a child process (this script with --clients). */
function startClients(port, count) {
  const child = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), '--clients', String(port), String(count)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const ready = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line).open));
    child.once('exit', (code) => reject(new Error(`the client process exited (${code})`)));
  });
  return {
    ready,
    close() {
      child.stdin.end();
    },
  };
}

/** The --clients side: opens `count` connections in batches, says how many opened, holds them. */
async function holdConnections(port, count) {
  let open = 0;
  const openOne = () =>
    new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        open++;
        resolve();
      });
      socket.on('error', () => resolve());
    });
  for (let started = 0; started < count; started += 250) {
    const batch = [];
    for (let i = started; i < Math.min(count, started + 250); i++) batch.push(openOne());
    await Promise.all(batch);
  }
  process.stdout.write(`${JSON.stringify({ open })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}
