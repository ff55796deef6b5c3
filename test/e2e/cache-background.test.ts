/**
 * The cache's work for no client, end to end against real backends: a response whose client left is
 * finished into the cache when enough of it had arrived (background fill), and a stale response within
 * stale-while-revalidate is served at once while one background request refreshes it.
 */
import { connect } from 'node:net';
import { expect, onTestFinished, test } from 'vitest';
import { cacheServing } from '../../src/cache/index.ts';
import { request } from '../support/clients.ts';
import { cacheBackend, type CacheHandler } from '../support/cache-backend.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';
import { delay, waitFor } from '../support/wait-for.ts';

async function cachingProxy(handler: CacheHandler, cacheSection = '') {
  const backend = await cacheBackend(handler);
  const junction = await startJunctionFromYaml(`
${cacheSection}
routes: [{ cluster: app, cache: true }]
clusters:
  app: { backends: ["${backend.address}"], retry: { attempts: 1 } }
`);
  onTestFinished(() => junction.close());
  return {
    backend,
    junction,
    get: (path: string, headers: Record<string, string> = {}) => request(junction.port, { path, headers }),
  };
}

const BODY = 'x'.repeat(1000);

/** A backend that sends `first` bytes of a 1000-byte storable body, then the rest after `pauseMs`. */
function slowBody(first: number, pauseMs: number): CacheHandler {
  return (_req, res) => {
    res.writeHead(200, { 'content-length': String(BODY.length), 'cache-control': 'max-age=60' });
    res.write(BODY.slice(0, first));
    setTimeout(() => {
      if (!res.destroyed) res.end(BODY.slice(first));
    }, pauseMs).unref();
  };
}

/** A client that reads until `bytes` body bytes arrived, then goes away. */
async function leaveAfter(port: number, path: string, bytes: number): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  let got = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      const end = got.indexOf('\r\n\r\n');
      if (end >= 0 && got.length - end - 4 >= bytes) resolve();
    });
  });
  // A reset: the client is gone at once (a FIN alone would be a half-close).
  socket.resetAndDestroy();
}

/** The background counters of the cache Junction serves from (what junction_cache_background_total reads). */
function background(junction: { config: Parameters<typeof cacheServing>[0] }) {
  return cacheServing(junction.config)!.background;
}

test('background fill: a client that leaves past the threshold still fills the cache', async () => {
  const { backend, junction, get } = await cachingProxy(
    slowBody(600, 300),
    'cache: { background_fill: { threshold: 0.5 } }',
  );
  await leaveAfter(junction.port, '/past', 600);
  // The rest arrives after the client left: the response is stored, the next request is a hit.
  await waitFor(() => background(junction).fill.stored === 1, { timeoutMs: 3_000, what: 'the fill' });
  const next = await get('/past');
  expect(next.text).toBe(BODY);
  expect(next.headers['cache-status']).toMatch(/^Junction; hit/);
  expect(backend.count('/past')).toBe(1);
});

test('background fill: below the threshold (or with 1) the upstream is dropped and nothing is stored', async () => {
  const { backend, junction, get } = await cachingProxy(
    slowBody(300, 300),
    'cache: { background_fill: { threshold: 0.5 } }',
  );
  await leaveAfter(junction.port, '/short', 300);
  await delay(500);
  const next = await get('/short');
  expect(background(junction).fill).toEqual({ stored: 0, 'not-stored': 0, failed: 0, timeout: 0 });
  expect(next.headers['cache-status']).toBe('Junction; fwd=miss; stored');
  expect(backend.count('/short')).toBe(2);
});

test('background fill: a backend that stalls is given up at the fill timeout', async () => {
  const { junction } = await cachingProxy(
    slowBody(900, 60_000),
    'cache: { background_fill: { threshold: 0.5, timeout: 300ms } }',
  );
  await leaveAfter(junction.port, '/stall', 900);
  await waitFor(() => background(junction).fill.timeout === 1, { timeoutMs: 3_000, what: 'the timeout' });
});
