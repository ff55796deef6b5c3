/**
 * The admin API over real sockets: every resource read and changed, changes validated with field paths,
 * draining, listeners at runtime, the token, the public-address refusal, and writing back to the file.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { ConfigStore, startAdmin, type AdminServer } from '../../src/admin/index.ts';
import { loadConfigFile, loadConfigText } from '../../src/config/index.ts';
import { ConfigError, ConfigErrors } from '../../src/errors/index.ts';
import { startJunction, type ConfigDiff, type JunctionServer } from '../../src/server/index.ts';
import { silentLogger } from '../../src/log/index.ts';
import { countingBackend, echoBackend, type HttpBackend } from '../support/backends.ts';
import { connectTo, request } from '../support/clients.ts';
import { waitFor } from '../support/wait-for.ts';
import { createTestCa } from '../support/certs.ts';
import { connect as tlsConnect } from 'node:tls';

const TOKEN = 'test-token-0123456789abcdef';

/** The admin API's JSON answers, loosely: each test reads the fields its resource has. */
interface ApiAnswer {
  readonly version: number;
  readonly hash: string;
  readonly source: string;
  readonly drained: boolean;
  readonly diff: ConfigDiff;
  readonly error: { code: string; message: string; problems: { field: string; message: string }[] };
  readonly listeners: { name: string; port: number }[];
  readonly routes: unknown[];
  readonly clusters: unknown[];
  readonly upstreams: unknown[];
  readonly backends: { id: string; requests: number }[];
  readonly certificates: unknown[];
}

