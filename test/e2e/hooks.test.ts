/**
 * Transaction hooks over real proxied requests: the order of the points (also on error paths and when
 * a hook answers early), global, route and per-transaction registration, asynchronous hooks, and
 * hooks that throw, reject or hang (a 500 for that transaction, nothing else).
 */
import { describe, expect, onTestFinished, test } from 'vitest';
import { definePlugin, TXN_HOOKS, type PluginDefinition } from '../../src/index.ts';
import { echoBackend, neverAnswerBackend, type HttpBackend } from '../support/backends.ts';
import { RawClient, request } from '../support/clients.ts';
import { capturedLogs } from '../support/logs.ts';
import { startJunctionFromYaml, type StartJunctionOptions } from '../support/start-junction.ts';

async function echo(name = 'b'): Promise<HttpBackend> {
  const backend = await echoBackend(name);
  onTestFinished(() => backend.close());
  return backend;
}

async function proxy(yaml: string, options: StartJunctionOptions) {
  const junction = await startJunctionFromYaml(yaml, options);
  onTestFinished(() => junction.close());
  return junction;
}

/** A plugin that records every hook point it sees, with a few facts known at each. */
function recorder(seen: string[]): PluginDefinition {
  return definePlugin({
    name: 'recorder',
    setup(api) {
      for (const name of TXN_HOOKS) {
        api.hook(name, (txn) => {
          const facts =
            name === 'post-remap'
              ? ` route=${txn.route} cluster=${txn.cluster}`
              : name === 'send-request' || name === 'os-dns'
                ? ` upstream=${txn.upstream === undefined ? 'none' : 'set'}`
                : name === 'read-response' || name === 'send-response'
                  ? ` status=${txn.response?.status}`
                  : '';
          seen.push(`${name}${facts}`);
        });
      }
    },
  });
}

const ONE_ROUTE = (backend: HttpBackend, extra = '') => `
plugins: [test:recorder${extra}]
routes: [{ name: main, match: { path: /app/ }, cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`;

