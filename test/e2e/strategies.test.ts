import { describe, expect, onTestFinished, test } from 'vitest';
import { echoBackend, type HttpBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

async function threeBackends(): Promise<HttpBackend[]> {
  const backends = await Promise.all(['b1', 'b2', 'b3'].map((name) => echoBackend(name)));
  onTestFinished(() => Promise.all(backends.map((b) => b.close())).then(() => undefined));
  return backends;
}

function backendOf(body: unknown): string {
  return (body as { backend: string }).backend;
}

describe('strategies through the proxy', () => {
  test('sticky-cookie: the first answer sets the cookie, later requests with it stick to that backend', async () => {
    const backends = await threeBackends();
    const junction = await startJunctionFromYaml(`
routes: [{ cluster: c }]
clusters:
  c:
    strategy: { kind: sticky-cookie, cookie: JID }
    backends: [${backends.map((b) => `"127.0.0.1:${b.port}"`).join(', ')}]
`);
    onTestFinished(() => junction.close());

    const first = await request(junction.port);
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/^JID=[^;]+; Path=\//);
    const cookie = setCookie.split(';')[0]!;
    const stuckTo = backendOf(first.json());

    for (let i = 0; i < 9; i++) {
      const next = await request(junction.port, { headers: { cookie } });
      expect(backendOf(next.json())).toBe(stuckTo);
      expect(next.headers['set-cookie']).toBeUndefined();
    }
  });

  test('inline strategies of one kind on routes of one cluster each keep their own options', async () => {
    const backends = await threeBackends();
    const junction = await startJunctionFromYaml(`
routes:
  - { match: { path: /one/ }, cluster: c, strategy: { kind: sticky-cookie, cookie: S1 } }
  - { match: { path: /two/ }, cluster: c, strategy: { kind: sticky-cookie, cookie: S2 } }
  - { cluster: c }
clusters:
  c:
    strategy: { kind: sticky-cookie, cookie: OWN }
    backends: [${backends.map((b) => `"127.0.0.1:${b.port}"`).join(', ')}]
`);
    onTestFinished(() => junction.close());
    const cookieName = async (path: string): Promise<string | undefined> =>
      (await request(junction.port, { path })).headers['set-cookie']?.[0]?.split('=')[0];
    expect(await cookieName('/one/x')).toBe('S1');
    expect(await cookieName('/two/x')).toBe('S2');
    expect(await cookieName('/other')).toBe('OWN');
    // And in the cluster's own order again: none took another's.
    expect(await cookieName('/two/y')).toBe('S2');
    expect(await cookieName('/one/y')).toBe('S1');
  });

  test('consistent-hash on a header: the same key always lands on the same backend', async () => {
    const backends = await threeBackends();
    const junction = await startJunctionFromYaml(`
routes: [{ cluster: c }]
clusters:
  c:
    strategy: { kind: consistent-hash, key: "header:x-user", algorithm: maglev }
    backends: [${backends.map((b) => `"127.0.0.1:${b.port}"`).join(', ')}]
`);
    onTestFinished(() => junction.close());

    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let user = 0; user < 12; user++) {
        const res = await request(junction.port, { headers: { 'x-user': `user-${user}` } });
        const set = seen.get(`user-${user}`) ?? new Set<string>();
        set.add(backendOf(res.json()));
        seen.set(`user-${user}`, set);
      }
    }
    for (const backendsSeen of seen.values()) expect(backendsSeen.size).toBe(1);
    // Twelve keys over three backends: more than one backend is used.
    expect(new Set([...seen.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
  });

  test('weighted-round-robin honours weights through the proxy', async () => {
    const backends = await threeBackends();
    const junction = await startJunctionFromYaml(`
routes: [{ cluster: c }]
clusters:
  c:
    strategy: weighted-round-robin
    backends:
      - { address: "127.0.0.1:${backends[0]!.port}", weight: 1 }
      - { address: "127.0.0.1:${backends[1]!.port}", weight: 2 }
      - { address: "127.0.0.1:${backends[2]!.port}", weight: 3 }
`);
    onTestFinished(() => junction.close());
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const name = backendOf((await request(junction.port)).json());
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ b1: 5, b2: 10, b3: 15 });
  });
});
