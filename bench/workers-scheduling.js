#!/usr/bin/env node
// cluster's two scheduling policies for Junction's workers, side by side: `none` (every worker accepts
// on the shared socket; the kernel picks) and `rr` (the primary accepts and deals connections round
// robin over IPC). Two load shapes: keep-alive connections with one request in flight each, and a new
// connection per request. For each: requests/s, how the requests spread over the workers (a plugin
// stamps the worker's pid on every response), and CPU per request of the primary and of the workers
// (from /proc). Linux only (reads /proc, uses pgrep).
//
//   npm run build && node bench/workers-scheduling.js [--seconds 5] [--connections 32] [--workers 2]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TICKS_PER_SECOND, cpuTicks } from './support/processes.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    workers: { type: 'string', default: '2' },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const WORKERS = Number(values.workers);
const BIN = new URL('../bin/junction.js', import.meta.url).pathname;
const TICK_US = 1e6 / TICKS_PER_SECOND; // /proc times are in clock ticks (USER_HZ)

const PLUGIN = `export default {
  name: 'worker-pid',
  setup(api) {
    const pid = String(process.pid);
    api.hook('send-response', (txn) => txn.response?.headers.set('x-worker-pid', pid));
  },
};
`;

async function startBackend() {
  const body = Buffer.alloc(64, 'x');
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => (server.close(), server.closeAllConnections()) };
}

async function startJunction(dir, policy) {
  const child = spawn(
    process.execPath,
    [BIN, 'run', '-c', join(dir, 'junction.yaml'), '--workers', String(WORKERS)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, JUNCTION_WORKER_SCHEDULING: policy, JUNCTION_LOG_LEVEL: 'info' },
    },
  );
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const deadline = Date.now() + 30_000;
  while (!out.includes('workers serving')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`junction did not start:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)[1]);
  const workers = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map(Number);
  return {
    port,
    primary: child.pid,
    workers,
    stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
  };
}

const PID = /x-worker-pid: (\d+)\r\n/i;

/** Keep-alive: CONNECTIONS sockets, one request in flight each, for SECONDS. */
function keepAliveLoad(port, perWorker) {
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: bench.test\r\n\r\n');
  let completed = 0;
  let stopped = false;
  const sockets = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let pending = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      pending += chunk;
      for (;;) {
        const headEnd = pending.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(pending.slice(0, headEnd))?.[1] ?? 0);
        if (pending.length < headEnd + 4 + length) return;
        const pid = PID.exec(pending.slice(0, headEnd + 2))?.[1] ?? '?';
        perWorker.set(pid, (perWorker.get(pid) ?? 0) + 1);
        pending = pending.slice(headEnd + 4 + length);
        completed++;
        if (!stopped) socket.write(request);
      }
    });
    socket.on('error', () => undefined);
    socket.on('connect', () => socket.write(request));
  }
  return {
    get completed() {
      return completed;
    },
    stop: () => {
      stopped = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** A new connection per request: CONNECTIONS loops of connect, request, read to the close. */
function connectionPerRequestLoad(port, perWorker) {
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n');
  let completed = 0;
  let stopped = false;
  const once = () =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('latin1');
      socket.on('connect', () => socket.write(request));
      socket.on('data', (chunk) => (text += chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        const pid = PID.exec(text)?.[1];
        if (pid !== undefined) {
          perWorker.set(pid, (perWorker.get(pid) ?? 0) + 1);
          completed++;
        }
        resolve();
      });
    });
  const loops = Array.from({ length: CONNECTIONS }, async () => {
    while (!stopped) await once();
  });
  return {
    get completed() {
      return completed;
    },
    stop: () => {
      stopped = true;
      return Promise.all(loops);
    },
  };
}

async function measure(policy, shape, backendPort, dir) {
  writeFileSync(
    join(dir, 'junction.yaml'),
    `listeners: [{ address: 127.0.0.1, port: 0 }]\nplugins: [./worker-pid.mjs]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: ['127.0.0.1:${backendPort}'] }\n`,
  );
  const junction = await startJunction(dir, policy);
  const perWorker = new Map();
  const load =
    shape === 'keep-alive'
      ? keepAliveLoad(junction.port, perWorker)
      : connectionPerRequestLoad(junction.port, perWorker);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // warm-up
  perWorker.clear();
  const startCount = load.completed;
  const cpuBefore = [junction.primary, ...junction.workers].map(cpuTicks);
  const started = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = [junction.primary, ...junction.workers].map(cpuTicks);
  const requests = load.completed - startCount;
  await load.stop();
  await junction.stop();
  const cpu = cpuAfter.map((after, i) => (after - cpuBefore[i]) * TICK_US);
  const shares = junction.workers.map((pid) => perWorker.get(String(pid)) ?? 0);
  const total = shares.reduce((a, b) => a + b, 0);
  return {
    policy,
    shape,
    rps: Math.round(requests / elapsed),
    share: shares.map((n) => `${((100 * n) / Math.max(1, total)).toFixed(1)}%`).join(' / '),
    primaryUsPerReq: (cpu[0] / Math.max(1, requests)).toFixed(1),
    workersUsPerReq: (cpu.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, requests)).toFixed(1),
  };
}

const backend = await startBackend();
const dir = mkdtempSync(join(tmpdir(), 'junction-sched-'));
writeFileSync(join(dir, 'worker-pid.mjs'), PLUGIN);
const rows = [];
try {
  for (const shape of ['keep-alive', 'connection-per-request']) {
    for (const policy of ['none', 'rr']) rows.push(await measure(policy, shape, backend.port, dir));
  }
} finally {
  backend.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${WORKERS} workers, ${CONNECTIONS} connections, ${SECONDS} s per run (after a 1 s warm-up)`);
console.table(rows);
