// Passive health under two failures that must not take a service down, measured over real sockets
// on 127.0.0.1. Starts its own backends and a Junction (the built dist/ of --root, default this
// checkout), drives it with keep-alive clients, and prints what the clients got and who served them.
//
//   node bench/health/scenarios.js hung   [--root DIR] [--seconds 15] [--clients 64]
//   node bench/health/scenarios.js poison [--root DIR] [--seconds 15] [--clients 8]
//
// hung:   three backends, one of which accepts connections and never answers; backend_response 3s,
//         passive health defaults, round robin. 64 clients send requests back to back.
// poison: one backend that drops the connection on GET /bad and answers everything else; clients
//         send GET /ok every 200 ms each, and one more client sends GET /bad once a second.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../support/processes.js';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const [scenario, ...rest] = argv;
  const options = { scenario, root: resolve(here, '..', '..'), seconds: 15, clients: undefined };
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (flag === '--root') options.root = resolve(value);
    else if (flag === '--seconds') options.seconds = Number(value);
    else if (flag === '--clients') options.clients = Number(value);
    else throw new Error(`unknown option ${flag}`);
  }
  if (scenario !== 'hung' && scenario !== 'poison') {
    throw new Error('usage: scenarios.js hung|poison [--root DIR] [--seconds N] [--clients N]');
  }
  return options;
}

function listen(server) {
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server.address().port)));
}

/** A node:http backend that answers every request with its name, counting them. */
async function answering(name, onRequest) {
  const backend = { name, served: 0 };
  const server = http.createServer((req, res) => {
    if (onRequest?.(req, res) === true) return;
    backend.served++;
    res.end(name);
  });
  server.keepAliveTimeout = 60_000;
  backend.port = await listen(server);
  backend.close = () => {
    server.closeAllConnections();
    server.close();
  };
  return backend;
}

/** Accepts connections, reads requests, never answers. Counts the request heads it received. */
async function hung(name) {
  const backend = { name, served: 0 };
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      backend.served += chunk.toString('latin1').split('\r\n\r\n').length - 1;
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  backend.port = await listen(server);
  backend.close = () => {
    for (const socket of sockets) socket.destroy();
    server.close();
  };
  return backend;
}

async function startJunction(root, yaml) {
  const dir = mkdtempSync(join(tmpdir(), 'junction-health-'));
  const file = join(dir, 'junction.yaml');
  writeFileSync(file, yaml);
  const child = spawn(process.execPath, [join(root, 'bin', 'junction.js'), 'run', '-c', file], {
    env: { ...process.env, JUNCTION_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const junction = { child, ejections: 0, spared: 0 };
  let pending = '';
  const onLog = (chunk) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) {
      if (line.includes(' ejected: ')) junction.ejections++;
      if (line.includes(' not ejected')) junction.spared++;
    }
  };
  child.stdout.on('data', onLog);
  child.stderr.on('data', onLog);
  junction.stop = async () => {
    child.kill('SIGTERM');
    await new Promise((done) => child.once('exit', done));
    rmSync(dir, { recursive: true, force: true });
  };
  return junction;
}

function get(agent, port, path) {
  return new Promise((done) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.once('end', () => done(res.statusCode));
      res.once('error', () => done(0));
    });
    req.once('error', () => done(0));
  });
}

/** Counts by status, and a timeline of 2xx answers in 100 ms slices. */
class Tally {
  statuses = new Map();
  slices = [];
  #start = performance.now();

  record(status) {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (status < 200 || status > 299) return;
    const slice = Math.floor((performance.now() - this.#start) / 100);
    while (this.slices.length <= slice) this.slices.push(0);
    this.slices[slice]++;
  }

  /** The longest run of 100 ms slices without a single 2xx answer from `fromSeconds` on, in seconds. */
  longestStall(seconds, fromSeconds = 0) {
    let longest = 0;
    let run = 0;
    for (let i = fromSeconds * 10; i < seconds * 10; i++) {
      run = (this.slices[i] ?? 0) === 0 ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    return longest / 10;
  }

  get byStatus() {
    return Object.fromEntries([...this.statuses].sort(([a], [b]) => a - b));
  }
}

async function runHung(options) {
  const a = await answering('a');
  const b = await answering('b');
  const h = await hung('hung');
  const port = await freePort();
  const junction = await startJunction(
    options.root,
    `listeners: [{ address: 127.0.0.1, port: ${port} }]
timeouts: { backend_response: 3s }
routes: [{ cluster: c }]
clusters:
  c:
    strategy: round-robin
    backends: ["127.0.0.1:${a.port}", "127.0.0.1:${b.port}", "127.0.0.1:${h.port}"]
`,
  );
  try {
    await waitForPort(port);
    const clients = options.clients ?? 64;
    const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
    const tally = new Tally();
    const end = performance.now() + options.seconds * 1000;
    await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        while (performance.now() < end) tally.record(await get(agent, port, `/c${i}`));
      }),
    );
    agent.destroy();
    return {
      scenario: 'hung',
      clients,
      seconds: options.seconds,
      statuses: tally.byStatus,
      served: { a: a.served, b: b.served, hung: h.served },
      longestStallSeconds: tally.longestStall(options.seconds),
      // The first backend_response is unavoidable: nothing is known of the hung backend before it.
      longestStallAfter3sSeconds: tally.longestStall(options.seconds, 3),
      ejections: junction.ejections,
    };
  } finally {
    await junction.stop();
    a.close();
    b.close();
    h.close();
  }
}

async function runPoison(options) {
  let dropped = 0;
  const backend = await answering('only', (req) => {
    if (req.url !== '/bad') return false;
    dropped++;
    req.socket.destroy();
    return true;
  });
  const port = await freePort();
  const junction = await startJunction(
    options.root,
    `listeners: [{ address: 127.0.0.1, port: ${port} }]
routes: [{ cluster: c }]
clusters:
  c: { backends: ["127.0.0.1:${backend.port}"] }
`,
  );
  try {
    await waitForPort(port);
    const clients = options.clients ?? 8;
    const agent = new http.Agent({ keepAlive: true, maxSockets: clients + 1 });
    const good = new Tally();
    const bad = new Tally();
    const end = performance.now() + options.seconds * 1000;
    const pace = (ms) => new Promise((done) => setTimeout(done, ms));
    await Promise.all([
      ...Array.from({ length: clients }, async (_, i) => {
        await pace(i * (200 / clients));
        while (performance.now() < end) {
          good.record(await get(agent, port, `/ok/${i}`));
          await pace(200);
        }
      }),
      (async () => {
        while (performance.now() < end) {
          bad.record(await get(agent, port, '/bad'));
          await pace(1000);
        }
      })(),
    ]);
    agent.destroy();
    return {
      scenario: 'poison',
      clients,
      seconds: options.seconds,
      goodStatuses: good.byStatus,
      badStatuses: bad.byStatus,
      backendServed: backend.served,
      backendDropped: dropped,
      ejections: junction.ejections,
    };
  } finally {
    await junction.stop();
    backend.close();
  }
}

const options = parseArgs(process.argv.slice(2));
const result = options.scenario === 'hung' ? await runHung(options) : await runPoison(options);
console.log(JSON.stringify(result));
