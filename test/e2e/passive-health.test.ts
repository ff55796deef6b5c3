import { createServer } from 'node:http';
import { describe, expect, onTestFinished, test } from 'vitest';
import { closedPort, echoBackend, rawBackend, resetOnConnectBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';
import { delay, waitFor } from '../support/wait-for.ts';

describe('passive health', () => {
  test('a dead backend is ejected after consecutive connect failures, without client-visible errors', async () => {
    const alive = await echoBackend('alive');
    onTestFinished(() => alive.close());
    const deadPort = await closedPort();
    const junction = await startJunctionFromYaml(`
routes: [{ cluster: c }]
clusters:
  c: { backends: ["127.0.0.1:${deadPort}", "127.0.0.1:${alive.port}"] }
`);
    onTestFinished(() => junction.close());

    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await request(junction.port, { path: `/${i}` })).status);
    expect(statuses.every((s) => s === 200)).toBe(true);

    const dead = junction.server.upstreams().find((u) => u.address === `127.0.0.1:${deadPort}`)!;
    expect(dead.isUp).toBe(false);
    // Ejected after 3 failures: the remaining requests did not try it at all.
    expect(dead.failures).toBe(3);
    expect(dead.ejectedForMs).toBeGreaterThan(0);
  });

  test('an ejected backend gets a trial when its backoff ends and rejoins once it answers', async () => {
    const alive = await echoBackend('alive');
    onTestFinished(() => alive.close());
    const port = await closedPort();
    const junction = await startJunctionFromYaml(`
routes: [{ cluster: c }]
clusters:
  c: { backends: ["127.0.0.1:${port}", "127.0.0.1:${alive.port}"] }
`);
    onTestFinished(() => junction.close());
    const status = (): { isUp: boolean; requests: number } =>
      junction.server.upstreams().find((u) => u.address === `127.0.0.1:${port}`)!;

    for (let i = 0; i < 6; i++) expect((await request(junction.port)).status).toBe(200);
    expect(status().isUp).toBe(false);

    // The backend comes back on the same port.
    let revivedHits = 0;
    const revived = createServer((_req, res) => {
      revivedHits++;
      res.end('revived');
    });
    await new Promise<void>((resolve) => revived.listen(port, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) =>
          revived.close(() => {
            resolve();
          }),
        ),
    );

    // The first ejection lasts 1 s; then a trial request reaches it and it stays in rotation.
    await waitFor(() => status().isUp, { timeoutMs: 3000 });
    for (let i = 0; i < 10; i++) expect((await request(junction.port)).status).toBe(200);
    expect(revivedHits).toBeGreaterThanOrEqual(4);
    expect(status().isUp).toBe(true);
  });

  test('when every backend is ejected the answer is 503 at once, without a connect attempt', async () => {
    const a = await resetOnConnectBackend();
    const b = await resetOnConnectBackend();
    onTestFinished(() => a.close());
    onTestFinished(() => b.close());
    const junction = await startJunctionFromYaml(`
routes: [{ cluster: c }]
clusters:
  c:
    backends: ["127.0.0.1:${a.port}", "127.0.0.1:${b.port}"]
    health: { passive: { consecutive_failures: 2, ejection: 10s } }
`);
    onTestFinished(() => junction.close());

    for (let i = 0; i < 6 && junction.server.upstreams().some((u) => u.isUp); i++)
      await request(junction.port);
    expect(junction.server.upstreams().map((u) => u.ejected)).toEqual([true, true]);

    const connections = a.connections + b.connections;
    for (let i = 0; i < 5; i++) {
      const startedAt = performance.now();
      const res = await request(junction.port);
      expect(res.status).toBe(503);
      expect(performance.now() - startedAt).toBeLessThan(250);
    }
    await delay(50); // room for a connection that should not come
    expect(a.connections + b.connections).toBe(connections);
  });

  test('the failure-rate rule ejects a backend that fails often, though never many times in a row', async () => {
    const alive = await echoBackend('alive');
    onTestFinished(() => alive.close());
    // Every other connection is reset; the rest get a valid answer and are closed (so none is reused).
    let accepted = 0;
    const flaky = await rawBackend((socket) => {
      if (accepted++ % 2 === 0) {
        socket.resetAndDestroy();
        return;
      }
      socket.once('data', () => {
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nflaky');
      });
    }, 'flaky');
    onTestFinished(() => flaky.close());
    const junction = await startJunctionFromYaml(`
routes: [{ cluster: c }]
clusters:
  c:
    backends: ["127.0.0.1:${flaky.port}", "127.0.0.1:${alive.port}"]
    health:
      passive: { consecutive_failures: 0, failure_rate: 40%, min_requests: 6, window: 10s, ejection: 10s }
`);
    onTestFinished(() => junction.close());
    const flakyStatus = () =>
      junction.server.upstreams().find((u) => u.address === `127.0.0.1:${flaky.port}`)!;

    for (let i = 0; i < 30 && flakyStatus().isUp; i++)
      expect((await request(junction.port)).status).toBe(200);
    expect(flakyStatus()).toMatchObject({ isUp: false, ejected: true, consecutiveFailures: 1 });
    // Its outcomes alternate: the rule is judged on each failure, so the 7th outcome (4 of 7) ejects it.
    expect(flakyStatus().ejectionReason).toBe('4 of its last 7 requests failed');
    const seen = flaky.connections;
    for (let i = 0; i < 4; i++) expect((await request(junction.port)).status).toBe(200);
    expect(flaky.connections).toBe(seen);
  });
});