describe('hook order', () => {
  test('a proxied request passes every point once, in the order of the state diagram', async () => {
    const backend = await echo();
    const seen: string[] = [];
    const junction = await proxy(ONE_ROUTE(backend), { plugins: { 'test:recorder': recorder(seen) } });
    expect((await request(junction.port, { path: '/app/x' })).status).toBe(200);
    expect(seen).toEqual([
      'txn-start',
      'read-request',
      'pre-remap',
      'remap',
      'post-remap route=main cluster=app',
      // No route caches (and so no cache points); os-dns once the backend is chosen.
      'os-dns upstream=set',
      'send-request upstream=set',
      'read-response status=200',
      'send-response status=200',
      'txn-close',
    ]);
  });

  test('no route: send-response sees the 404, then txn-close; no remap, no upstream points', async () => {
    const backend = await echo();
    const seen: string[] = [];
    const junction = await proxy(ONE_ROUTE(backend), { plugins: { 'test:recorder': recorder(seen) } });
    expect((await request(junction.port, { path: '/elsewhere' })).status).toBe(404);
    expect(seen).toEqual(['txn-start', 'read-request', 'pre-remap', 'send-response status=404', 'txn-close']);
    expect(backend.requests).toHaveLength(0);
  });

  test('a hook that answers early: the upstream is never asked, later request points are skipped', async () => {
    const backend = await echo();
    const seen: string[] = [];
    const deny = definePlugin({
      name: 'deny',
      setup(api) {
        api.hook('read-request', (txn) => {
          if (txn.request.headers.get('authorization') === undefined) {
            txn.respond({ status: 401, headers: { 'www-authenticate': 'Bearer' }, body: 'who are you?\n' });
          }
        });
      },
    });
    const junction = await proxy(
      `
plugins: [test:deny, test:recorder]
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
      { plugins: { 'test:deny': deny, 'test:recorder': recorder(seen) } },
    );
    const denied = await request(junction.port);
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer');
    expect(denied.text).toBe('who are you?\n');
    // The recorder's read-request hook comes after deny's and is skipped once deny answered.
    expect(seen).toEqual(['txn-start', 'send-response status=401', 'txn-close']);
    expect(backend.requests).toHaveLength(0);

    seen.length = 0;
    expect((await request(junction.port, { headers: { authorization: 'Bearer x' } })).status).toBe(200);
    expect(seen).toHaveLength(10);
  });
});

describe('registration', () => {
  test("a route plugin's hooks run for its route only, from remap on", async () => {
    const backend = await echo();
    const seen: string[] = [];
    const stamp = definePlugin({
      name: 'stamp',
      parseConfig(raw) {
        const value = (raw as { value?: unknown } | undefined)?.value;
        if (typeof value !== 'string') throw new Error('value must be a string');
        return { value };
      },
      setup(api) {
        api.hook('remap', () => {
          seen.push(`remap ${api.route}`);
        });
        api.hook('send-request', (txn) => {
          txn.request.headers.set('x-stamp', api.config.value);
        });
        api.hook('send-response', (txn) => txn.response?.headers.set('x-stamped', api.config.value));
      },
    });
    const junction = await proxy(
      `
routes:
  - { name: stamped, match: { path: /s/ }, cluster: app, plugins: [{ module: test:stamp, config: { value: on-s } }] }
  - { name: plain, cluster: app }
clusters:
  app: { backends: ["${backend.address}"] }
`,
      { plugins: { 'test:stamp': stamp } },
    );
    const stamped = await request(junction.port, { path: '/s/1' });
    const plain = await request(junction.port, { path: '/p/1' });
    expect(stamped.headers['x-stamped']).toBe('on-s');
    expect(plain.headers['x-stamped']).toBeUndefined();
    expect(backend.requests.map((r) => r.headers['x-stamp'])).toEqual(['on-s', undefined]);
    expect(seen).toEqual(['remap stamped']);
  });

  test('a hook adds a hook for later in the same transaction only', async () => {
    const backend = await echo();
    const flagger = definePlugin({
      name: 'flagger',
      setup(api) {
        api.hook('read-request', (txn) => {
          if (txn.request.headers.has('x-flag')) {
            txn.addHook('send-response', (later) => later.response?.headers.set('x-flagged', 'yes'));
          }
        });
      },
    });
    const junction = await proxy(
      `plugins: [test:flagger]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: ["${backend.address}"] }\n`,
      { plugins: { 'test:flagger': flagger } },
    );
    const client = await RawClient.connect(junction.port);
    onTestFinished(() => client.close());
    const flagged = await client.exchange('GET /a HTTP/1.1\r\nHost: x\r\nX-Flag: 1\r\n\r\n');
    const unflagged = await client.exchange('GET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(flagged.headers['x-flagged']).toBe('yes');
    expect(unflagged.headers['x-flagged']).toBeUndefined();
  });

  test('hooks choose the cluster and the upstream, rewrite the path, and redirect', async () => {
    const a = await echo('a');
    const b1 = await echo('b1');
    const b2 = await echo('b2');
    const chooser = definePlugin({
      name: 'chooser',
      setup(api) {
        api.hook('read-request', (txn) => {
          if (txn.request.path === '/old') txn.redirect('/new', 301);
          if (txn.request.path.startsWith('/v1/')) txn.request.setPath(txn.request.path.slice(3));
        });
        api.hook('post-remap', (txn) => {
          if (txn.request.headers.get('x-cluster') === 'b') {
            txn.setCluster('b');
            txn.setUpstream('second');
          }
        });
      },
    });
    const junction = await proxy(
      `
plugins: [test:chooser]
routes: [{ cluster: a }]
clusters:
  a: { backends: ["${a.address}"] }
  b: { backends: [{ address: "${b1.address}", id: first }, { address: "${b2.address}", id: second }] }
`,
      { plugins: { 'test:chooser': chooser } },
    );
    const moved = await request(junction.port, { path: '/old' });
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe('/new');
    for (let i = 0; i < 3; i++)
      await request(junction.port, { path: '/v1/x', headers: { 'x-cluster': 'b' } });
    expect(b2.requests.map((r) => r.url)).toEqual(['/x', '/x', '/x']);
    expect(b1.requests).toHaveLength(0);
    expect(a.requests).toHaveLength(0);
  });
});

describe('asynchronous hooks', () => {
  test('async hooks at request and response points, with bodies both ways intact', async () => {
    const backend = await echo();
    const slow = definePlugin({
      name: 'slow',
      setup(api) {
        api.hook('read-request', async (txn) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          txn.request.headers.set('x-checked', 'async');
        });
        api.hook('read-response', async (txn) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          txn.response?.headers.set('x-seen', String(txn.response.status));
        });
      },
    });
    const junction = await proxy(
      `plugins: [test:slow]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: ["${backend.address}"] }\n`,
      { plugins: { 'test:slow': slow } },
    );
    const body = 'x'.repeat(200_000);
    const res = await request(junction.port, { method: 'PUT', path: '/up', body });
    expect(res.status).toBe(200);
    expect(res.headers['x-seen']).toBe('200');
    const reply = res.json() as { bodyLength: number; headers: Record<string, string> };
    expect(reply.bodyLength).toBe(body.length);
    expect(reply.headers['x-checked']).toBe('async');
  });
});

describe('failing hooks', () => {
  const failing = (kind: 'throws' | 'rejects' | 'hangs') =>
    definePlugin({
      name: `${kind}-plugin`,
      setup(api) {
        api.hook(
          'pre-remap',
          (txn) => {
            if (!txn.request.path.startsWith('/bad')) return;
            if (kind === 'throws') throw new Error('boom');
            if (kind === 'rejects') return Promise.reject(new Error('async boom'));
            return new Promise<void>(() => undefined);
          },
          { timeoutMs: 150 },
        );
      },
    });

  test.each(['throws', 'rejects', 'hangs'] as const)(
    'a hook that %s fails its transaction with a 500 and a log line naming the plugin; others go on',
    async (kind) => {
      const backend = await echo();
      const { logger, lines } = capturedLogs('error');
      const junction = await proxy(
        `plugins: [test:failing]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: ["${backend.address}"] }\n`,
        { plugins: { 'test:failing': failing(kind) }, logger },
      );
      const started = Date.now();
      const [bad, good] = await Promise.all([
        request(junction.port, { path: '/bad' }),
        request(junction.port, { path: '/good' }),
      ]);
      expect(bad.status).toBe(500);
      expect(good.status).toBe(200);
      if (kind === 'hangs') expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(backend.requests.map((r) => r.url)).toEqual(['/good']);
      const line = lines.find((l) => l['code'] === 'JCT_ERR_HOOK_FAILED');
      expect(line).toMatchObject({ plugin: `${kind}-plugin`, hook: 'pre-remap' });
      // The server still serves.
      expect((await request(junction.port, { path: '/again' })).status).toBe(200);
    },
  );

  test('a header change a hook may not make (framing) is a failure, not a smuggled length', async () => {
    const backend = await echo();
    const smuggler = definePlugin({
      name: 'smuggler',
      setup(api) {
        api.hook('send-request', (txn) => {
          txn.request.headers.set('content-length', '0');
        });
      },
    });
    const junction = await proxy(
      `plugins: [test:smuggler]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: ["${backend.address}"] }\n`,
      { plugins: { 'test:smuggler': smuggler } },
    );
    expect((await request(junction.port)).status).toBe(500);
    expect(backend.requests).toHaveLength(0);
  });
});

describe('plugin lifecycle', () => {
  test('setup, post-load, session hooks, and dispose on close', async () => {
    const backend = await echo();
    const events: string[] = [];
    const lifecycle = definePlugin({
      name: 'lifecycle',
      setup(api) {
        events.push('setup');
        api.onPostLoad((config) => {
          events.push(`post-load ${config.routes.join(',')}`);
        });
        api.onSession({
          start: () => events.push('session start'),
          close: () => events.push('session close'),
        });
        api.onUpstream({ open: () => events.push('upstream open') });
        api.onDispose(() => {
          events.push('dispose');
        });
      },
    });
    const junction = await startJunctionFromYaml(
      `plugins: [test:lifecycle]\nroutes: [{ name: r, cluster: app }]\nclusters:\n  app: { backends: ["${backend.address}"] }\n`,
      { plugins: { 'test:lifecycle': lifecycle } },
    );
    expect(events).toEqual(['setup', 'post-load r']);
    const client = await RawClient.connect(junction.port);
    await client.exchange('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.close();
    await junction.close();
    expect(events).toEqual([
      'setup',
      'post-load r',
      'session start',
      'upstream open',
      'session close',
      'dispose',
    ]);
  });

  test('a plugin whose setup fails stops the start with its name', async () => {
    const broken = definePlugin({
      name: 'broken',
      setup() {
        throw new Error('no database');
      },
    });
    await expect(
      startJunctionFromYaml('plugins: [test:broken]\n', { plugins: { 'test:broken': broken } }),
    ).rejects.toThrow("plugin 'broken' (test:broken) failed to set up: no database");
  });
});

describe('edges a plugin author can hit', () => {
  test('respond() refuses injected or framing fields: the hook fails, nothing is injected', async () => {
    const backend = await echo();
    const injector = definePlugin({
      name: 'injector',
      setup(api) {
        api.hook('read-request', (txn) => {
          const value = txn.request.path === '/crlf' ? 'a\r\nSet-Cookie: evil=1' : 'x';
          const name = txn.request.path === '/length' ? 'Content-Length' : 'X-Note';
          txn.respond({ status: 200, headers: { [name]: value }, body: 'ok' });
        });
      },
    });
    const junction = await proxy(
      `plugins: [test:injector]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: ["${backend.address}"] }\n`,
      { plugins: { 'test:injector': injector } },
    );
    const crlf = await request(junction.port, { path: '/crlf' });
    expect(crlf.status).toBe(500);
    expect(crlf.headers['set-cookie']).toBeUndefined();
    expect((await request(junction.port, { path: '/length' })).status).toBe(500);
    const fine = await request(junction.port, { path: '/fine' });
    expect([fine.status, fine.headers['x-note'], fine.text]).toEqual([200, 'x', 'ok']);
  });

  test("a send-response hook replaces Junction's own 404; respond-then-throw is a 500; txn-close runs for both", async () => {
    const backend = await echo();
    const closes: string[] = [];
    const replacer = definePlugin({
      name: 'replacer',
      setup(api) {
        api.hook('read-request', (txn) => {
          if (txn.request.path === '/respond-throw') {
            txn.respond({ status: 200, body: 'never' });
            throw new Error('after respond');
          }
        });
        api.hook('send-response', (txn) => {
          if (txn.response?.status === 404) txn.respond({ status: 410, body: 'gone\n' });
        });
        api.hook('txn-close', (txn) => {
          closes.push(`${txn.request.path} ${txn.upstream === undefined ? 'no-upstream' : 'upstream'}`);
        });
      },
    });
    const junction = await proxy(
      `plugins: [test:replacer]\nroutes: [{ match: { path: /app/ }, cluster: app }]\nclusters:\n  app: { backends: ["${backend.address}"] }\n`,
      { plugins: { 'test:replacer': replacer } },
    );
    const gone = await request(junction.port, { path: '/nowhere' });
    expect([gone.status, gone.text]).toEqual([410, 'gone\n']);
    expect((await request(junction.port, { path: '/respond-throw' })).status).toBe(500);
    expect((await request(junction.port, { path: '/app/x' })).status).toBe(200);
    expect(closes).toEqual(['/nowhere no-upstream', '/respond-throw no-upstream', '/app/x upstream']);
  });

  test('a HEAD answered by Junction gets no body, so the connection stays in step', async () => {
    const backend = await echo();
    const seen: string[] = [];
    const junction = await proxy(ONE_ROUTE(backend), { plugins: { 'test:recorder': recorder(seen) } });
    const client = await RawClient.connect(junction.port);
    onTestFinished(() => client.close());
    await client.write('HEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n');
    const [head] = await client.readResponses(1, { requestMethods: ['HEAD'] });
    expect(head?.statusCode).toBe(404);
    // Body bytes after the HEAD's head would be read as the start of this response.
    const next = await client.exchange('GET /app/y HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(next.statusCode).toBe(200);
  });

  test("a route plugin's hook before remap is refused at setup, naming the plugin and route", async () => {
    const early = definePlugin({
      name: 'early',
      setup(api) {
        api.hook('read-request', () => undefined);
      },
    });
    await expect(
      startJunctionFromYaml(
        'routes: [{ name: r, cluster: c, plugins: [test:early] }]\nclusters:\n  c: { backends: ["127.0.0.1:1"] }\n',
        { plugins: { 'test:early': early } },
      ),
    ).rejects.toThrow(/route plugin's hooks start at remap; 'early' on route 'r' asked for read-request/);
  });
});

describe('choices a hook makes', () => {
  test('setRoute picks another route (and its cluster); setStrategy a named strategy; setTimeout a shorter wait', async () => {
    const a = await echo('a');
    const b1 = await echo('b1');
    const b2 = await echo('b2');
    const silent = await neverAnswerBackend();
    onTestFinished(() => silent.close());
    const chooser = definePlugin({
      name: 'chooser',
      setup(api) {
        api.hook('pre-remap', (txn) => {
          if (txn.request.headers.has('x-to-b')) txn.setRoute('to-b');
        });
        api.hook('post-remap', (txn) => {
          if (txn.request.headers.has('x-first')) txn.setStrategy('always-first');
          if (txn.request.path === '/slow') txn.setTimeout('backendResponseMs', 150);
        });
      },
    });
    const junction = await proxy(
      `
