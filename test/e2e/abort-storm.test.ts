/**
 * Nothing leaks: client connections opened and aborted at random stages (silent, mid-head, after the head,
 * mid-body, waiting for the upstream, mid-response), by FIN or by RST, in bounded concurrency. Afterwards
 * Junction holds no session, no head buffer and no leased upstream connection, live memory is back near
 * its baseline, and a normal request is still served.
 *
 * JUNCTION_E2E_ABORTS sets the number of connections (default 10,000); JUNCTION_E2E_ABORT_SEED replays a
 * run (the seed is printed in every failure message).
 */
import { connect, type Socket } from 'node:net';
import { expect, onTestFinished, test } from 'vitest';
import { chunkedBackend, echoBackend, slowHeadBackend, type EchoReply } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { forceGc, MiB } from '../support/memory.ts';
import { backendList, startJunctionFromYaml } from '../support/start-junction.ts';
import { delay, waitFor, withTimeout } from '../support/wait-for.ts';

const CONNECTIONS = Number(process.env['JUNCTION_E2E_ABORTS'] ?? 10_000);
const SEED = Number(process.env['JUNCTION_E2E_ABORT_SEED'] ?? Date.now() % 2 ** 31);
const CONCURRENCY = 200;
/** The slow backend's delay before its response head: the window for "waiting for the upstream". */
const SLOW_MS = 150;
/**
 * Growth of live memory (V8 heap + ArrayBuffers after forced GCs) allowed after the storm. The backends
 * keep a record of every request they saw (about 1 KiB each, some 3,000 for 10,000 connections) and that is
 * counted too; a session, its socket and its buffers leaked per connection would be far more.
 */
const MEMORY_BUDGET_BYTES = 16 * MiB;

const STAGES = [
  'connected-silent',
  'mid-head',
  'after-head',
  'mid-body',
  'waiting-upstream',
  'mid-response',
] as const;
type Stage = (typeof STAGES)[number];

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function liveBytes(): number {
  forceGc();
  forceGc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/** Connects, resolving once connected; an error before that (the storm never expects one) rejects. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.off('error', reject);
      // Later errors (a reset from Junction as it closes) are expected in a storm; keep them quiet.
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    // Junction may have closed already (a 400 to a truncated head, say): the write then fails, which is fine.
    socket.write(data, () => {
      resolve();
    });
  });
}

/** Resolves when the socket received its first bytes or closed, or after `timeoutMs`. */
function firstBytes(socket: Socket, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off('data', done);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', done);
    socket.on('close', done);
    socket.resume();
  });
}

/** Aborts one connection at `stage`; resolves with whether it had received any bytes from Junction. */
async function abortAt(port: number, stage: Stage, random: () => number): Promise<boolean> {
  const socket = await open(port);
  let received = false;
  socket.on('data', () => {
    received = true;
  });
  socket.resume();
  const jitter = (maxMs: number): Promise<void> => delay(Math.floor(random() * maxMs));
  switch (stage) {
    case 'connected-silent':
      await jitter(20);
      break;
    case 'mid-head':
      await write(socket, 'GET /echo/partial HTTP/1.1\r\nHost: storm.test\r\nX-Pad: ');
      await jitter(10);
      await write(socket, 'y'.repeat(Math.floor(random() * 2000)));
      await jitter(10);
      break;
    case 'after-head':
      await write(socket, 'POST /echo/upload HTTP/1.1\r\nHost: storm.test\r\nContent-Length: 100000\r\n\r\n');
      await jitter(20);
      break;
    case 'mid-body': {
      const chunked = random() < 0.5;
      await write(
        socket,
        chunked
          ? 'POST /echo/upload HTTP/1.1\r\nHost: storm.test\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n'
          : 'POST /echo/upload HTTP/1.1\r\nHost: storm.test\r\nContent-Length: 100000\r\n\r\n',
      );
      await write(socket, Buffer.alloc(1 + Math.floor(random() * 3000), 0x62));
      await jitter(20);
      break;
    }
    case 'waiting-upstream':
      await write(socket, 'GET /slow/wait HTTP/1.1\r\nHost: storm.test\r\n\r\n');
      await jitter(SLOW_MS - 20);
      break;
    case 'mid-response':
      await write(socket, 'GET /stream/body HTTP/1.1\r\nHost: storm.test\r\n\r\n');
      await firstBytes(socket, 5_000);
      await jitter(30);
      break;
  }
  if (random() < 0.5) socket.resetAndDestroy();
  else socket.destroy();
  return received;
}

