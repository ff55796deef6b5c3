/**
 * Resource attacks at scale: 10,000 idle connections, a slowloris swarm, and a connection flood against
 * a small accept queue. The attacking connections are held by a child process (test/support/swarm.ts),
 * so this process's descriptors go to Junction's side. Each test checks that Junction keeps serving a
 * normal client throughout, that its own limits end the attack, and that nothing is left behind.
 */
import { expect, onTestFinished, test } from 'vitest';
import { echoBackend } from '../support/backends.ts';
import { RawClient, request } from '../support/clients.ts';
import { forceGc } from '../support/memory.ts';
import { backendList, startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { startSwarm, type Swarm } from '../support/swarm.ts';
import { waitFor } from '../support/wait-for.ts';

/** Heap and ArrayBuffer memory an idle session may hold, socket included (measured: about 1.7 KiB). */
const IDLE_SESSION_BUDGET_BYTES = 8 * 1024;

function liveBytes(): number {
  forceGc();
  forceGc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

async function junctionWith(
  backendAddress: string,
  listener: string,
  timeouts: string,
): Promise<RunningJunction> {
  const junction = await startJunctionFromYaml(`
listeners:
  - { address: 127.0.0.1, port: 0, ${listener} }
routes:
  - { match: { path: / }, cluster: app }
clusters:
  app: { backends: ${backendList(backendAddress)} }
timeouts: { ${timeouts} }`);
  onTestFinished(() => junction.close());
  return junction;
}

function swarm(port: number, count: number, mode: 'idle' | 'slowloris', intervalMs?: number): Swarm {
  const s = startSwarm(port, count, mode, intervalMs);
  onTestFinished(() => s.close());
  return s;
}

test('10,000 idle connections: each holds little memory, requests are still served, client_head closes them all', async () => {
  const backend = await echoBackend('b');
  onTestFinished(() => backend.close());
  // client_head long enough that on a busy machine the first connections are not closed before the
  // last ones are accepted (all 10,000 must be open at once to be measured).
  const junction = await junctionWith(backend.address, 'max_connections: 20000', 'client_head: 10s');
  const before = liveBytes();
  const idle = swarm(junction.port, 10_000, 'idle');
  expect(await idle.ready).toEqual({ open: 10_000, failed: 0 });
  await waitFor(() => junction.server.stats().sessions === 10_000, {
    timeoutMs: 9_000,
    what: '10,000 sessions',
  });
  const perSession = (liveBytes() - before) / 10_000;
  expect(perSession).toBeLessThan(IDLE_SESSION_BUDGET_BYTES);

  const res = await request(junction.port, { path: '/while-idle' });
  expect(res.status).toBe(200);

  // No byte ever arrived, so the head deadline ends each of them, silently.
  await waitFor(() => junction.server.stats().sessions === 0, {
    timeoutMs: 15_000,
    what: 'idle sessions closed',
  });
  const status = await waitFor(
    async () => {
      const s = await idle.status();
      return s.closed === 10_000 ? s : undefined;
    },
    { timeoutMs: 5_000, what: 'the swarm to see every close' },
  );
  expect(status.bytesReceived).toBe(0);
  const stats = junction.server.stats();
  expect(stats.deadlinesFired).toBeGreaterThanOrEqual(10_000);
  expect(stats.zombiesClosed).toBe(0);
  expect(stats.headBuffersInUse).toBe(0);
}, 60_000);

test('a slowloris swarm of 1,000 connections gets 408 at client_head while a normal client is served', async () => {
  const backend = await echoBackend('b');
  onTestFinished(() => backend.close());
  const junction = await junctionWith(backend.address, 'max_connections: 5000', 'client_head: 1500ms');
  const slow = swarm(junction.port, 1_000, 'slowloris', 50);
  expect(await slow.ready).toEqual({ open: 1_000, failed: 0 });

  // A byte every 50 ms keeps every one of them "active": only the head deadline, counted from the
  // first byte, can end them.
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  for (let i = 0; i < 20; i++) {
    const response = await client.exchange(`GET /normal/${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(response.statusCode).toBe(200);
  }

  const status = await waitFor(
    async () => {
      const s = await slow.status();
      return s.closed === 1_000 ? s : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 200, what: 'every slowloris connection closed' },
  );
  // Each got a 408 before its close (about 100 bytes apiece).
  expect(status.bytesReceived).toBeGreaterThanOrEqual(1_000 * 60);
  await waitFor(() => junction.server.stats().sessions === 1, { what: 'only the normal client left' });
  const stats = junction.server.stats();
  expect(stats.zombiesClosed).toBe(0);
  expect(stats.headBuffersInUse).toBe(0);
  // The normal client's keep-alive connection survived the whole attack.
  expect((await client.exchange('GET /after HTTP/1.1\r\nHost: x\r\n\r\n')).statusCode).toBe(200);
}, 60_000);

test('a connection flood fills the accept queue: the established client is served throughout, the excess is dropped', async () => {
  const backend = await echoBackend('b');
  onTestFinished(() => backend.close());
  const junction = await junctionWith(
    backend.address,
    'max_connections: 50, accept_queue_size: 200, accept_queue_timeout: 1s',
    'client_head: 3s',
  );
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  expect((await client.exchange('GET /before HTTP/1.1\r\nHost: x\r\n\r\n')).statusCode).toBe(200);

  const flood = swarm(junction.port, 2_000, 'idle');
  // While the flood arrives and waits, the established connection keeps its slot and its answers.
  let served = 0;
  let slowest = 0;
  const flooding = { done: false };
  void flood.ready.then(() => {
    flooding.done = true;
  });
  while (!flooding.done || served < 50) {
    const started = Date.now();
    const response = await client.exchange(`GET /during/${served} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(response.statusCode).toBe(200);
    slowest = Math.max(slowest, Date.now() - started);
    served++;
  }
  // Loose: a queue that blocked the event loop or the slot would show in seconds, not milliseconds.
  expect(slowest).toBeLessThan(1_000);

  const during = junction.server.stats();
  expect(during.sessions).toBe(50);
  expect(during.acceptQueued).toBeLessThanOrEqual(200);
  // 2,000 arrived for 49 free slots and 200 places: at least 1,751 were dropped at once.
  await waitFor(() => junction.server.stats().acceptQueueDropped >= 1_751, { what: 'the excess dropped' });

  // Queued sockets expire after 1 s; the 49 served idle ones end at client_head. Then only the client is left.
  await waitFor(() => junction.server.stats().sessions === 1 && junction.server.stats().acceptQueued === 0, {
    timeoutMs: 15_000,
    what: 'the flood to be gone',
  });
  const status = await flood.status();
  expect(status.open + status.failed).toBe(2_000);
  expect((await client.exchange('GET /after HTTP/1.1\r\nHost: x\r\n\r\n')).statusCode).toBe(200);
  expect(junction.server.stats().zombiesClosed).toBe(0);
}, 60_000);
