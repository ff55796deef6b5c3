/**
 * Hot reconfiguration: JunctionServer.reload() under continuous keep-alive load drops nothing and
 * answers every request from a backend the config in force allowed; unchanged clusters keep their
 * pools and passive health; a bad config keeps the old one serving; listeners come and go at runtime.
 */
import { Agent, request as httpRequest } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { describe, expect, onTestFinished, test } from 'vitest';
import { loadConfigText } from '../../src/config/index.ts';
import { ConfigErrors, ReloadError } from '../../src/errors/index.ts';
import { closedPort, countingBackend, echoBackend, type HttpBackend } from '../support/backends.ts';
import { connectTo, request } from '../support/clients.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { startJunction } from '../../src/server/index.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';
import { definePlugin } from '../../src/index.ts';

const LISTENER = 'listeners: [{ name: main, address: 127.0.0.1, port: 0 }]';

async function backends(count: number): Promise<HttpBackend[]> {
  const started = await Promise.all(Array.from({ length: count }, (_, i) => countingBackend(`b${i}`)));
  for (const b of started) onTestFinished(() => b.close());
  return started;
}

async function reloadYaml(junction: RunningJunction, yaml: string) {
  return junction.server.reload(await loadConfigText(yaml, '<reload>', { baseDir: process.cwd() }));
}

