// What rules cost per request: Junction (built dist/, bin/junction.js in a child process) proxies
// keep-alive GETs of a 1 KiB body from nginx, with 0, 10 and 100 top-level rules (each a `with:` on the
// path whose one case, `prefix: "rule-<i>/"`, never matches the path requested: the common case), in
// alternating rounds. The load is wrk's. Reports requests per second and Junction's CPU time per request
// from /proc/<pid>/stat (utime + stime over the measured window), so neither nginx nor wrk is counted.
// Run: npm run build && node bench/rules-cost.js [SECONDS_PER_ROUND] [ROUNDS] [CONNECTIONS]
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TICKS_PER_SECOND, cpuTicks, freePort, waitForPort } from './support/processes.js';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const connections = Number(process.argv[4] ?? 64);
const COUNTS = [0, 10, 100];

function rulesYaml(count) {
  if (count === 0) return '';
  let yaml = 'rules:\n';
  for (let i = 1; i <= count; i++) {
    yaml += `  - when: ua-req\n    do:\n      - with: ua-req-path\n        select:\n`;
    yaml += `          - prefix: "rule-${i}/"\n            do:\n              - ua-req-field<X-Rule>: "rule-${i}"\n`;
  }
  return yaml;
}

const dir = mkdtempSync(join(tmpdir(), 'junction-rules-cost-'));
// nginx's workers run as an unprivileged user: they must be able to read the body file.
chmodSync(dir, 0o755);
const backendPort = await freePort();
writeFileSync(join(dir, 'body'), 'x'.repeat(1024));
writeFileSync(
  join(dir, 'nginx.conf'),
  `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:${backendPort}; location / { root ${dir}; try_files /body =404; } } }\n`,
);
const nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
const children = [nginx];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  stop();
  process.exit(130);
});

const results = new Map(COUNTS.map((count) => [count, []]));
try {
  await waitForPort(backendPort);
  for (let round = 0; round < rounds; round++) {
    for (const count of COUNTS) {
      const port = await freePort();
      const config = join(dir, `junction-${count}.yaml`);
      writeFileSync(
        config,
        `listeners: [{ address: 127.0.0.1, port: ${port} }]\nroutes: [{ cluster: backend }]\n` +
          `clusters: { backend: { backends: ["127.0.0.1:${backendPort}"] } }\n${rulesYaml(count)}`,
      );
      const junction = spawn('node', ['bin/junction.js', 'run', '-c', config], {
        stdio: 'ignore',
        env: { ...process.env, JUNCTION_LOG_LEVEL: 'warn' },
      });
      children.push(junction);
      await waitForPort(port);
      // Warm up (JIT, pool), then measure one window.
      execFileSync('wrk', ['-t1', `-c${connections}`, '-d2s', `http://127.0.0.1:${port}/bench`]);
      const before = cpuTicks(junction.pid);
      const out = execFileSync('wrk', [
        '-t1',
        `-c${connections}`,
        `-d${seconds}s`,
        `http://127.0.0.1:${port}/bench`,
      ]).toString();
      const after = cpuTicks(junction.pid);
      // A 403 or 404 from the backend would measure an error path, not the proxying of a body.
      if (/Non-2xx/.test(out)) throw new Error(`the backend answered errors:\n${out}`);
      const requests = Number(/(\d+) requests in/.exec(out)[1]);
      const cpuUs = ((after - before) / TICKS_PER_SECOND) * 1e6;
      results.get(count).push({ usPerReq: cpuUs / requests, rps: requests / seconds });
      junction.kill('SIGTERM');
      await new Promise((resolve) => junction.once('exit', resolve));
      children.pop();
    }
  }
} finally {
  stop();
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `rules | CPU µs/req median [min-max] | req/s median   (${rounds} rounds of ${seconds} s, ${connections} connections)`,
);
for (const [count, runs] of results) {
  const us = runs.map((r) => r.usPerReq);
  console.log(
    `${String(count).padStart(5)} | ${median(us).toFixed(1)} [${Math.min(...us).toFixed(1)}-${Math.max(...us).toFixed(1)}] | ${Math.round(median(runs.map((r) => r.rps)))}`,
  );
}
