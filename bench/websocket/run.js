// WebSocket messages per second through Junction, against a direct connection to the same `ws` echo
// backend. A few connections each keep a window of small messages in flight (pipelined): every echo
// received sends the next message. Prints messages/s and µs per message for both, the ratio, and
// Junction's own CPU time per message (from /proc, Linux only).
//
//   npm run build --silent && node bench/websocket/run.js [-d 10] [-c 4] [-w 32] [-s 32]
//
// -d seconds measured (after a warm-up of a quarter of it, at most 2 s), -c connections, -w messages in
// flight per connection, -s message size in bytes. The backend and Junction run in their own processes;
// this process is the client. Needs a built dist/.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { cpuMicros, freePort, waitForPort } from '../support/processes.js';

const here = fileURLToPath(new URL('.', import.meta.url));

if (process.argv[2] === '--backend') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  wss.on('listening', () => {
    process.stdout.write(`${JSON.stringify({ port: wss.address().port })}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else {
  await main();
}

function option(flag, fallback) {
  const i = process.argv.indexOf(flag);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} must be a positive number`);
  return value;
}

async function main() {
  const seconds = option('-d', 10);
  const connections = option('-c', 4);
  const window = option('-w', 32);
  const size = option('-s', 32);
  const warmup = Math.min(2, seconds / 4);

  const backend = spawn(process.execPath, [fileURLToPath(import.meta.url), '--backend'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const backendPort = await firstLine(backend.stdout).then((line) => JSON.parse(line).port);

  const dir = mkdtempSync(join(tmpdir(), 'junction-ws-bench-'));
  const port = await freePort();
  const config = join(dir, 'junction.yaml');
  writeFileSync(
    config,
    `listeners: [{ address: 127.0.0.1, port: ${port} }]
routes: [{ cluster: ws }]
clusters: { ws: { backends: ["127.0.0.1:${backendPort}"] } }
timeouts: { shutdown_grace: 1s }
`,
  );
  const junction = spawn(process.execPath, [join(here, '../../bin/junction.js'), 'run', '-c', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, JUNCTION_LOG_LEVEL: 'warn' },
  });
  try {
    await waitForPort(port);
    const settings = { seconds, warmup, connections, window, size };
    const direct = await measure(`ws://127.0.0.1:${backendPort}/`, settings, undefined);
    const proxied = await measure(`ws://127.0.0.1:${port}/`, settings, junction.pid);
    console.log(
      `WebSocket echo, ${connections} connections × ${window} messages in flight, ${size} B messages, ${seconds} s`,
    );
    console.log('path       messages/s   µs/message   Junction CPU µs/message');
    for (const [name, r] of [
      ['direct', direct],
      ['junction', proxied],
    ]) {
      const cpu = r.cpuUsPerMessage === undefined ? '—' : r.cpuUsPerMessage.toFixed(2);
      console.log(
        `${name.padEnd(8)} ${r.rate.toFixed(0).padStart(12)} ${(1e6 / r.rate).toFixed(2).padStart(12)} ${cpu.padStart(25)}`,
      );
    }
    console.log(`ratio (junction / direct messages/s): ${(proxied.rate / direct.rate).toFixed(3)}`);
  } finally {
    junction.kill('SIGTERM');
    backend.stdin.end();
    backend.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the load against `url`; returns echoed messages per second and, given a pid, its CPU µs/message. */
async function measure(url, { seconds, warmup, connections, window, size }, pid) {
  const payload = Buffer.alloc(size, 0x61);
  let counted = 0;
  let counting = false;
  let running = true;
  const sockets = await Promise.all(
    Array.from({ length: connections }, () => open(url, { perMessageDeflate: false })),
  );
  for (const ws of sockets) {
    ws.on('message', () => {
      if (counting) counted++;
      if (running) ws.send(payload, { binary: true });
    });
    for (let i = 0; i < window; i++) ws.send(payload, { binary: true });
  }
  await sleep(warmup * 1000);
  const cpuBefore = pid === undefined ? 0 : cpuMicros(pid);
  const start = process.hrtime.bigint();
  counting = true;
  await sleep(seconds * 1000);
  counting = false;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuAfter = pid === undefined ? 0 : cpuMicros(pid);
  running = false;
  await Promise.all(sockets.map((ws) => close(ws)));
  const result = { rate: counted / elapsed, cpuUsPerMessage: undefined };
  if (pid !== undefined && counted > 0) result.cpuUsPerMessage = (cpuAfter - cpuBefore) / counted;
  return result;
}

/** utime + stime of a process, in µs (Linux /proc; clock ticks are 100 Hz there). */
function open(url, options) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function close(ws) {
  return new Promise((resolve) => {
    ws.once('close', resolve);
    ws.on('error', () => undefined);
    ws.close(1000);
    setTimeout(() => {
      ws.terminate();
      resolve();
    }, 2000).unref();
  });
}

function firstLine(stream) {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end >= 0) resolve(text.slice(0, end));
    });
    stream.once('end', () => reject(new Error('the backend exited before listening')));
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
