import { createServer } from 'node:http';
import { describe, expect, onTestFinished, test } from 'vitest';
import { closedPort, echoBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

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
});