test(`${CONNECTIONS} connections aborted at random stages leave no session, buffer, upstream lease or memory behind`, async () => {
  const echo = await echoBackend('echo');
  const slow = await slowHeadBackend(SLOW_MS, 'slow');
  const stream = await chunkedBackend({
    name: 'stream',
    chunks: Array.from({ length: 40 }, (_, i) => `${i}:${'s'.repeat(2000)}\n`),
    intervalMs: 10,
  });
  onTestFinished(() => echo.close());
  onTestFinished(() => slow.close());
  onTestFinished(() => stream.close());
  const junction = await startJunctionFromYaml(`
routes:
  - { match: { path: /slow }, cluster: slow }
  - { match: { path: /stream }, cluster: stream }
  - { match: { path: / }, cluster: echo }
clusters:
  echo: { backends: ${backendList(echo)} }
  slow: { backends: ${backendList(slow)} }
  stream: { backends: ${backendList(stream)} }
`);
  onTestFinished(() => junction.close());
  const server = junction.server;
  const replay = `seed ${SEED} (JUNCTION_E2E_ABORT_SEED=${SEED} replays it)`;

  const random = seededRandom(SEED);
  /** Per stage: connections aborted there, and how many of them had received bytes by then. */
  type Tally = Record<Stage, { aborted: number; answered: number }>;
  const runStorm = async (count: number): Promise<Tally> => {
    const tally = Object.fromEntries(STAGES.map((s) => [s, { aborted: 0, answered: 0 }])) as Tally;
    const plan = Array.from({ length: count }, () => STAGES[Math.floor(random() * STAGES.length)]!);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < plan.length) {
        const stage = plan[next++]!;
        tally[stage].aborted++;
        if (await abortAt(junction.port, stage, random)) tally[stage].answered++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
    return tally;
  };
  const settled = async (what: string): Promise<void> => {
    await waitFor(
      () => {
        const s = server.stats();
        return (
          s.sessions === 0 &&
          s.headBuffersInUse === 0 &&
          s.upstreamInFlight === 0 &&
          s.upstreamConnectionsConnecting === 0 &&
          s.upstreamConnectionsOpen === s.upstreamConnectionsIdle
        );
      },
      { timeoutMs: 10_000, intervalMs: 25, what: `${what}: ${JSON.stringify(server.stats())}, ${replay}` },
    );
  };

  // Warm-up: lazily built state (JIT code, pools, parser tables) is part of the baseline, not of a leak.
  await runStorm(Math.min(300, CONNECTIONS));
  await settled('warm-up settled');
  // The slow backend's timers from the warm-up fire within SLOW_MS; let them before taking the baseline.
  await delay(SLOW_MS + 50);
  const baseStats = server.stats();
  const baseLive = liveBytes();
  const baseResources = countResources();

  // Peaks during the storm show the stages really held what they should have (sessions, head buffers
  // for heads arriving in pieces, upstream connections leased while waiting or streaming).
  const peak = { sessions: 0, headBuffersInUse: 0, upstreamInFlight: 0 };
  const sampler = setInterval(() => {
    const s = server.stats();
    peak.sessions = Math.max(peak.sessions, s.sessions);
    peak.headBuffersInUse = Math.max(peak.headBuffersInUse, s.headBuffersInUse);
    peak.upstreamInFlight = Math.max(peak.upstreamInFlight, s.upstreamInFlight);
  }, 5);
  const started = Date.now();
  const perStage = await withTimeout(runStorm(CONNECTIONS), 60_000, `the abort storm (${replay})`).finally(
    () => {
      clearInterval(sampler);
    },
  );
  const stormMs = Date.now() - started;
  await settled('Junction released everything after the storm');
  const settledMs = Date.now() - started - stormMs;
  await delay(SLOW_MS + 50);

  const after = server.stats();
  expect(after.sessions, replay).toBe(0);
  expect(after.headBuffersInUse, replay).toBe(0);
  expect(after.headBuffersFree, replay).toBe(after.headBuffersCapacity);
  expect(after.headBufferFallbacks, replay).toBe(baseStats.headBufferFallbacks);
  expect(after.upstreamInFlight, replay).toBe(0);
  expect(after.upstreamConnectionsOpen, replay).toBe(after.upstreamConnectionsIdle);

  // Every socket is gone but the idle pooled connections (two handles each: Junction's and the backend's).
  const sockets = (r: Record<string, number>): number => r['TCPSocketWrap'] ?? 0;
  const allowedSockets =
    sockets(baseResources) + 2 * (after.upstreamConnectionsIdle - baseStats.upstreamConnectionsIdle);
  await waitFor(() => sockets(countResources()) <= allowedSockets, {
    timeoutMs: 5_000,
    what: `sockets back to ${allowedSockets}: ${JSON.stringify(countResources())}, ${replay}`,
  });

  const afterLive = liveBytes();
  const afterResources = countResources();
  const summary = {
    seed: SEED,
    connections: CONNECTIONS,
    perStage,
    peak,
    stormMs,
    settledMs,
    baseStats,
    after,
    liveGrowthMiB: Number(((afterLive - baseLive) / MiB).toFixed(2)),
    baseResources,
    afterResources,
  };
  if (process.env['JUNCTION_E2E_ABORT_REPORT']) console.log(JSON.stringify(summary));
  expect(afterLive - baseLive, JSON.stringify(summary)).toBeLessThan(MEMORY_BUDGET_BYTES);
  // No referenced timer stays behind (Junction's own are unref'd or cleared when their connection ends).
  expect(afterResources['Timeout'] ?? 0, JSON.stringify(summary)).toBeLessThanOrEqual(
    baseResources['Timeout'] ?? 0,
  );
  // The storm did reach every stage: the run is not vacuous.
  if (CONNECTIONS >= 1_000) {
    expect(peak.sessions, JSON.stringify(summary)).toBeGreaterThanOrEqual(CONCURRENCY / 4);
    expect(peak.upstreamInFlight, JSON.stringify(summary)).toBeGreaterThan(0);
    expect(perStage['mid-response'].answered, JSON.stringify(summary)).toBeGreaterThan(
      perStage['mid-response'].aborted / 2,
    );
    expect(perStage['waiting-upstream'].answered, JSON.stringify(summary)).toBeLessThan(
      perStage['waiting-upstream'].aborted / 2,
    );
  }

  // And Junction still serves.
  const response = await request(junction.port, { path: '/echo/after', headers: { host: 'storm.test' } });
  expect(response.status).toBe(200);
  expect((JSON.parse(response.body.toString()) as EchoReply).url).toBe('/echo/after');
}, 60_000);
