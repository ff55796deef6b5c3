// What the access log costs per request: Junction (built dist/, in a child process) proxies keep-alive
// GETs to a backend in this process, with the access log off, then on (JSON to a file), then on with a
// template, in alternating rounds. Reports requests per second and the child's CPU time per request
// (process.cpuUsage over the measured window), so the load generator's own CPU is not counted.
// Run: npm run build && node bench/access-log.js [SECONDS_PER_ROUND] [CONNECTIONS] [ROUNDS]
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  const body = Buffer.alloc(256, 'x');
  const backend = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  backend.keepAliveTimeout = 60_000;
  await new Promise((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendAddress = `127.0.0.1:${backend.address().port}`;
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
  backend.closeAllConnections();

  async function measure(accessLogYaml) {
    const child = fork(new URL(import.meta.url).pathname, ['--serve', backendAddress, accessLogYaml]);
    const next = () => new Promise((resolve) => child.once('message', resolve));
    const { port } = await next();
    let completed = 0;
    let stopped = false;
    const request = Buffer.from('GET /bench?x=1 HTTP/1.1\r\nHost: bench.test\r\nUser-Agent: bench\r\n\r\n');
    const sockets = [];
    for (let i = 0; i < connections; i++) {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        // One request in flight per connection: a response ends with the 256-byte body.
        pending = Buffer.concat([pending, chunk]);
        const headEnd = pending.indexOf('\r\n\r\n');
        if (headEnd >= 0 && pending.length >= headEnd + 4 + body.length) {
          pending = pending.subarray(headEnd + 4 + body.length);
          completed++;
          if (!stopped) socket.write(request);
        }
      });
      socket.on('error', () => undefined); // the round's end destroys the sockets
      socket.on('connect', () => socket.write(request));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000)); // warm-up
    child.send('cpu');
    const before = (await next()).cpu;
    const startCount = completed;
    const startTime = process.hrtime.bigint();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    child.send('cpu');
    const after = (await next()).cpu;
    const requests = completed - startCount;
    const elapsed = Number(process.hrtime.bigint() - startTime) / 1e9;
    stopped = true;
    for (const socket of sockets) socket.destroy();
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
    const cpuUs = after.user - before.user + (after.system - before.system);
    return { rps: requests / elapsed, cpuUsPerRequest: cpuUs / requests };
  }
}
