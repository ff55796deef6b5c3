/**
 * Strategies as plugins, end to end: the example third-party strategy loaded from its module path,
 * named strategies, and a route that picks another strategy than its cluster's.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';
import { echoBackend, slowHeadBackend, type HttpBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

function backendOf(body: unknown): string {
  return (body as { backend: string }).backend;
}

function closeAll(backends: readonly HttpBackend[]): void {
  onTestFinished(() => Promise.all(backends.map((b) => b.close())).then(() => undefined));
}

describe('strategy plugins through the proxy', () => {
  test('the example least-latency module, loaded from its path, learns to avoid the slow backend', async () => {
    const slow = await slowHeadBackend(60, 'slow');
    const fast = await echoBackend('fast');
    closeAll([slow, fast]);
    const junction = await startJunctionFromYaml(
      `
strategies:
  fastest: { module: ./strategies/least-latency.js, explore: 0 }
routes: [{ cluster: c }]
clusters:
  c:
    strategy: fastest
    backends: ["${slow.address}", "${fast.address}"]
`,
      { baseDir: EXAMPLES },
    );
    onTestFinished(() => junction.close());

    const answeredBy: string[] = [];
    for (let i = 0; i < 20; i++) answeredBy.push(backendOf((await request(junction.port)).json()));
    // Unmeasured upstreams count as fastest, so each is tried once; then only the fast one is used.
    expect(answeredBy.slice(0, 2)).toEqual(['slow', 'fast']);
    expect(answeredBy.slice(2)).toEqual(Array<string>(18).fill('fast'));
    expect(slow.requests).toHaveLength(1);
  });

  test('a route names another strategy than its cluster: users stick to a backend there, not elsewhere', async () => {
    const backends = await Promise.all(['b1', 'b2', 'b3'].map((name) => echoBackend(name)));
    closeAll(backends);
    const junction = await startJunctionFromYaml(`
strategies:
  by-user: { kind: consistent-hash, key: 'header:x-user' }
routes:
  - { match: { path: /profiles/ }, cluster: c, strategy: by-user }
  - { cluster: c }
clusters:
  c:
    strategy: round-robin
    backends: [${backends.map((b) => `"${b.address}"`).join(', ')}]
`);
    onTestFinished(() => junction.close());

    const users = ['ada', 'bob', 'cy', 'dee', 'eve', 'fay'];
    const home = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (const user of users) {
        const res = await request(junction.port, { path: `/profiles/${user}`, headers: { 'x-user': user } });
        const backend = backendOf(res.json());
        if (round === 0) home.set(user, backend);
        else expect(backend).toBe(home.get(user));
      }
    }
    // Six users over three backends land on more than one backend (a constant pick would fail this).
    expect(new Set(home.values()).size).toBeGreaterThan(1);

    // The same header on the cluster's own route is ignored: round robin visits every backend.
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      seen.add(
        backendOf((await request(junction.port, { path: '/other', headers: { 'x-user': 'ada' } })).json()),
      );
    }
    expect(seen.size).toBe(3);
  });
});
