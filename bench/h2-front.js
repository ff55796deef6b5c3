// What serving clients over HTTP/2 costs: h2load against Junction with an h2c listener (HTTP/2 and, on
// the same listener, HTTP/1.1) and against nginx with `listen ... http2` (h2c), both proxying to the
// same nginx backend serving a 1 KiB body over keep-alive. Rounds alternate between the subjects.
// Reports requests per second and the proxy's CPU time per request from /proc/<pid>/stat (utime +
// stime over the measured run; nginx: its one worker), so neither the backend nor h2load is counted.
// Run: npm run build && node bench/h2-front.js [REQUESTS] [ROUNDS] [CONNECTIONS] [STREAMS]
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TICKS_PER_SECOND, cpuTicks, freePort, waitForPort } from './support/processes.js';

const requests = Number(process.argv[2] ?? 50_000);
const rounds = Number(process.argv[3] ?? 3);
const connections = Number(process.argv[4] ?? 64);
const streams = Number(process.argv[5] ?? 10);

/** nginx's worker: the child of the master whose pid the pid file holds. */
function nginxWorker(pidFile) {
  const master = readFileSync(pidFile, 'utf8').trim();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
      if (ppid === master) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  throw new Error('no nginx worker found');
}

const dir = mkdtempSync(join(tmpdir(), 'junction-h2-front-'));
// nginx's workers run as an unprivileged user: they must be able to read the body file.
chmodSync(dir, 0o755);
const children = [];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  stop();
  process.exit(130);
});

const backendPort = await freePort();
const nginxPort = await freePort();
const junctionPort = await freePort();
writeFileSync(join(dir, 'body'), 'x'.repeat(1024));
writeFileSync(
  join(dir, 'backend.conf'),
  `daemon off; worker_processes 1; pid ${dir}/backend.pid; error_log ${dir}/backend-error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:${backendPort}; location / { root ${dir}; try_files /body =404; } } }\n`,
);
writeFileSync(
  join(dir, 'proxy.conf'),
  `daemon off; worker_processes 1; pid ${dir}/proxy.pid; error_log ${dir}/proxy-error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; http2_max_concurrent_streams 128;
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; }
  server { listen 127.0.0.1:${nginxPort} http2;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }\n`,
);
writeFileSync(
  join(dir, 'junction.yaml'),
  `listeners: [{ address: 127.0.0.1, port: ${junctionPort}, h2c: true }]\nroutes: [{ cluster: backend }]\n` +
    `clusters: { backend: { backends: ["127.0.0.1:${backendPort}"] } }\n`,
);
children.push(spawn('nginx', ['-c', join(dir, 'backend.conf'), '-p', dir], { stdio: 'ignore' }));
children.push(spawn('nginx', ['-c', join(dir, 'proxy.conf'), '-p', dir], { stdio: 'ignore' }));
const junction = spawn('node', ['bin/junction.js', 'run', '-c', join(dir, 'junction.yaml')], {
  stdio: 'ignore',
  env: { ...process.env, JUNCTION_LOG_LEVEL: 'warn' },
});
children.push(junction);

const SUBJECTS = [
  { name: 'Junction, HTTP/2 (h2c)', port: junctionPort, args: [], pid: () => junction.pid },
  { name: 'Junction, HTTP/1.1', port: junctionPort, args: ['--h1'], pid: () => junction.pid },
  { name: 'nginx, HTTP/2 (h2c)', port: nginxPort, args: [], pid: () => nginxWorker(join(dir, 'proxy.pid')) },
];
const results = new Map(SUBJECTS.map((s) => [s.name, []]));
try {
  await waitForPort(backendPort);
  await waitForPort(junctionPort);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const h2load = (subject, count) =>
    execFileSync('h2load', [
      ...subject.args,
      '-n',
      String(count),
      '-c',
      String(connections),
      '-m',
      String(streams),
      `http://127.0.0.1:${subject.port}/bench`,
    ]).toString();
  for (const subject of SUBJECTS) h2load(subject, Math.min(requests, 10_000)); // warm-up (JIT, pools)
  for (let round = 0; round < rounds; round++) {
    for (const subject of SUBJECTS) {
      const pid = subject.pid();
      const before = cpuTicks(pid);
      const out = h2load(subject, requests);
      const after = cpuTicks(pid);
      if (process.env.H2_FRONT_DEBUG) console.log(out);
      const ok = Number(/(\d+) succeeded/.exec(out)[1]);
      const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)[1]);
      const cpuUs = ((after - before) / TICKS_PER_SECOND) * 1e6;
      results.get(subject.name).push({ usPerReq: cpuUs / ok, rps, failed: requests - ok });
    }
  }
} finally {
  stop();
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `subject | CPU µs/req median [min-max] | req/s median | failed   (${rounds} rounds of ${requests} requests, ${connections} connections x ${streams} streams)`,
);
for (const [name, runs] of results) {
  const us = runs.map((r) => r.usPerReq);
  console.log(
    `${name} | ${median(us).toFixed(1)} [${Math.min(...us).toFixed(1)}-${Math.max(...us).toFixed(1)}] | ${Math.round(median(runs.map((r) => r.rps)))} | ${runs.reduce((sum, r) => sum + r.failed, 0)}`,
  );
}
