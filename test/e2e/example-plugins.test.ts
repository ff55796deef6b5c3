/**
 * The example plugins (examples/plugins/*.js), loaded from their paths as a config names them, over
 * real echo backends: each behaves as its comment and docs/plugins.md say. Also the example config
 * examples/plugins.yaml itself, and the config errors a plugin's own validation produces.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';
import { loadConfigText } from '../../src/config/index.ts';
import { ConfigErrors } from '../../src/errors/index.ts';
import { closedPort, echoBackend, type EchoReply, type HttpBackend } from '../support/backends.ts';
import { request, type HttpResponse } from '../support/clients.ts';
import { listenForTest } from '../support/servers.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function echo(name: string): Promise<HttpBackend> {
  const backend = await echoBackend(name);
  onTestFinished(() => backend.close());
  return backend;
}

/** Junction over `yaml`, with module paths resolved against examples/ as in examples/plugins.yaml. */
async function proxy(yaml: string): Promise<RunningJunction> {
  const junction = await startJunctionFromYaml(yaml, { baseDir: EXAMPLES });
  onTestFinished(() => junction.close());
  return junction;
}

function reply(res: HttpResponse): EchoReply {
  return res.json() as EchoReply;
}

/** The ConfigErrors loading `yaml` throws (fails the test if it loads). */
async function configErrors(yaml: string): Promise<ConfigErrors> {
  const error: unknown = await loadConfigText(yaml, 'junction.yaml', { baseDir: EXAMPLES }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigErrors);
  return error as ConfigErrors;
}

