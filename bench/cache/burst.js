// Request collapsing under a burst: N concurrent requests for one cold key against a slow backend,
// Junction with `collapse: true` (the default) and `collapse: false`, each in its own process.
// Usage: node bench/cache/burst.js [-n concurrent] [-k keys] [-d backend delay ms] [-r runs]
// (builds nothing: run `npx tsc -p tsconfig.build.json` first). For each setting and run: the backend
// requests per burst, and Junction's CPU time per client request (utime+stime from /proc/PID/stat
// over the bursts, after a warm-up); prints the median [min–max] over the runs.
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    n: { type: 'string', short: 'n', default: '200' },
    k: { type: 'string', short: 'k', default: '10' },
    d: { type: 'string', short: 'd', default: '100' },
    r: { type: 'string', short: 'r', default: '3' },
  },
});
const [N, KEYS, DELAY, RUNS] = [values.n, values.k, values.d, values.r].map(Number);
const HZ = 100; // CLK_TCK on Linux

const listen = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

let backendRequests = 0;
const backend = http.createServer((req, res) => {
  backendRequests++;
  req.resume();
  setTimeout(() => {
    res.writeHead(200, { 'cache-control': 'max-age=600', 'content-type': 'text/plain' });
    res.end('x'.repeat(1024));
  }, DELAY);
});
const backendPort = await listen(backend);

function ticks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

async function freePort() {
  const server = http.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function get(agent, port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
  });
}

async function startJunction(collapse) {
  const dir = mkdtempSync(join(tmpdir(), 'junction-burst-'));
  const port = await freePort();
  const config = join(dir, 'junction.yaml');
  writeFileSync(
    config,
    `listeners: [{ address: 127.0.0.1, port: ${port} }]
access_log: false
cache: { memory_size: 64MiB }
routes: [{ cluster: app, cache: { collapse: ${collapse} } }]
clusters:
  app: { backends: ["127.0.0.1:${backendPort}"], pool: { max_total: 0 } }
`,
  );
  const child = spawn(process.execPath, [join(root, 'bin/junction.js'), 'run', '-c', config], {
    stdio: 'ignore',
    env: { ...process.env, JUNCTION_LOG_LEVEL: 'warn' },
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: N });
  for (let i = 0; i < 100; i++) {
    try {
      await get(agent, port, '/ready');
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    port,
    agent,
    pid: child.pid,
    async stop() {
      agent.destroy();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function burst(junction, key) {
  await Promise.all(Array.from({ length: N }, () => get(junction.agent, junction.port, key)));
}

async function measure(collapse, run) {
  const junction = await startJunction(collapse);
  try {
    // Warm-up: connections open, the JIT has seen the path.
    for (let i = 0; i < 3; i++) await burst(junction, `/warm/${run}/${i}`);
    const before = ticks(junction.pid);
    backendRequests = 0;
    for (let i = 0; i < KEYS; i++) await burst(junction, `/burst/${run}/${i}`);
    const cpu = ((ticks(junction.pid) - before) / HZ) * 1e6;
    return { perBurst: backendRequests / KEYS, usPerRequest: cpu / (N * KEYS) };
  } finally {
    await junction.stop();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const span = (xs, digits) =>
  `${median(xs).toFixed(digits)} [${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}]`;

console.log(
  `burst: ${N} concurrent requests per cold key, ${KEYS} keys, backend delay ${DELAY} ms, ${RUNS} runs`,
);
for (const collapse of [true, false]) {
  const results = [];
  for (let run = 0; run < RUNS; run++) results.push(await measure(collapse, `${collapse}-${run}`));
  console.log(
    `collapse: ${String(collapse).padEnd(5)}  backend requests per burst ${span(
      results.map((r) => r.perBurst),
      1,
    )}  CPU µs per request ${span(
      results.map((r) => r.usPerRequest),
      1,
    )}`,
  );
}
backend.close();
