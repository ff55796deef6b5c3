// The load loop of the Node-only cost benchmarks (bench/access-log.js, bench/metrics-cost.js): a
// backend in this process, Junction in a forked child that reports its own CPU time, and keep-alive
// connections with one request in flight each, so the child's CPU per request excludes the load.
import { createServer } from 'node:http';
import { connect } from 'node:net';

/** A backend answering every request with `bodyLength` bytes; resolves with it and its address. */
export async function startBackend(bodyLength) {
  const body = Buffer.alloc(bodyLength, 'x');
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => {
    server.close();
    server.closeAllConnections();
  };
  return { address: `127.0.0.1:${server.address().port}`, close };
}

/**
 * Drives the forked `child` (which sends `{ port }` once it serves and answers 'cpu' with
 * `{ cpu: process.cpuUsage() }`) for a 1 s warm-up and `seconds` measured. Leaves the child running.
 * Resolves with req/s and CPU µs per request over the window, and every request completed.
 */
export async function loadChild(child, { connections, seconds, bodyLength }) {
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
      // One request in flight per connection: a response ends with the body.
      pending = Buffer.concat([pending, chunk]);
      const headEnd = pending.indexOf('\r\n\r\n');
      if (headEnd >= 0 && pending.length >= headEnd + 4 + bodyLength) {
        pending = pending.subarray(headEnd + 4 + bodyLength);
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
  const cpuUs = after.user - before.user + (after.system - before.system);
  return { rps: requests / elapsed, cpuUsPerRequest: cpuUs / requests, completed };
}
