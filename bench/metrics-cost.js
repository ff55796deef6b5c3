// What the per-request metrics cost: Junction (built dist/, in a child process) proxies keep-alive GETs
// to a backend in this process, without an admin API (no metrics), then with one (its JunctionMetrics
// counting every request), in alternating rounds. Reports requests per second and the child's CPU time
// per request (process.cpuUsage over the measured window), so the load generator's own CPU is not
// counted; the `on` rounds end with one scrape, which must show every request the round made.
// Run: npm run build && node bench/metrics-cost.js [SECONDS_PER_ROUND] [CONNECTIONS] [ROUNDS]
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { connect } from 'node:net';

if (process.argv[2] === '--serve') {
  const { loadConfigText } = await import('../dist/config/index.js');
  const { startJunction } = await import('../dist/server/index.js');
  const { ConfigStore, startAdmin } = await import('../dist/admin/index.js');
  const [, , , backend, adminYaml] = process.argv;
  const yaml =
    `listeners: [{ name: main, address: 127.0.0.1, port: 0 }]\n${adminYaml}\n` +
    `routes: [{ name: main, cluster: app }]\nclusters:\n  app: { backends: ["${backend}"] }\n`;
  const config = await loadConfigText(yaml, '<bench>');
  const server = await startJunction(config);
  const admin =
    config.admin === undefined ? undefined : await startAdmin(new ConfigStore(server), config.admin);
  process.on('message', async (message) => {
    if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
    if (message === 'scrape') {
      const text = admin === undefined ? '' : await (await fetch(`${admin.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('junction_requests_total{'));
      process.send({ requests: line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1)) });
    }
    if (message === 'stop') {
      await admin?.close();
      await server.close(0);
      process.exit(0);
    }
  });
  process.send({ port: server.listeners[0].port });
} else {
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 32);
  const rounds = Number(process.argv[4] ?? 2);
  const body = Buffer.alloc(256, 'x');
  const backend = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  backend.keepAliveTimeout = 60_000;
  await new Promise((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendAddress = `127.0.0.1:${backend.address().port}`;
  const modes = { off: '', on: 'admin: { address: 127.0.0.1, port: 0 }' };
  const results = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [mode, yaml] of Object.entries(modes)) results[mode].push(await measure(yaml));
  }
  for (const [mode, runs] of Object.entries(results)) {
    const rps = runs.map((r) => r.rps.toFixed(0)).join(', ');
    const cpu = runs.map((r) => r.cpuUsPerRequest.toFixed(1)).join(', ');
    console.log(`${mode.padEnd(8)} req/s: ${rps}   Junction CPU µs/request: ${cpu}`);
  }
  backend.close();
  backend.closeAllConnections();

  async function measure(adminYaml) {
    const child = fork(new URL(import.meta.url).pathname, ['--serve', backendAddress, adminYaml]);
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
    if (adminYaml !== '') {
      // Every request is counted (those after the window too): the metrics really were on.
      child.send('scrape');
      const counted = (await next()).requests;
      if (counted < completed - connections) throw new Error(`counted ${counted} of ${completed} requests`);
    }
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
    const cpuUs = after.user - before.user + (after.system - before.system);
    return { rps: requests / elapsed, cpuUsPerRequest: cpuUs / requests };
  }
}