plugins: [test:chooser]
strategies:
  always-first: { kind: first-available }
routes:
  - { name: slow, match: { path: /slow }, cluster: silent }
  - { name: to-a, cluster: a }
  - { name: to-b, match: { path: /never-matched-by-path }, cluster: b }
clusters:
  a: { backends: ["${a.address}"] }
  b: { backends: ["${b1.address}", "${b2.address}"] }
  silent: { retry: { attempts: 1 }, backends: ["${silent.address}"] }
`,
      { plugins: { 'test:chooser': chooser } },
    );
    await request(junction.port, { path: '/x' });
    expect(a.requests).toHaveLength(1);
    for (let i = 0; i < 4; i++) await request(junction.port, { path: '/x', headers: { 'x-to-b': '1' } });
    // Round robin, the cluster's strategy: both backends of b.
    expect([b1.requests.length, b2.requests.length]).toEqual([2, 2]);
    for (let i = 0; i < 4; i++) {
      await request(junction.port, { path: '/x', headers: { 'x-to-b': '1', 'x-first': '1' } });
    }
    // first-available, chosen by the hook: always the first.
    expect([b1.requests.length, b2.requests.length]).toEqual([6, 2]);
    const started = Date.now();
    expect((await request(junction.port, { path: '/slow' })).status).toBe(504);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
