// What the per-request metrics cost: Junction (built dist/, in a child process) proxies keep-alive GETs
// to a backend in this process, without an admin API (no metrics), then with one (its JunctionMetrics
// counting every request), in alternating rounds. Reports requests per second and the child's CPU time
// per request (process.cpuUsage over the measured window), so the load generator's own CPU is not
// counted; the `on` rounds end with one scrape, which must show every request the round made.
// Run: npm run build && node bench/metrics-cost.js [SECONDS_PER_ROUND] [CONNECTIONS] [ROUNDS]
import { fork } from 'node:child_process';
import { loadChild, startBackend } from './support/keep-alive-load.js';

const BODY_LENGTH = 256;

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
  const backend = await startBackend(BODY_LENGTH);
  const backendAddress = backend.address;
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

  async function measure(adminYaml) {
    const child = fork(new URL(import.meta.url).pathname, ['--serve', backendAddress, adminYaml]);
    const result = await loadChild(child, { connections, seconds, bodyLength: BODY_LENGTH });
    if (adminYaml !== '') {
      // Every request is counted (those after the window too): the metrics really were on.
      const counted = new Promise((resolve) => child.once('message', resolve));
      child.send('scrape');
      const { requests } = await counted;
      if (requests < result.completed - connections) {
        throw new Error(`counted ${requests} of ${result.completed} requests`);
      }
    }
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
    return result;
  }
}
