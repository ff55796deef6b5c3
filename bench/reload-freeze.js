// How long a reload stalls traffic, against the config's size. For each size N it writes a config of
// N routes (each with a host and a path prefix, over 100 clusters), starts `junction run` on it, keeps
// a stream of requests going (keep-alive, a few in flight), changes the config (every route renamed,
// so the whole table is new) and sends SIGHUP. It reports the reload's duration (SIGHUP to the
// "reloaded" log line), the longest gap between two answers during the reload window, and the same
// before it (the baseline), plus the process's peak RSS.
//
//   npm run build --silent && node bench/reload-freeze.js [--sizes 1000,4400,17000] [--bin bin/junction.js]
//
// --bin runs another build (e.g. an older checkout's bin/junction.js, built) for a before/after;
// --node-args '--cpu-prof --cpu-prof-dir=DIR' profiles Junction's process.
// The backend runs in this process (it answers at once); Junction runs in its own process.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './support/processes.js';

const here = fileURLToPath(new URL('.', import.meta.url));

function option(flag, fallback) {
  const i = process.argv.indexOf(flag);
  return i < 0 ? fallback : process.argv[i + 1];
}

const sizes = option('--sizes', '1000,4400,17000').split(',').map(Number);
const bin = resolve(option('--bin', join(here, '..', 'bin', 'junction.js')));
/** Extra node flags for Junction's process, e.g. --node-args=--cpu-prof to profile it. */
const nodeArgs = option('--node-args', '')
  .split(' ')
  .filter((arg) => arg !== '');
const IN_FLIGHT = 4;

function configText(routes, port, backendPort, variant) {
  const lines = ['listeners:', `  - { name: main, address: 127.0.0.1, port: ${port} }`, 'routes:'];
  for (let i = 0; i < routes; i++) {
    lines.push(
      `  - name: r${i}-v${variant}`,
      `    match: { host: h${i}.example.com, path: { prefix: /p${i}/ } }`,
      `    cluster: c${i % 100}`,
    );
  }
  lines.push(`  - name: default-v${variant}`, '    cluster: c0', 'clusters:');
  for (let c = 0; c < 100; c++) lines.push(`  c${c}:`, `    backends: ['127.0.0.1:${backendPort}']`);
  return `${lines.join('\n')}\n`;
}

function peakRssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    return Math.round(kb / 1024);
  } catch {
    return NaN;
  }
}

async function measure(routes, backendPort) {
  const dir = mkdtempSync(join(tmpdir(), 'junction-reload-bench-'));
  const file = join(dir, 'junction.yaml');
  const port = await freePort();
  writeFileSync(file, configText(routes, port, backendPort, 1));
  const child = spawn(process.execPath, [...nodeArgs, bin, 'run', '-c', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = [];
  child.stdout.on('data', (chunk) => {
    output += chunk;
    for (const waiter of [...waiters]) waiter();
  });
  child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  const waitFor = (pattern, from, timeoutMs) =>
    new Promise((resolveWait, reject) => {
      const check = () => {
        if (pattern.test(output.slice(from))) {
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(timer);
          resolveWait(performance.now());
        }
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}`)), timeoutMs);
      waiters.push(check);
      check();
    });
  try {
    await waitFor(/SIGHUP reloads/, 0, 600_000);

    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const answers = [];
    let failures = 0;
    let running = true;
    const one = () =>
      new Promise((done) => {
        const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            answers.push(performance.now());
            done();
          });
        });
        req.on('error', () => {
          failures++;
          done();
        });
        req.end();
      });
    const loops = Array.from({ length: IN_FLIGHT }, async () => {
      while (running) await one();
    });
    const gapIn = (from, to) => {
      let max = 0;
      let last = from;
      for (const at of answers) {
        if (at < from || at > to) continue;
        max = Math.max(max, at - last);
        last = at;
      }
      return Math.max(max, to - last);
    };

    await new Promise((r) => setTimeout(r, 1_000));
    const baselineFrom = performance.now();
    await new Promise((r) => setTimeout(r, 1_000));
    const baseline = gapIn(baselineFrom, performance.now());

    writeFileSync(file, configText(routes, port, backendPort, 2));
    const mark = output.length;
    const sighup = performance.now();
    child.kill('SIGHUP');
    const applied = await waitFor(/reloaded .* \(SIGHUP\)|reload (refused|failed)/, mark, 600_000);
    await new Promise((r) => setTimeout(r, 300));
    const windowEnd = performance.now();
    const gap = gapIn(sighup, windowEnd);
    const answered = answers.filter((at) => at > sighup && at < applied).length;
    running = false;
    await Promise.all(loops);
    agent.destroy();
    const refused = /reload (refused|failed)/.test(output.slice(mark));
    return {
      routes,
      bytes: readFileSync(file).length,
      reloadMs: Math.round(applied - sighup),
      maxGapMs: Math.round(gap),
      baselineGapMs: Math.round(baseline),
      answeredDuringReload: answered,
      failures,
      peakRssMb: peakRssMb(child.pid),
      refused,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const backend = createServer((_req, res) => res.end('ok'));
await new Promise((r) => backend.listen(0, '127.0.0.1', r));
const backendPort = backend.address().port;
console.log(`junction: ${bin}`);
console.log('routes   config   reload   max gap   baseline gap   answered during   failed   peak RSS');
for (const routes of sizes) {
  const r = await measure(routes, backendPort);
  console.log(
    `${String(r.routes).padStart(6)}  ${`${(r.bytes / 1024 / 1024).toFixed(1)} MB`.padStart(7)}  ${`${r.reloadMs} ms`.padStart(7)}  ${`${r.maxGapMs} ms`.padStart(8)}  ${`${r.baselineGapMs} ms`.padStart(13)}  ${String(r.answeredDuringReload).padStart(16)}  ${String(r.failures).padStart(7)}  ${`${r.peakRssMb} MB`.padStart(9)}${r.refused ? '  (reload refused)' : ''}`,
  );
}
backend.close();
