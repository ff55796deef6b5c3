/**
 * The cache's work for no client, end to end against real backends: a response whose client left is
 * finished into the cache when enough of it had arrived (background fill), and a stale response within
 * stale-while-revalidate is served at once while one background request refreshes it.
 */
import { connect } from 'node:net';
import { expect, test } from 'vitest';
import { cacheServing } from '../../src/cache/index.ts';
import { loadConfigText } from '../../src/config/index.ts';
import { cachingProxy, type CacheHandler } from '../support/cache-backend.ts';
import { delay, waitFor } from '../support/wait-for.ts';

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

/**
 * A backend whose representation changes: every 200 carries a new ETag (`"vN"`, body `vN`), fresh for
 * 1 s and usable stale for 30 s more while revalidated. `gate` holds answers until the test opens it.
 */
function changingBackend() {
  let version = 0;
  let open: () => void = () => undefined;
  let gate: Promise<void> | null = null;
  const control = {
    hold(): void {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    release(): void {
      gate = null;
      open();
    },
    fail: false,
  };
  const handler: CacheHandler = (_req, res) => {
    const answer = (): void => {
      if (control.fail) {
        res.socket?.destroy();
        return;
      }
      version++;
      res.writeHead(200, {
        etag: `"v${version}"`,
        'cache-control': 'max-age=1, stale-while-revalidate=30',
        'content-type': 'text/plain',
      });
      res.end(`v${version}`);
    };
    if (gate === null) answer();
    else void gate.then(answer);
  };
  return { handler, control };
}

test('stale-while-revalidate: the stale response is served at once, one background request refreshes it', async () => {
  const { handler, control } = changingBackend();
  const { backend, junction, get } = await cachingProxy(handler);
  expect((await get('/swr')).text).toBe('v1');
  await delay(1_100); // stale now, within the 30 s window
  control.hold(); // the refresh waits at the backend: the clients must not
  const stale = await Promise.all([get('/swr'), get('/swr'), get('/swr'), get('/swr')]);
  for (const response of stale) {
    expect(response.text).toBe('v1');
    expect(response.headers['cache-status']).toMatch(
      /^Junction; fwd=stale; ttl=-\d+; detail=stale-while-revalidate$/,
    );
  }
  // One background request for the key, whatever the number of stale answers.
  await waitFor(() => backend.count('/swr') === 2, { what: 'the background request' });
  expect(backend.seen.at(-1)!.headers['if-none-match']).toBe('"v1"');
  control.release();
  const cache = cacheServing(junction.config)!;
  await waitFor(() => cache.background.revalidate.stored === 1, { what: 'the refresh' });
  const fresh = await get('/swr');
  expect(fresh.text).toBe('v2');
  expect(fresh.headers['cache-status']).toMatch(/^Junction; hit/);
  expect(backend.count('/swr')).toBe(2);
  expect(cache.statuses.stale).toBe(4);
});

test('stale-while-revalidate: a failing background request never reaches the client', async () => {
  const { handler, control } = changingBackend();
  const { backend, junction, get } = await cachingProxy(handler);
  await get('/swr-fail');
  await delay(1_100);
  control.fail = true;
  const first = await get('/swr-fail');
  expect(first.status).toBe(200);
  expect(first.text).toBe('v1');
  const cache = cacheServing(junction.config)!;
  await waitFor(() => cache.background.revalidate.failed === 1, { what: 'the failed refresh' });
  // Still served stale; the next stale answer tries again.
  const second = await get('/swr-fail');
  expect(second.text).toBe('v1');
  await waitFor(() => backend.count('/swr-fail') === 3, { what: 'a second refresh' });
});

test('background_fill: its default is 0.5 for 30 s, and a threshold outside 0..1 is refused', async () => {
  const base = 'routes: [{ cluster: app, cache: true }]\nclusters: { app: { backends: ["127.0.0.1:1"] } }\n';
  const defaults = await loadConfigText(`listeners: [{ port: 0 }]\n${base}cache: {}\n`, '<test>');
  expect(defaults.cache?.backgroundFill).toEqual({ threshold: 0.5, timeoutMs: 30_000 });
  await expect(
    loadConfigText(
      `listeners: [{ port: 0 }]\n${base}cache: { background_fill: { threshold: 2 } }\n`,
      '<test>',
    ),
  ).rejects.toThrow(/threshold: must be a number from 0 to 1/);
});
