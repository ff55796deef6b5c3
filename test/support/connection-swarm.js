/**
 * A child process that holds many client connections to one port, so a test can open thousands of
 * sockets without spending its own process's file descriptors (Junction runs in the test process and
 * needs one descriptor per accepted connection).
 *
 * Usage: node connection-swarm.js PORT COUNT MODE [INTERVAL_MS]
 *   MODE idle       connect and send nothing
 *   MODE slowloris  send a request head one byte every INTERVAL_MS, never finishing it
 *
 * Connections are opened in batches of a few hundred. Prints one JSON line when every connection is
 * open (or failed): {"event":"ready","open":N,"failed":N}. Then answers lines on stdin:
 *   status → {"event":"status","open":N,"closed":N,"failed":N,"bytesReceived":N}
 *   exit   → destroys every socket and exits.
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const [port, count, mode, intervalArg] = process.argv.slice(2);
const total = Number(count);
const interval = Number(intervalArg ?? 200);
const BATCH = 250;
const HEAD = 'GET /slowloris HTTP/1.1\r\nHost: swarm.test\r\nX-Padding: ' + 'a'.repeat(4096);

const sockets = new Set();
let open = 0;
let closed = 0;
let failed = 0;
let bytesReceived = 0;
let settled = 0;

function print(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function openOne() {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    let connected = false;
    let sent = 0;
    let timer;
    socket.on('connect', () => {
      connected = true;
      open++;
      sockets.add(socket);
      if (mode === 'slowloris') {
        timer = setInterval(() => {
          if (sent < HEAD.length) socket.write(HEAD[sent++]);
        }, interval);
      }
      resolve();
    });
    socket.on('data', (data) => {
      bytesReceived += data.length;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
      if (connected) closed++;
      else {
        failed++;
        resolve();
      }
    });
  });
}

async function openAll() {
  for (let started = 0; started < total; started += BATCH) {
    const batch = [];
    for (let i = started; i < Math.min(total, started + BATCH); i++) batch.push(openOne());
    await Promise.all(batch);
    settled += batch.length;
  }
  print({ event: 'ready', open, failed, settled });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'status') print({ event: 'status', open, closed, failed, bytesReceived });
  if (line === 'exit') {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});
process.stdin.on('end', () => process.exit(0));

void openAll();