/** One GET over a keep-alive agent: status, body, and whether it reused a connection. */
function get(port: number, path: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`GET ${path}: no answer in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

describe('reload under load', () => {
  test('50 reloads adding and removing routes, clusters and backends: nothing fails, nothing drops, every answer allowed', async () => {
    const pool = await backends(6);
    const name = (i: number) => pool[i]!.name;
    const address = (i: number) => pool[i]!.address;

    /**
     * Config n: `/stable` always goes to b0 and b1 (the cluster never changes); `/dyn` goes to a cluster
     * whose name, and two of b2..b5, change every time; an extra route and cluster come and go.
     */
    const configFor = (n: number) => {
      const a = 2 + (n % 4);
      const b = 2 + ((n + 1) % 4);
      const extra =
        n % 2 === 0 ? `  - { name: extra-${n}, match: { path: /extra }, cluster: extra-${n} }\n` : '';
      const extraCluster = n % 2 === 0 ? `  extra-${n}: { backends: ["${address(5)}"] }\n` : '';
      return {
        yaml: `${LISTENER}
routes:
  - { name: stable, match: { path: /stable }, cluster: stable }
  - { name: dyn, match: { path: /dyn }, cluster: dyn-${n % 3} }
${extra}clusters:
  stable: { backends: ["${address(0)}", "${address(1)}"] }
  dyn-${n % 3}: { strategy: round-robin, backends: ["${address(a)}", "${address(b)}"] }
${extraCluster}`,
        allowed: {
          '/stable': new Set([name(0), name(1)]),
          '/dyn': new Set([name(a), name(b)]),
        } as Record<string, Set<string>>,
      };
    };

    const first = configFor(0);
    const junction = await startJunctionFromYaml(first.yaml);
    onTestFinished(() => junction.close());
    /** What each config version allows, by path. */
    const allowedByVersion = new Map<number, Record<string, Set<string>>>([[1, first.allowed]]);

    const CLIENTS = 16;
    const agents = Array.from({ length: CLIENTS }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    let socketsOpened = 0;
    let socketsClosed = 0;
    for (const agent of agents) {
      onTestFinished(() => {
        agent.destroy();
      });
      const create = agent.createConnection.bind(agent);
      agent.createConnection = (...args: Parameters<typeof create>) => {
        const socket = create(...args) as Socket;
        socketsOpened++;
        socket.once('close', () => socketsClosed++);
        return socket;
      };
    }

    let running = true;
    let answered = 0;
    const failures: string[] = [];
    const client = async (agent: Agent, index: number) => {
      let n = 0;
      while (running) {
        const path = n++ % 2 === index % 2 ? '/stable' : '/dyn';
        const before = junction.server.status().version;
        try {
          const res = await get(junction.port, path, agent);
          const after = junction.server.status().version;
          // The transaction ran on a config in force at some point between sending and answering.
          const allowed = new Set<string>();
          for (let v = before; v <= after; v++)
            for (const b of allowedByVersion.get(v)?.[path] ?? []) allowed.add(b);
          if (res.status !== 200) failures.push(`${path}: status ${res.status} ${res.body}`);
          else if (!allowed.has(res.body)) {
            failures.push(
              `${path}: answered by ${res.body}, versions ${before}..${after} allow ${[...allowed].join(',')}`,
            );
          }
          answered++;
        } catch (error) {
          failures.push(`${path}: ${(error as Error).message}`);
        }
      }
    };
    const clients = agents.map((agent, i) => client(agent, i));
    await waitFor(() => answered >= CLIENTS * 2, { timeoutMs: 5_000 });

    for (let n = 1; n <= 50; n++) {
      const next = configFor(n);
      const version = junction.server.status().version + 1;
      allowedByVersion.set(version, next.allowed);
      const result = await reloadYaml(junction, next.yaml);
      expect(result.version).toBe(version);
      if (n % 2 === 0) {
        // The route added by this reload serves at once.
        const extra = await request(junction.port, { path: '/extra' });
        expect(extra.status).toBe(200);
        expect(extra.text).toBe(name(5));
      } else {
        expect((await request(junction.port, { path: '/extra' })).status).toBe(404);
      }
      // Let some traffic through on each config.
      const seen = answered;
      await waitFor(() => answered >= seen + CLIENTS, { timeoutMs: 5_000 });
    }
    running = false;
    await withTimeout(Promise.all(clients), 10_000, 'clients to finish');

    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(50 * CLIENTS);
    // Every client kept its one keep-alive connection through all 50 reloads.
    expect(socketsOpened).toBe(CLIENTS);
    expect(socketsClosed).toBe(0);
    expect(junction.server.status().version).toBe(51);
    // The unchanged cluster kept its pools: a handful of connections to b0 and b1, not one per config.
    expect(pool[0]!.connections + pool[1]!.connections).toBeLessThanOrEqual(2 * CLIENTS);
  }, 60_000);
});

describe('what a reload carries over', () => {
  test('an unchanged cluster keeps its pooled connections and its passive health', async () => {
    const alive = await echoBackend('alive');
    onTestFinished(() => alive.close());
    const deadPort = await closedPort();
    const yaml = (extra: string) => `${LISTENER}
routes:
  - { name: app, cluster: app }
${extra}
clusters:
  app: { backends: ["127.0.0.1:${deadPort}", "${alive.address}"] }
  other: { backends: ["${alive.address}"] }
`;
    const junction = await startJunctionFromYaml(yaml(''));
    onTestFinished(() => junction.close());
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    onTestFinished(() => {
      agent.destroy();
    });
    for (let i = 0; i < 6; i++) expect((await request(junction.port, { agent })).status).toBe(200);
    const dead = () => junction.server.upstreams().find((u) => u.address === `127.0.0.1:${deadPort}`)!;
    expect(dead().ejected).toBe(true);
    const connections = alive.connections;

    const result = await reloadYaml(
      junction,
      yaml('  - { name: more, match: { path: /more }, cluster: other }'),
    );
    expect(result.diff.routes.added).toEqual(['more']);
    expect(result.diff.clusters.modified).toEqual([]);

    // Still ejected, with its failures counted: the reload did not reset passive health.
    expect(dead().ejected).toBe(true);
    expect(dead().failures).toBe(3);
    for (let i = 0; i < 4; i++) expect((await request(junction.port, { agent })).status).toBe(200);
    // And the pooled connection to the live backend was reused, not reopened.
    expect(alive.connections).toBe(connections);
  });

  test('a changed cluster keeps the state of its unchanged backends', async () => {
    const [b0, b1] = await backends(2);
    const deadPort = await closedPort();
    const yaml = (backendsYaml: string) => `${LISTENER}
routes: [{ name: app, cluster: app }]
clusters:
  app: { backends: [${backendsYaml}] }
`;
    const junction = await startJunctionFromYaml(yaml(`"127.0.0.1:${deadPort}", "${b0!.address}"`));
    onTestFinished(() => junction.close());
    for (let i = 0; i < 6; i++) expect((await request(junction.port)).status).toBe(200);
    const result = await reloadYaml(
      junction,
      yaml(`"127.0.0.1:${deadPort}", "${b0!.address}", "${b1!.address}"`),
    );
    expect(result.diff.clusters.modified).toEqual(['app']);
    expect(result.diff.backends.added).toEqual([`app/${b1!.address}`]);
    const dead = junction.server.upstreams().find((u) => u.address === `127.0.0.1:${deadPort}`)!;
    expect(dead.ejected).toBe(true);
    const live = junction.server.upstreams().find((u) => u.address === b0!.address)!;
    expect(live.requests).toBeGreaterThanOrEqual(6);
  });
});

describe('strategies across a reload', () => {
  test("a route's inline strategy whose options changed is a new strategy, though its cluster is kept", async () => {
    const [b0, b1] = await backends(2);
    const yaml = (cookie: string) => `${LISTENER}
routes:
  - { name: sticky, match: { path: /s/ }, cluster: app, strategy: { kind: sticky-cookie, cookie: ${cookie} } }
  - { name: app, cluster: app }
clusters:
  app: { backends: ["${b0!.address}", "${b1!.address}"] }
`;
    const junction = await startJunctionFromYaml(yaml('S1'));
    onTestFinished(() => junction.close());
    const cookieName = async (): Promise<string | undefined> =>
      (await request(junction.port, { path: '/s/x' })).headers['set-cookie']?.[0]?.split('=')[0];
    expect(await cookieName()).toBe('S1');

    const result = await reloadYaml(junction, yaml('S2'));
    expect(result.diff.routes.modified).toEqual(['sticky']);
    expect(result.diff.clusters.modified).toEqual([]);
    expect(await cookieName()).toBe('S2');
  });
});

describe('a bad reload', () => {
  test('a config that fails validation is refused with file:line:column and the old one keeps serving', async () => {
    const [b0] = await backends(1);
    const junction = await startJunctionFromYaml(`${LISTENER}
routes: [{ name: app, cluster: app }]
clusters:
  app: { backends: ["${b0!.address}"] }
`);
    onTestFinished(() => junction.close());
    const error = await loadConfigText(
      `${LISTENER}\nroutes: [{ name: app, cluster: nowhere }]\nclusters:\n  app: { backends: ["${b0!.address}"] }\n`,
      'bad.yaml',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigErrors);
    expect((error as ConfigErrors).message).toMatch(/^bad\.yaml:2:\d+: /);
    expect(junction.server.status().version).toBe(1);
    expect((await request(junction.port)).text).toBe('b0');
  });

  test('a config whose new listener cannot bind is refused whole: version, routes and listeners unchanged', async () => {
    const [b0, b1] = await backends(2);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) =>
          taken.close(() => {
            resolve();
          }),
        ),
    );
    const takenPort = (taken.address() as { port: number }).port;
    const junction = await startJunctionFromYaml(`${LISTENER}
routes: [{ name: app, cluster: app }]
clusters:
  app: { backends: ["${b0!.address}"] }
`);
    onTestFinished(() => junction.close());
    const refused = reloadYaml(
      junction,
      `listeners:
  - { name: main, address: 127.0.0.1, port: 0 }
  - { name: clash, address: 127.0.0.1, port: ${takenPort} }
routes: [{ name: app, cluster: app }]
clusters:
  app: { backends: ["${b1!.address}"] }
`,
    );
    await expect(refused).rejects.toBeInstanceOf(ReloadError);
    await expect(refused).rejects.toMatchObject({ code: 'JCT_ERR_RELOAD_FAILED' });
    expect(junction.server.status().version).toBe(1);
    expect(junction.server.listeners.map((l) => l.name)).toEqual(['main']);
    expect((await request(junction.port)).text).toBe('b0');
    // The next good reload still applies.
    const applied = await reloadYaml(
      junction,
      `${LISTENER}\nroutes: [{ name: app, cluster: app }]\nclusters:\n  app: { backends: ["${b1!.address}"] }\n`,
    );
    expect(applied.version).toBe(2);
    expect((await request(junction.port)).text).toBe('b1');
  });
});

describe('listeners at runtime', () => {
  test('a listener added by a reload accepts; removed, it stops accepting while its open session finishes', async () => {
    const [b0] = await backends(1);
    const slow = await echoBackend('slow', { delayMs: 400 });
    onTestFinished(() => slow.close());
    const base = `routes:
  - { name: slow, match: { path: /slow }, cluster: slow }
  - { name: app, cluster: app }
clusters:
  app: { backends: ["${b0!.address}"] }
  slow: { backends: ["${slow.address}"] }
`;
    const junction = await startJunctionFromYaml(`${LISTENER}\n${base}`);
    onTestFinished(() => junction.close());

    const added = await reloadYaml(
      junction,
      `listeners:\n  - { name: main, address: 127.0.0.1, port: 0 }\n  - { name: second, address: 127.0.0.1, port: 0 }\n${base}`,
    );
    expect(added.diff.listeners.added).toEqual(['second']);
    const second = junction.server.listeners.find((l) => l.name === 'second')!;
    expect(second.port).not.toBe(junction.port);
    expect((await request(second.port)).text).toBe('b0');
    // The first listener was not touched.
    expect(junction.server.listeners.find((l) => l.name === 'main')!.port).toBe(junction.port);

    // A request in flight on the second listener when it is removed still gets its answer.
    const inFlight = request(second.port, { path: '/slow' });
    await waitFor(() => slow.requestsStarted === 1, { timeoutMs: 5_000 });
    const removed = await reloadYaml(junction, `${LISTENER}\n${base}`);
    expect(removed.diff.listeners.removed).toEqual(['second']);
    expect((await inFlight).status).toBe(200);
    await expect(connectTo(second.port, 2_000)).rejects.toThrow();
    expect((await request(junction.port)).text).toBe('b0');
  });
});

describe('a changed listener', () => {
  test('is rebound on its port with the new settings; the other listener and its connections are untouched', async () => {
    const [b0] = await backends(1);
    // Rebinding the same port is the point here, so take a free one rather than port 0.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const fixedPort = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => {
      probe.close(() => {
        resolve();
      });
    });
    const yaml = (maxConnections: number) => `listeners:
  - { name: main, address: 127.0.0.1, port: 0 }
  - { name: fixed, address: 127.0.0.1, port: ${fixedPort}, max_connections: ${maxConnections} }
routes: [{ name: app, cluster: app }]
clusters:
  app: { backends: ["${b0!.address}"] }
`;
    // The harness refuses fixed ports, rightly for everything else: start this one directly.
    const server = await startJunction(await loadConfigText(yaml(100), '<e2e>'));
    onTestFinished(() => server.close(1000));
    const mainPort = server.listeners.find((l) => l.name === 'main')!.port;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    onTestFinished(() => {
      agent.destroy();
    });
    expect((await get(mainPort, '/', agent)).body).toBe('b0');
    const requestsBefore = b0!.requestsStarted;

    const result = await server.reload(await loadConfigText(yaml(200), '<reload>'));
    expect(result.diff.listeners).toEqual({ added: [], removed: [], modified: ['fixed'] });
    expect(server.config.listeners.find((l) => l.name === 'fixed')!.maxConnections).toBe(200);
    expect(server.listeners.find((l) => l.name === 'fixed')!.port).toBe(fixedPort);
    expect((await request(fixedPort)).text).toBe('b0');
    // The main listener's keep-alive connection carried on.
    const again = await get(mainPort, '/', agent);
    expect(again.body).toBe('b0');
    expect(b0!.requestsStarted).toBe(requestsBefore + 2);
  });
});

describe('plugins across a reload', () => {
  test('the new config sets up new instances; the old ones hear onReplace, then are disposed', async () => {
    const [b0] = await backends(1);
    const events: string[] = [];
    let instances = 0;
    const plugin = definePlugin({
      name: 'tracker',
      setup(api) {
        const id = ++instances;
        events.push(`setup ${id}`);
        api.onReplace(() => events.push(`replace ${id}`));
        api.onDispose(() => {
          events.push(`dispose ${id}`);
        });
      },
    });
    const yaml = `${LISTENER}
plugins: [test:tracker]
routes: [{ name: app, cluster: app }]
clusters:
  app: { backends: ["${b0!.address}"] }
`;
    const junction = await startJunctionFromYaml(yaml, { plugins: { 'test:tracker': plugin } });
    onTestFinished(() => junction.close());
    const pluginModules = new Map([['test:tracker', { ok: true as const, definition: plugin }]]);
    // A changed config (an identical one is no reload at all).
    const changed = yaml.replace(
      'routes: [{ name: app, cluster: app }]',
      'routes: [{ name: app2, cluster: app }]',
    );
    await junction.server.reload(await loadConfigText(changed, '<reload>', { pluginModules }));
    expect(events.slice(0, 3)).toEqual(['setup 1', 'setup 2', 'replace 1']);
    await waitFor(() => events.includes('dispose 1'), { timeoutMs: 5_000 });
    expect((await request(junction.port)).text).toBe('b0');
    expect(events).not.toContain('dispose 2');
  });
});
