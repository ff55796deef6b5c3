// What HTTP/2 to backends costs: wrk (HTTP/1.1 keep-alive clients) through Junction to a node:http2
// h2c backend, against the same through Junction to a node:http HTTP/1.1 backend. For each, Junction
// runs as its own process (built dist/); its CPU time (utime + stime from /proc/PID/stat) over the wrk
// run divided by the requests wrk completed is the CPU per request. Runs each protocol RUNS times
// (default 3) alternately and prints the medians. Linux only.
//
//   node bench/h2-upstream.js            (DURATION=10 CONNECTIONS=32 RUNS=3)
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createH1 } from 'node:http';
import { createServer as createH2 } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TICKS_PER_SECOND, cpuTicks, freePort } from './support/processes.js';

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const RUNS = Number(process.env.RUNS ?? 3);
// The backends live in this process: wrk and curl run asynchronously so they can answer.
const run = promisify(execFile);
const BODY = Buffer.from('hello from the backend\n');

const listen = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

const h1 = createH1((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
  res.end(BODY);
});
const h2 = createH2({ settings: { maxConcurrentStreams: 1000 } });
h2.on('stream', (stream) => {
  stream.resume();
  stream.respond({ ':status': 200, 'content-type': 'text/plain', 'content-length': BODY.length });
  stream.end(BODY);
});
const ports = { 'http/1.1': await listen(h1), h2c: await listen(h2) };

const dir = mkdtempSync(join(tmpdir(), 'junction-h2-bench-'));
async function once(protocol) {
  const config = join(dir, `${protocol.replace('/', '')}.yaml`);
  const port = await freePort();
  writeFileSync(
    config,
    `listeners: [{ address: 127.0.0.1, port: ${port} }]
routes: [{ cluster: app }]
clusters:
  app: { protocol: ${protocol}, backends: ['127.0.0.1:${ports[protocol]}'], pool: { max_idle: 256 } }
timeouts: { shutdown_grace: 1s }
`,
  );
  const child = spawn(process.execPath, ['bin/junction.js', 'run', '-c', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      await run('curl', ['-sf', '-o', '/dev/null', `http://127.0.0.1:${port}/`]);
      break;
    } catch {
      // not listening yet
    }
  }
  const before = cpuTicks(child.pid);
  const { stdout: out } = await run('wrk', [
    '-t2',
    `-c${CONNECTIONS}`,
    `-d${DURATION}s`,
    `http://127.0.0.1:${port}/`,
  ]);
  const after = cpuTicks(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  if (process.env.VERBOSE) console.error(out);
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
  const rps = requests / DURATION;
  const cpuUs = (((after - before) / TICKS_PER_SECOND) * 1e6) / requests;
  return { requests, errors: Number(errors), rps, cpuUs };
}

const results = { 'http/1.1': [], h2c: [] };
for (let i = 0; i < RUNS; i++) {
  for (const protocol of ['http/1.1', 'h2c']) results[protocol].push(await once(protocol));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [protocol, runs] of Object.entries(results)) {
  console.log(
    `${protocol.padEnd(8)} req/s ${runs.map((r) => r.rps.toFixed(0)).join(' ')} (median ${median(runs.map((r) => r.rps)).toFixed(0)}), ` +
      `CPU µs/req ${runs.map((r) => r.cpuUs.toFixed(1)).join(' ')} (median ${median(runs.map((r) => r.cpuUs)).toFixed(1)}), ` +
      `non-2xx ${runs.map((r) => r.errors).join(' ')}`,
  );
}
rmSync(dir, { recursive: true, force: true });
h1.close();
h2.close();
process.exit(0);