describe('require-token', () => {
  test('on a route: 401 without a token or with a wrong one, 200 with a good one and the header stripped', async () => {
    const admin = await echo('admin');
    const open = await echo('open');
    const junction = await proxy(`
routes:
  - name: admin
    match: { path: /admin/ }
    cluster: admin
    plugins:
      - { module: ./plugins/require-token.js, config: { tokens: [alpha-1, beta-2], realm: staff } }
  - { cluster: open }
clusters:
  admin: { backends: ["${admin.address}"] }
  open: { backends: ["${open.address}"] }
`);
    const none = await request(junction.port, { path: '/admin/x' });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="staff"');

    const wrong = await request(junction.port, {
      path: '/admin/x',
      headers: { authorization: 'Bearer alpha-2' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="staff", error="invalid_token"');

    const basic = await request(junction.port, {
      path: '/admin/x',
      headers: { authorization: 'Basic YWxwaGEtMQ==' },
    });
    expect(basic.status).toBe(401);
    expect(admin.requests).toHaveLength(0);

    for (const token of ['alpha-1', 'beta-2']) {
      const good = await request(junction.port, {
        path: '/admin/x',
        headers: { authorization: `bearer ${token}` },
      });
      expect(good.status).toBe(200);
      expect(reply(good).backend).toBe('admin');
    }
    expect(admin.requests).toHaveLength(2);
    expect(admin.requests.map((r) => r.headers.authorization)).toEqual([undefined, undefined]);

    // Other routes are not guarded, and their Authorization header is not touched.
    const other = await request(junction.port, { path: '/x', headers: { authorization: 'Bearer whatever' } });
    expect(other.status).toBe(200);
    expect(open.requests[0]?.headers.authorization).toBe('Bearer whatever');
  });

  test('global, with strip: false: checks before routing and forwards the token', async () => {
    const backend = await echo('b');
    const junction = await proxy(`
plugins:
  - { module: ./plugins/require-token.js, config: { tokens: [alpha-1], strip: false } }
routes: [{ match: { path: /app/ }, cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    // No route matches /nowhere, but the check comes first: 401, not 404.
    const unrouted = await request(junction.port, { path: '/nowhere' });
    expect(unrouted.status).toBe(401);
    expect(unrouted.headers['www-authenticate']).toBe('Bearer realm="junction"');

    const good = await request(junction.port, {
      path: '/app/',
      headers: { authorization: 'Bearer alpha-1' },
    });
    expect(good.status).toBe(200);
    expect(reply(good).headers.authorization).toBe('Bearer alpha-1');
  });
});

describe('stamp-headers', () => {
  test('generates a request id, sends it upstream and echoes it, with Server-Timing and X-Served-By', async () => {
    const backend = await echo('b');
    const junction = await proxy(`
plugins: [./plugins/stamp-headers.js]
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    const first = await request(junction.port);
    const second = await request(junction.port);
    for (const [index, res] of [first, second].entries()) {
      expect(res.status).toBe(200);
      const id = res.headers['x-request-id'];
      expect(id).toMatch(UUID);
      expect(reply(res).headers['x-request-id']).toBe(id);
      expect(backend.requests[index]?.headers['x-request-id']).toBe(id);
      expect(res.headers['server-timing']).toMatch(/^proxy;dur=\d+\.\d$/);
      expect(res.headers['x-served-by']).toBe(backend.address);
    }
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
  });

  test('keeps a usable incoming request id, replaces an unusable one', async () => {
    const backend = await echo('b');
    // The listener trusts its clients' request IDs, or Junction's own (request_id) would replace them first.
    const junction = await proxy(`
listeners: [{ address: 127.0.0.1, port: 0, trust_request_id: true }]
plugins: [./plugins/stamp-headers.js]
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    const kept = await request(junction.port, { headers: { 'x-request-id': 'trace-42' } });
    expect(kept.headers['x-request-id']).toBe('trace-42');
    expect(reply(kept).headers['x-request-id']).toBe('trace-42');

    const tooLong = 'x'.repeat(129);
    const replaced = await request(junction.port, { headers: { 'x-request-id': tooLong } });
    expect(replaced.headers['x-request-id']).toMatch(UUID);
    expect(reply(replaced).headers['x-request-id']).toBe(replaced.headers['x-request-id']);
  });

  test('configured names; a response Junction makes itself gets the id and timing, not served-by', async () => {
    const backend = await echo('b');
    const junction = await proxy(`
plugins:
  - module: ./plugins/stamp-headers.js
    config: { request_id_header: X-Trace, served_by_header: X-Upstream, timing_metric: edge }
routes: [{ match: { path: /app/ }, cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    const proxied = await request(junction.port, { path: '/app/' });
    expect(proxied.headers['x-trace']).toMatch(UUID);
    // Junction's own request ID is there too, under its own name.
    expect(proxied.headers['x-request-id']).toMatch(UUID);
    expect(proxied.headers['x-request-id']).not.toBe(proxied.headers['x-trace']);
    expect(reply(proxied).headers['x-trace']).toBe(proxied.headers['x-trace']);
    expect(proxied.headers['x-upstream']).toBe(backend.address);
    expect(proxied.headers['server-timing']).toMatch(/^edge;dur=/);

    const missing = await request(junction.port, { path: '/elsewhere', headers: { 'x-trace': 'abc' } });
    expect(missing.status).toBe(404);
    expect(missing.headers['x-trace']).toBe('abc');
    expect(missing.headers['server-timing']).toMatch(/^edge;dur=/);
    expect(missing.headers['x-upstream']).toBeUndefined();
  });
});

describe('header-pinned strategy', () => {
  async function pinnedCluster(extraBackend = '') {
    const backends = await Promise.all(['one', 'two', 'three'].map((name) => echo(name)));
    const junction = await proxy(`
plugins: [./plugins/header-pinned-strategy.js]
strategies:
  pinned: { kind: header-pinned, header: X-Pin }
routes: [{ cluster: app }]
clusters:
  app:
    strategy: pinned
    backends:
${backends.map((b) => `      - { address: "${b.address}", id: ${b.name} }`).join('\n')}
${extraBackend}
`);
    const backendFor = async (pin?: string) =>
      reply(await request(junction.port, pin === undefined ? {} : { headers: { 'x-pin': pin } })).backend;
    return { backendFor, backends };
  }

  test('a request naming a backend id goes there; others rotate round robin', async () => {
    const { backendFor } = await pinnedCluster();
    const pinned: string[] = [];
    for (let i = 0; i < 4; i++) pinned.push(await backendFor('two'));
    expect(pinned).toEqual(['two', 'two', 'two', 'two']);

    const rotated: string[] = [];
    for (let i = 0; i < 6; i++) rotated.push(await backendFor(i % 2 === 0 ? undefined : 'nobody'));
    // Every backend in turn, in order: unpinned and unknown ids both rotate.
    expect(new Set(rotated.slice(0, 3))).toEqual(new Set(['one', 'two', 'three']));
    expect(rotated.slice(3)).toEqual(rotated.slice(0, 3));
  });

  test('a pinned backend that fails is not tried again: the retry goes elsewhere', async () => {
    const dead = await closedPort();
    const { backendFor } = await pinnedCluster(`      - { address: "127.0.0.1:${dead}", id: dead }`);
    const answeredBy = await backendFor('dead');
    expect(['one', 'two', 'three']).toContain(answeredBy);
  });

  test('the kind is known only to a config that lists the plugin', async () => {
    const strategies = `
strategies:
  pinned: { kind: header-pinned }
`;
    const errors = await configErrors(`listeners: [{ port: 8080 }]${strategies}`);
    expect(errors.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^junction\.yaml:3:19: kind: unknown strategy kind 'header-pinned'/),
    ]);
    const listed = await loadConfigText(
      `listeners: [{ port: 8080 }]\nplugins: [./plugins/header-pinned-strategy.js]${strategies}`,
      'junction.yaml',
      { baseDir: EXAMPLES },
    );
    expect(listed.strategies.get('pinned')).toMatchObject({ kind: 'header-pinned', options: {} });
  });
});

describe('plugin config errors', () => {
  test("a bad plugin config is a config error at its config's position, naming the plugin", async () => {
    const errors = await configErrors(`listeners: [{ port: 8080 }]
routes:
  - cluster: app
    plugins:
      - module: ./plugins/require-token.js
        config: { tokens: change-me }
clusters:
  app: { backends: ["127.0.0.1:9101"] }
`);
    expect(errors.errors).toHaveLength(1);
    const [error] = errors.errors;
    expect(error?.code).toBe('JCT_ERR_CONFIG_INVALID');
    expect(error?.at).toMatchObject({ file: 'junction.yaml', line: 6, column: 17 });
    expect(error?.problem).toContain(
      "plugin 'require-token': tokens must be a list of strings, got 'change-me'",
    );
  });

  test('every problem of every plugin is listed, missing configs included', async () => {
    const errors = await configErrors(`listeners: [{ port: 8080 }]
plugins:
  - module: ./plugins/stamp-headers.js
    config: { request_id_header: "X Request" }
  - ./plugins/require-token.js
  - module: ./plugins/header-pinned-strategy.js
    config: { header: x-pin }
`);
    expect(errors.errors.map((e) => `${e.at?.line}: ${e.problem}`)).toEqual([
      expect.stringMatching(/^4: .*plugin 'stamp-headers': request_id_header must be a header name/),
      expect.stringMatching(/^5: .*plugin 'require-token': needs a config with tokens/),
      expect.stringMatching(/^7: .*plugin 'header-pinned' takes no config/),
    ]);
  });
});

describe('examples/plugins.yaml', () => {
  test('works as its comments say, with its backends replaced by echo backends', async () => {
    const backends = await Promise.all(['api-1', 'api-2', 'admin'].map((name) => echo(name)));
    let yaml = await readFile(`${EXAMPLES}plugins.yaml`, 'utf8');
    yaml = yaml.replace('port: 8080', 'port: 0');
    for (const [index, backend] of backends.entries()) {
      yaml = yaml.replaceAll(`127.0.0.1:${9101 + index}`, backend.address);
    }
    const junction = await proxy(yaml);

    const stamped = await request(junction.port);
    expect(stamped.status).toBe(200);
    expect(stamped.headers['x-request-id']).toMatch(UUID);
    expect(stamped.headers['server-timing']).toMatch(/^proxy;dur=/);

    expect((await request(junction.port, { path: '/admin/' })).status).toBe(401);
    const admitted = await request(junction.port, {
      path: '/admin/',
      headers: { authorization: 'Bearer change-me' },
    });
    expect(admitted.status).toBe(200);
    expect(reply(admitted).backend).toBe('admin');
    expect(reply(admitted).headers.authorization).toBeUndefined();

    for (let i = 0; i < 3; i++) {
      const res = await request(junction.port, { headers: { 'x-backend': 'two' } });
      expect(reply(res).backend).toBe('api-2');
      expect(res.headers['x-served-by']).toBe(backends[1]!.address);
    }
  });
});

describe('redact-digits (a body rewriter)', () => {
  test('masks the digits of text/plain bodies as they stream, re-framed chunked; other types untouched', async () => {
    const backend = await countingText();
    const junction = await proxy(`
plugins: [{ module: ./plugins/redact-digits.js, config: { mask: '*' } }]
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend}"] }
`);
    const text = await request(junction.port, { path: '/text' });
    expect(text.text).toBe('card **** **** **** ****, ref ***\n'.repeat(200));
    expect(text.headers['content-length']).toBeUndefined();
    expect(text.headers.etag).toBeUndefined();
    const json = await request(junction.port, { path: '/json' });
    expect(json.text).toBe('{"card":"4111 1111 1111 1111"}');
    expect(json.headers['content-length']).toBe('30');
  });
});

/** A backend answering digits in text/plain (`/text`, with an ETag) and in JSON (`/json`). */
async function countingText(): Promise<string> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    req.resume();
    if (req.url === '/json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 30 });
      res.end('{"card":"4111 1111 1111 1111"}');
      return;
    }
    const body = 'card 4111 1111 1111 1111, ref 123\n'.repeat(200);
    res.writeHead(200, {
      'content-type': 'text/plain',
      etag: '"v1"',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  return `127.0.0.1:${await listenForTest(server)}`;
}