interface Admin {
  readonly server: JunctionServer;
  readonly admin: AdminServer;
  readonly store: ConfigStore;
  readonly file: string;
  readonly port: number;
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; json: ApiAnswer; text: string }>;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'junction-admin-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Junction from a config file with an admin section (port 0), and a client for its API. */
async function startWithAdmin(
  body: string,
  options: {
    token?: string;
    /** The `main` listener's extra keys (`tls: …`), and files to write beside the config. */
    listener?: string;
    files?: Record<string, string>;
  } = {},
): Promise<Admin> {
  const dir = await tempDir();
  const file = join(dir, 'junction.yaml');
  const tokenLine = options.token === undefined ? '' : `, token: ${options.token}`;
  for (const [name, text] of Object.entries(options.files ?? {})) await writeFile(join(dir, name), text);
  const listenerExtra = options.listener === undefined ? '' : `, ${options.listener}`;
  await writeFile(
    file,
    `listeners: [{ name: main, address: 127.0.0.1, port: 0${listenerExtra} }]\nadmin: { address: 127.0.0.1, port: 0${tokenLine} }\n${body}`,
  );
  const config = await loadConfigFile(file);
  const server = await startJunction(config, { logger: silentLogger() });
  onTestFinished(() => server.close(1000));
  const store = new ConfigStore(server, { file });
  const admin = await startAdmin(store, config.admin!);
  onTestFinished(() => admin.close());
  const call = async (
    method: string,
    path: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${admin.url}${path}`, {
      method,
      headers: {
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
    return { status: response.status, json: (isJson ? JSON.parse(text) : {}) as ApiAnswer, text };
  };
  return { server, admin, store, file, port: server.listeners[0]!.port, call };
}

async function backends(count: number): Promise<HttpBackend[]> {
  const started = await Promise.all(Array.from({ length: count }, (_, i) => countingBackend(`b${i}`)));
  for (const b of started) onTestFinished(() => b.close());
  return started;
}

describe('reading the state', () => {
  test('status, listeners, routes, clusters, backends and certificates', async () => {
    const [b0, b1] = await backends(2);
    const a = await startWithAdmin(`routes:
  - { name: api, match: { host: api.example.com, path: /v1/ }, cluster: api }
clusters:
  api: { strategy: round-robin, backends: ["${b0!.address}", { address: "${b1!.address}", weight: 2, id: second }] }
`);
    expect((await request(a.port, { path: '/v1/x', headers: { host: 'api.example.com' } })).status).toBe(200);

    const status = await a.call('GET', '/status');
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({
      version: 1,
      file: a.file,
      unsaved: false,
      listeners: 1,
      routes: 1,
      clusters: 1,
      backends: 2,
      backendsUp: 2,
    });
    expect(status.json.hash).toMatch(/^[0-9a-f]{16}$/);

    const listeners = await a.call('GET', '/listeners');
    expect(listeners.json.listeners).toEqual([
      expect.objectContaining({ name: 'main', kind: 'http', address: '127.0.0.1', port: a.port }),
    ]);
    const routes = await a.call('GET', '/routes');
    expect(routes.json.routes).toEqual([
      expect.objectContaining({
        name: 'api',
        cluster: 'api',
        hosts: ['api.example.com'],
        path: { prefix: '/v1/' },
      }),
    ]);
    const clusters = await a.call('GET', '/clusters');
    expect(clusters.json.clusters).toEqual([
      expect.objectContaining({
        name: 'api',
        strategy: 'round-robin',
        backends: 2,
        backendsUp: 2,
        requests: 1,
      }),
    ]);
    const cluster = await a.call('GET', '/clusters/api');
    expect(cluster.json.upstreams).toHaveLength(2);
    const list = await a.call('GET', '/clusters/api/backends');
    expect(list.json.backends.map((b) => b.id)).toEqual([b0!.address, 'second']);
    expect(list.json.backends.reduce((n, b) => n + b.requests, 0)).toBe(1);
    expect((await a.call('GET', '/certificates')).json).toEqual({ certificates: [] });
    expect((await a.call('PUT', '/certificates/main/x', { cert: 'no', key: 'no' })).status).toBe(400);

    expect((await a.call('GET', '/clusters/nope/backends')).status).toBe(404);
    expect((await a.call('GET', '/nothing')).status).toBe(404);
    expect((await a.call('PATCH', '/routes/api')).status).toBe(405);
  });
});

describe('changing the config', () => {
  test('routes and clusters are added, replaced and removed; invalid changes name the field and change nothing', async () => {
    const [b0, b1] = await backends(2);
    const a = await startWithAdmin(`routes:
  - { name: app, match: { path: / }, cluster: app }
clusters:
  app: { backends: ["${b0!.address}"] }
`);
    const putCluster = await a.call('PUT', '/clusters/other', { backends: [b1!.address] });
    expect(putCluster.status).toBe(200);
    expect(putCluster.json.version).toBe(2);
    expect(putCluster.json.diff.clusters.added).toEqual(['other']);

    const putRoute = await a.call('PUT', '/routes/other', { match: { path: '/other' }, cluster: 'other' });
    expect(putRoute.status).toBe(200);
    expect(putRoute.json.diff.routes.added).toEqual(['other']);
    // Replacing a route keeps its place; the longer prefix wins.
    const replaced = await a.call('PUT', '/routes/app', { match: { path: '/' }, cluster: 'app' });
    expect(replaced.json.diff.routes).toEqual({ added: [], removed: [], modified: [] });
    expect((await request(a.port, { path: '/other' })).text).toBe('b1');
    expect((await request(a.port, { path: '/' })).text).toBe('b0');

    // Invalid: each problem names its field, relative to the body when it lies inside it.
    const bad = await a.call('PUT', '/routes/broken', { match: { path: 'no-slash' }, cluster: 'missing' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('JCT_ERR_ADMIN_BAD_REQUEST');
    const fields = bad.json.error.problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['body.match.path', 'body.cluster']));
    // A cluster a route still uses cannot go: the problem names the route's field.
    const inUse = await a.call('DELETE', '/clusters/app');
    expect(inUse.status).toBe(400);
    expect(inUse.json.error.problems).toHaveLength(1);
    expect(inUse.json.error.problems[0]!.field).toMatch(/^routes\[\d\]\.cluster$/);
    // Three changes applied; the route replaced by an identical one changed nothing, so no version.
    expect(a.server.status().version).toBe(3);
    expect((await request(a.port, { path: '/' })).text).toBe('b0');

    expect((await a.call('DELETE', '/routes/other')).status).toBe(200);
    const removed = await a.call('DELETE', '/clusters/other');
    expect(removed.json.diff.clusters.removed).toEqual(['other']);
    expect((await a.call('DELETE', '/routes/other')).status).toBe(404);
    expect((await a.call('PUT', '/routes/x', [1, 2])).status).toBe(400);
    const status = await a.call('GET', '/status');
    expect(status.json).toMatchObject({ version: 5, routes: 1, clusters: 1, unsaved: true });
  });

  test('backends are added and removed', async () => {
    const [b0, b1] = await backends(2);
    const a = await startWithAdmin(`routes: [{ name: app, cluster: app }]
clusters:
  app: { strategy: round-robin, backends: ["${b0!.address}"] }
`);
    const added = await a.call('POST', '/clusters/app/backends', { address: b1!.address, id: 'one' });
    expect(added.status).toBe(200);
    expect(added.json.diff.backends.added).toEqual(['app/one']);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await request(a.port)).text);
    expect(seen).toEqual(new Set(['b0', 'b1']));
    const removed = await a.call('DELETE', `/clusters/app/backends/${encodeURIComponent(b0!.address)}`);
    expect(removed.json.diff.backends.removed).toEqual([`app/${b0!.address}`]);
    for (let i = 0; i < 4; i++) expect((await request(a.port)).text).toBe('b1');
    expect((await a.call('DELETE', '/clusters/app/backends/nope')).status).toBe(404);
    expect(
      (await a.call('POST', '/clusters/app/backends', { address: 'not an address' })).json.error.problems,
    ).toEqual([expect.objectContaining({ field: 'body.address' })]);
  });

  test('draining a backend: no new picks, its in-flight requests finish, then it is removed', async () => {
    const slow = await echoBackend('slow', { delayMs: 600 });
    onTestFinished(() => slow.close());
    const [fast] = await backends(1);
    const a = await startWithAdmin(`routes:
  - { name: app, cluster: app }
clusters:
  app: { strategy: round-robin, backends: [{ address: "${slow.address}", id: slow }, "${fast!.address}"] }
`);
    // Round robin: the first request goes to the slow backend (its first in the list) and stays in flight.
    const inFlight = request(a.port, { path: '/long' });
    await waitFor(() => slow.requestsStarted === 1, { timeoutMs: 5_000 });
    const drain = a.call('POST', '/clusters/app/backends/slow/drain');
    await waitFor(() => a.server.upstreams().find((u) => u.id === 'slow')?.draining === true, {
      timeoutMs: 5_000,
    });
    // While it drains, new requests all go to the other backend.
    for (let i = 0; i < 4; i++) expect((await request(a.port)).text).toBe('b0');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect((answer.json() as { backend: string }).backend).toBe('slow');
    const drained = await drain;
    expect(drained.status).toBe(200);
    expect(drained.json.drained).toBe(true);
    expect(drained.json.diff.backends.removed).toEqual(['app/slow']);
    expect(a.server.upstreams().map((u) => u.id)).toEqual([fast!.address]);
    expect(slow.requestsStarted).toBe(1);
  });

  test('listeners are added and removed at runtime', async () => {
    const [b0] = await backends(1);
    const a = await startWithAdmin(`routes: [{ name: app, cluster: app }]
clusters:
  app: { backends: ["${b0!.address}"] }
`);
    const added = await a.call('PUT', '/listeners/extra', { address: '127.0.0.1', port: 0 });
    expect(added.json.diff.listeners.added).toEqual(['extra']);
    const extra = (await a.call('GET', '/listeners')).json.listeners.find((l) => l.name === 'extra')!;
    expect((await request(extra.port)).text).toBe('b0');
    const removed = await a.call('DELETE', '/listeners/extra');
    expect(removed.json.diff.listeners.removed).toEqual(['extra']);
    await expect(connectTo(extra.port, 2_000)).rejects.toThrow();
    expect((await request(a.port)).text).toBe('b0');
    expect((await a.call('DELETE', '/listeners/main')).json.error.problems[0]!.field).toBe('listeners');
    // A valid change that cannot be applied: the port is taken (by the admin API itself).
    const clash = await a.call('PUT', '/listeners/clash', { address: '127.0.0.1', port: a.admin.port });
    expect(clash.status).toBe(409);
    expect(clash.json.error.code).toBe('JCT_ERR_RELOAD_FAILED');
    expect(a.server.listeners.map((l) => l.name)).toEqual(['main']);
  });
});

describe('the config file', () => {
  test('export as YAML, save to the file (keeping a backup), and reload from it', async () => {
    const [b0, b1] = await backends(2);
    const a = await startWithAdmin(`routes: [{ name: app, cluster: app }]
clusters:
  app: { backends: ["${b0!.address}"] }
`);
    const original = await readFile(a.file, 'utf8');
    await a.call('POST', '/clusters/app/backends', b1!.address);
    await a.call('DELETE', `/clusters/app/backends/${encodeURIComponent(b0!.address)}`);
    const exported = await a.call('GET', '/config');
    expect(exported.status).toBe(200);
    expect(exported.text).toContain(b1!.address);
    expect(exported.text).not.toContain(b0!.address);

    const saved = await a.call('POST', '/config/save');
    expect(saved.json).toEqual({ file: a.file, backup: `${a.file}.bak` });
    expect(await readFile(a.file, 'utf8')).toBe(exported.text);
    expect(await readFile(`${a.file}.bak`, 'utf8')).toBe(original);
    expect(existsSync(`${a.file}.${process.pid}.tmp`)).toBe(false);
    // A restart would serve what the API changed.
    const restarted = await loadConfigFile(a.file);
    expect(restarted.clusters.get('app')!.backends.map((b) => b.id)).toEqual([b1!.address]);

    // Edit the file by hand and reload through the API.
    await writeFile(a.file, exported.text.replace(b1!.address, b0!.address));
    const reloaded = await a.call('POST', '/reload');
    expect(reloaded.status).toBe(200);
    expect(reloaded.json.source).toBe(a.file);
    expect((await request(a.port)).text).toBe('b0');

    // A broken file is refused with file:line:column, and the running config stays.
    await writeFile(a.file, 'listeners: [{ port: 0 }]\nroutes: [{ cluster: nowhere }]\n');
    const refused = await a.call('POST', '/reload');
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toContain(`${a.file}:2:`);
    expect((await request(a.port)).text).toBe('b0');
  });
});

describe('access', () => {
  test('with a token, requests without it or with a wrong one get 401', async () => {
    const a = await startWithAdmin('', { token: TOKEN });
    const missing = await fetch(`${a.admin.url}/status`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe(
      'JCT_ERR_ADMIN_UNAUTHORIZED',
    );
    const wrong = await fetch(`${a.admin.url}/routes/x`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer not-the-token-at-all' },
    });
    expect(wrong.status).toBe(401);
    expect(a.server.status().version).toBe(1);
    expect((await a.call('GET', '/status')).status).toBe(200);
  });

  test('requests from a browser page are refused', async () => {
    const a = await startWithAdmin('');
    expect((await a.call('GET', '/status', undefined, { origin: 'http://evil.example' })).status).toBe(401);
    expect((await a.call('GET', '/status')).status).toBe(200);
  });

  test('a public address without a token is refused, in the config file and in code', async () => {
    const error = await loadConfigText(
      'listeners: [{ port: 0 }]\nadmin:\n  address: 0.0.0.0\n  port: 0\n',
      'public.yaml',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigErrors);
    expect((error as ConfigErrors).message).toMatch(/^public\.yaml:3:\d+: .*only with a token/);

    const config = await loadConfigText('listeners: [{ address: 127.0.0.1, port: 0 }]\n', '<e2e>');
    const server = await startJunction(config, { logger: silentLogger() });
    onTestFinished(() => server.close(0));
    await expect(
      startAdmin(new ConfigStore(server), { address: '0.0.0.0', port: 0, token: undefined }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('examples/admin.yaml', () => {
  test('starts with its admin API, which lists its routes and clusters', async () => {
    const text = await readFile(new URL('../../examples/admin.yaml', import.meta.url), 'utf8');
    const config = await loadConfigText(text.replace(/port: \d+/g, 'port: 0'), 'examples/admin.yaml');
    expect(config.admin).toEqual({ address: '127.0.0.1', port: 0, token: undefined });
    const server = await startJunction(config, { logger: silentLogger() });
    onTestFinished(() => server.close(0));
    const admin = await startAdmin(new ConfigStore(server), config.admin!);
    onTestFinished(() => admin.close());
    const routes = (await (await fetch(`${admin.url}/routes`)).json()) as { routes: { name: string }[] };
    expect(routes.routes.map((r) => r.name)).toEqual(['api', 'default']);
    const clusters = (await (await fetch(`${admin.url}/clusters`)).json()) as {
      clusters: { name: string }[];
    };
    expect(clusters.clusters.map((c) => c.name)).toEqual(['api']);
  });
});

/** The DNS names of the certificate an HTTPS listener serves for `servername`. */
async function servedNames(port: number, servername: string, ca: string): Promise<string> {
  const socket = tlsConnect({ host: '127.0.0.1', port, servername, ca });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => {
        resolve();
      });
      socket.once('error', reject);
    });
    return socket.getPeerCertificate().subjectaltname ?? '';
  } finally {
    socket.destroy();
  }
}

describe('certificates', () => {
  test('listed, added, replaced (a bad replacement changes nothing) and removed at runtime', async () => {
    const ca = createTestCa('Junction admin Test CA');
    onTestFinished(() => {
      ca.close();
    });
    const first = ca.issue(['a.example.test']);
    const second = ca.issue(['b.example.test']);
    const renewed = ca.issue(['b.example.test', 'c.example.test']);
    const a = await startWithAdmin(
      `routes: [{ cluster: app }]\nclusters:\n  app: { backends: ["127.0.0.1:9"] }\n`,
      {
        listener: 'tls: { certificates: [{ cert_file: a.pem, key_file: a.key }] }',
        files: { 'a.pem': first.cert, 'a.key': first.key },
      },
    );
    const listed = await a.call('GET', '/certificates');
    expect(listed.json.certificates).toEqual([
      expect.objectContaining({
        listener: 'main',
        id: 'a.example.test',
        names: ['a.example.test'],
        isDefault: true,
      }),
    ]);

    const added = await a.call('PUT', '/certificates/main/b', { cert: second.cert, key: second.key });
    expect(added.status).toBe(200);
    expect(added.json).toMatchObject({
      replaced: false,
      certificate: { id: 'b', names: ['b.example.test'] },
    });
    expect(await servedNames(a.port, 'b.example.test', ca.cert)).toBe(
      'DNS:b.example.test, IP Address:127.0.0.1',
    );

    // A key that belongs to another certificate: refused, and b keeps serving.
    const bad = await a.call('PUT', '/certificates/main/b', { cert: renewed.cert, key: first.key });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('JCT_ERR_ADMIN_BAD_REQUEST');
    expect(await servedNames(a.port, 'b.example.test', ca.cert)).toBe(
      'DNS:b.example.test, IP Address:127.0.0.1',
    );
    const missing = await a.call('PUT', '/certificates/main/b', { cert: renewed.cert });
    expect(missing.status).toBe(400);
    expect(missing.json.error.problems).toEqual([{ field: 'body.key', message: 'must be PEM text' }]);

    const replaced = await a.call('PUT', '/certificates/main/b', { cert: renewed.cert, key: renewed.key });
    expect(replaced.json).toMatchObject({ replaced: true, certificate: { id: 'b' } });
    expect(await servedNames(a.port, 'c.example.test', ca.cert)).toContain('DNS:c.example.test');

    expect((await a.call('DELETE', '/certificates/main/b')).status).toBe(200);
    expect((await a.call('GET', '/certificates')).json.certificates).toHaveLength(1);
    // The last certificate cannot go: the listener could not serve.
    expect((await a.call('DELETE', '/certificates/main/a.example.test')).status).toBe(400);
  });
});
