// What the access log costs per request: Junction (built dist/, in a child process) proxies keep-alive
// GETs to a backend in this process, with the access log off, then on (JSON to a file), then on with a
// template, in alternating rounds. Reports requests per second and the child's CPU time per request
// (process.cpuUsage over the measured window), so the load generator's own CPU is not counted.
// Run: npm run build && node bench/access-log.js [SECONDS_PER_ROUND] [CONNECTIONS] [ROUNDS]
import { fork } from 'node:child_process';
import { loadChild, startBackend } from './support/keep-alive-load.js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BODY_LENGTH = 256;

if (process.argv[2] === '--serve') {
  const { loadConfigText } = await import('../dist/config/index.js');
  const { startJunction } = await import('../dist/server/index.js');
  const [, , , backend, accessLogYaml] = process.argv;
  const yaml =
    `listeners: [{ name: main, address: 127.0.0.1, port: 0 }]\n${accessLogYaml}\n` +
    `routes: [{ name: main, cluster: app }]\nclusters:\n  app: { backends: ["${backend}"] }\n`;
  const server = await startJunction(await loadConfigText(yaml, '<bench>'));
  process.on('message', async (message) => {
    if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
    if (message === 'stop') {
      await server.close(0);
      process.exit(0);
    }
  });
  process.send({ port: server.listeners[0].port });
} else {
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 32);
  const rounds = Number(process.argv[4] ?? 2);
  const dir = mkdtempSync(join(tmpdir(), 'junction-bench-'));
  const backend = await startBackend(BODY_LENGTH);
  const backendAddress = backend.address;
  const modes = {
    off: '',
    json: `access_log: { path: ${join(dir, 'access.json.log')} }`,
    template: `access_log: { path: ${join(dir, 'access.tpl.log')}, format: '{client} {request-id} "{method} {path}" {status} {bytes-sent} {duration-ms}' }`,
  };
  const results = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [mode, yaml] of Object.entries(modes)) results[mode].push(await measure(yaml));
  }
  for (const [mode, runs] of Object.entries(results)) {
    const rps = runs.map((r) => r.rps.toFixed(0)).join(', ');
    const cpu = runs.map((r) => r.cpuUsPerRequest.toFixed(1)).join(', ');
    console.log(`${mode.padEnd(8)} req/s: ${rps}   Junction CPU µs/request: ${cpu}`);
  }
  for (const name of ['access.json.log', 'access.tpl.log']) {
    try {
      console.log(`${name}: ${(statSync(join(dir, name)).size / 1024 / 1024).toFixed(1)} MiB written`);
    } catch {
      // not written
    }
  }
  rmSync(dir, { recursive: true, force: true });
  backend.close();

  async function measure(accessLogYaml) {
    const child = fork(new URL(import.meta.url).pathname, ['--serve', backendAddress, accessLogYaml]);
    const result = await loadChild(child, { connections, seconds, bodyLength: BODY_LENGTH });
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
    return result;
  }
}
