/**
 * The access log and request IDs over real sockets: one JSON (or template) line per proxied request,
 * Junction's own answers, a hook's reply, a WebSocket tunnel and a TCP session; filters and sampling;
 * per-route `false`; a log file whose directory disappears never stops traffic; reload reopens files.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { loadConfigText } from '../../src/config/index.ts';
import { echoBackend, garbageBackend, neverAnswerBackend, rawBackend } from '../support/backends.ts';
import { RawClient, rawRequest, request } from '../support/clients.ts';
import { createTestCa } from '../support/certs.ts';
import { capturedLogs } from '../support/logs.ts';
import { httpsGet } from '../support/tls-clients.ts';
import { spawnJunction, tempConfigFile } from '../support/junction-process.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';
import { closed, nextMessages, openWebSocket, wsBackend } from '../support/websocket.ts';

type Line = Record<string, unknown>;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'junction-access-log-'));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function readLines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

function jsonLines(path: string): Line[] {
  return readLines(path).map((line) => JSON.parse(line) as Line);
}

/** Waits until the file holds `count` lines and returns them. */
async function linesOf(path: string, count: number): Promise<Line[]> {
  return waitFor(
    () => {
      const lines = jsonLines(path);
      return lines.length >= count ? lines : undefined;
    },
    { what: `${count} access lines in ${path} (have ${jsonLines(path).length})` },
  );
}

async function start(yaml: string, logger?: ReturnType<typeof capturedLogs>['logger']) {
  const junction = await startJunctionFromYaml(yaml, logger === undefined ? {} : { logger });
  onTestFinished(() => junction.close());
  return junction;
}

async function echo(name = 'app') {
  const backend = await echoBackend(name);
  onTestFinished(() => backend.close());
  return backend;
}

/** Reloads the same config, as logrotate's postrotate does: nothing changes, and the files reopen. */
async function reload(junction: RunningJunction, yaml: string): Promise<void> {
  const result = await junction.server.reload(
    await loadConfigText(yaml, '<reload>', { baseDir: process.cwd() }),
  );
  expect(result.changed).toBe(false);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('a proxied request: every field, and the request ID generated, sent upstream and returned', async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const backend = await echo();
  const junction = await start(`
listeners: [{ name: web, address: 127.0.0.1, port: 0 }]
access_log: { path: ${log} }
routes: [{ name: main, cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  const res = await request(junction.port, {
    path: '/a/b?x=1',
    headers: {
      host: 'app.test',
      'user-agent': 'test-agent/1',
      referer: 'https://ref.test/',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'x-request-id': 'client-chosen',
    },
  });
  expect(res.status).toBe(200);
  const id = res.headers['x-request-id'];
  // The listener does not trust clients' IDs: a new one replaces it, upstream and back.
  expect(id).toMatch(UUID);
  expect(backend.requests[0]!.headers['x-request-id']).toBe(id);
  const [line] = await linesOf(log, 1);
  expect(line).toMatchObject({
    type: 'http',
    request_id: id,
    listener: 'web',
    method: 'GET',
    scheme: 'http',
    host: 'app.test',
    path: '/a/b?x=1',
    protocol: 'HTTP/1.1',
    status: 200,
    route: 'main',
    cluster: 'app',
    upstream: backend.address,
    attempts: 1,
    error_code: null,
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    user_agent: 'test-agent/1',
    referer: 'https://ref.test/',
    tls: null,
  });
  expect(line!['client']).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(new Date(line!['time'] as string).toISOString()).toBe(line!['time']);
  expect(line!['duration_ms']).toBeGreaterThanOrEqual(0);
  expect(line!['upstream_ms']).toBeGreaterThanOrEqual(0);
  expect(line!['bytes_received']).toBeGreaterThan(50);
  expect(line!['bytes_sent']).toBe(Number(res.headers['content-length']) + rawHeadLength(res));
});

/** An approximation is not good enough for bytes_sent: compute the head node:http received. */
function rawHeadLength(res: Awaited<ReturnType<typeof request>>): number {
  let length = `HTTP/1.1 ${res.status} OK\r\n`.length + 2;
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) length += raw[i]!.length + 2 + raw[i + 1]!.length + 2;
  return length;
}

test("a trusted listener keeps a client's well-formed request ID, and replaces a malformed one", async () => {
  const backend = await echo();
  const junction = await start(`
listeners: [{ address: 127.0.0.1, port: 0, trust_request_id: true }]
request_id: { header: X-Correlation-ID }
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  const kept = await request(junction.port, { headers: { 'x-correlation-id': 'abc-123.X' } });
  expect(kept.headers['x-correlation-id']).toBe('abc-123.X');
  expect(backend.requests[0]!.headers['x-correlation-id']).toBe('abc-123.X');
  const bad = await request(junction.port, { headers: { 'x-correlation-id': 'has space"and quote' } });
  expect(bad.headers['x-correlation-id']).toMatch(UUID);
  expect(backend.requests[1]!.headers['x-correlation-id']).toBe(bad.headers['x-correlation-id']);
  // The default header name is not used when another is configured.
  expect(kept.headers['x-request-id']).toBeUndefined();
});

test("Junction's own answers (404, 502, 504) are logged with their error codes and quote the request ID", async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const garbage = await garbageBackend();
  onTestFinished(() => garbage.close());
  const silent = await neverAnswerBackend();
  onTestFinished(() => silent.close());
  const junction = await start(`
access_log: { path: ${log} }
timeouts: { backend_response: 300ms }
routes:
  - { name: bad, match: { host: bad.test }, cluster: bad }
  - { name: slow, match: { host: slow.test }, cluster: slow }
clusters:
  bad: { backends: ["${garbage.address}"] }
  slow: { backends: ["${silent.address}"] }
`);
  const responses = [
    await request(junction.port, { headers: { host: 'none.test' } }),
    await request(junction.port, { headers: { host: 'bad.test' } }),
    await request(junction.port, { headers: { host: 'slow.test' } }),
  ];
  expect(responses.map((r) => r.status)).toEqual([404, 502, 504]);
  const lines = await linesOf(log, 3);
  expect(lines.map((l) => [l['status'], l['error_code'], l['route']])).toEqual([
    [404, 'JCT_ERR_ROUTE_NOT_FOUND', null],
    [502, 'JCT_ERR_HTTP_BAD_RESPONSE', 'bad'],
    [504, 'JCT_ERR_UPSTREAM_TIMEOUT', 'slow'],
  ]);
  for (const [i, res] of responses.entries()) {
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(UUID);
    expect(res.text).toContain(`request id: ${id}`);
    expect(lines[i]!['request_id']).toBe(id);
  }
  expect(lines[2]!['upstream_ms']).toBeNull();
});

test("a rule's reply is logged and carries the request ID", async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const backend = await echo();
  const junction = await start(`
access_log: { path: ${log} }
rules:
  - when: ua-req
    do:
      - proxy-reply: { status: 503, body: "down for maintenance\\n" }
routes: [{ name: main, cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  const res = await request(junction.port, { path: '/x' });
  expect([res.status, res.text]).toEqual([503, 'down for maintenance\n']);
  expect(res.headers['x-request-id']).toMatch(UUID);
  const [line] = await linesOf(log, 1);
  expect(line).toMatchObject({ status: 503, path: '/x', request_id: res.headers['x-request-id'] });
  expect(backend.requests).toHaveLength(0);
});

test('a WebSocket tunnel is logged once, at its end, with its bytes and duration', async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const ws = await wsBackend('ws');
  onTestFinished(() => ws.close());
  const junction = await start(`
access_log: { path: ${log} }
routes: [{ name: chat, cluster: ws }]
clusters:
  ws: { backends: ["${ws.address}"] }
`);
  const client = await openWebSocket(`ws://127.0.0.1:${junction.port}/chat`);
  onTestFinished(() => {
    client.terminate();
  });
  client.send('x'.repeat(5000));
  const [echoed] = await nextMessages(client, 1);
  expect(echoed!.data.length).toBe(5000);
  // Nothing is logged while the tunnel is open.
  expect(jsonLines(log)).toEqual([]);
  client.close(1000);
  await closed(client);
  const [line] = await linesOf(log, 1);
  expect(line).toMatchObject({ type: 'tunnel', status: 101, path: '/chat', route: 'chat', cluster: 'ws' });
  expect(line!['bytes_received']).toBeGreaterThan(5000);
  expect(line!['bytes_sent']).toBeGreaterThan(5000);
  expect(ws.upgrades[0]!['x-request-id']).toMatch(UUID);
});

test('a TCP listener logs one line per session', async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const backend = await rawBackend((socket) => {
    socket.write('hello\n');
    socket.on('data', (data) => socket.end(data));
  });
  onTestFinished(() => backend.close());
  const junction = await start(`
listeners: [{ name: db, address: 127.0.0.1, port: 0, protocol: tcp, cluster: db }]
access_log: { path: ${log} }
clusters:
  db: { backends: ["${backend.address}"] }
`);
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  await client.readUntil((b) => b.includes('\n'));
  await client.write('ping');
  await client.waitForEnd();
  await client.close();
  const [line] = await linesOf(log, 1);
  expect(line).toMatchObject({
    type: 'tcp',
    listener: 'db',
    scheme: 'tcp',
    method: null,
    cluster: 'db',
    upstream: backend.address,
    bytes_received: 4,
    bytes_sent: 10,
    request_id: null,
  });
});

test('filters keep only some transactions; sample 0 keeps none; a route may turn the log off', async () => {
  const dir = tempDir();
  const errors = join(dir, 'errors.log');
  const sampled = join(dir, 'sampled.log');
  const main = join(dir, 'main.log');
  const backend = await echo();
  const junction = await start(`
listeners:
  - { name: a, address: 127.0.0.1, port: 0, access_log: { path: ${errors}, filter: { min_status: 400 } } }
  - { name: b, address: 127.0.0.1, port: 0, access_log: { path: ${sampled}, sample: 0 } }
  - { name: c, address: 127.0.0.1, port: 0 }
access_log: { path: ${main}, format: "{ua-req-method} {ua-req-path} {proxy-rsp-status} {route}" }
routes:
  - { name: quiet, match: { host: app.test, path: { prefix: /health } }, cluster: app, access_log: false }
  - { name: main, match: { host: app.test }, cluster: app }
clusters:
  app: { backends: ["${backend.address}"] }
`);
  const ports = junction.server.listeners.map((listener) => listener.port);
  expect(ports).toHaveLength(3);
  for (const port of ports) {
    expect((await request(port, { path: '/ok', headers: { host: 'app.test' } })).status).toBe(200);
    expect((await request(port, { path: '/missing', headers: { host: 'x.test' } })).status).toBe(404);
    expect((await request(port, { path: '/health', headers: { host: 'app.test' } })).status).toBe(200);
  }
  await waitFor(() => readLines(main).length >= 2);
  const errorLines = await linesOf(errors, 1);
  expect(errorLines.map((l) => l['status'])).toEqual([404]);
  expect(readLines(main)).toEqual(['GET ok 200 main', 'GET missing 404 -']);
  expect(readLines(sampled)).toEqual([]);
});

test('a log whose directory is removed never stops traffic; a reload reopens the file', async () => {
  const dir = tempDir();
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  const log = join(logDir, 'access.log');
  const backend = await echo();
  const yaml = `
listeners: [{ name: web, address: 127.0.0.1, port: 0 }]
access_log: { path: ${log} }
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`;
  const captured = capturedLogs('info');
  const junction = await start(yaml, captured.logger);
  expect((await request(junction.port)).status).toBe(200);
  await linesOf(log, 1);

  // logrotate moves the file away, then HUP: the next lines go to a new file.
  renameSync(log, `${log}.1`);
  await reload(junction, yaml);
  expect((await request(junction.port)).status).toBe(200);
  await linesOf(log, 1);
  expect(jsonLines(`${log}.1`)).toHaveLength(1);

  // The directory goes: the reopen fails, is logged once, and requests are still answered.
  rmSync(logDir, { recursive: true, force: true });
  await reload(junction, yaml);
  for (let i = 0; i < 20; i++) expect((await request(junction.port)).status).toBe(200);
  const failures = () => captured.lines.filter((l) => l['code'] === 'JCT_ERR_ACCESS_LOG_WRITE');
  await waitFor(() => failures().length > 0, { what: 'the access log failure logged' });
  expect(failures()).toHaveLength(1);

  // Back again: a reload reopens it.
  mkdirSync(logDir);
  await reload(junction, yaml);
  expect((await request(junction.port)).status).toBe(200);
  await linesOf(log, 1);
});

test('SIGUSR1 to `junction run` reopens the log file (logrotate, as with nginx), without the inspector', async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const backend = await echo();
  const file = await tempConfigFile(
    'usr1.yaml',
    `
listeners: [{ name: web, address: 127.0.0.1, port: 0 }]
access_log: { path: ${log} }
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
  );
  const junction = await spawnJunction(file);
  onTestFinished(() => {
    junction.child.kill('SIGKILL');
  });
  expect((await request(junction.port)).status).toBe(200);
  await linesOf(log, 1);
  renameSync(log, `${log}.1`);
  junction.child.kill('SIGUSR1');
  await waitFor(() => junction.output().includes('reopening the access log files'), {
    what: 'the reopen logged',
  });
  expect((await request(junction.port)).status).toBe(200);
  await linesOf(log, 1);
  expect(jsonLines(`${log}.1`)).toHaveLength(1);
  expect(junction.output()).not.toContain('Debugger listening');
  junction.child.kill('SIGTERM');
  expect((await junction.exited).code).toBe(0);
});

test('answers before any route (400, 431, a redirect to HTTPS) are logged and carry a request ID', async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const junction = await start(`
listeners:
  - { name: plain, address: 127.0.0.1, port: 0 }
  - { name: redirect, address: 127.0.0.1, port: 0, redirect_to_https: { port: 8443 } }
access_log: { path: ${log} }
limits: { max_head_size: 1KiB, max_request_line: 512B }
`);
  const [plainPort, redirectPort] = junction.server.listeners.map((listener) => listener.port);
  const bad = await rawRequest(plainPort!, 'GET / HTTP/1.1\r\nHost: a\r\nBad Field: x\r\n\r\n');
  expect(bad.text).toMatch(/^HTTP\/1\.1 400 .*\r\nX-Request-ID: ([0-9a-f-]{36})\r\n[^]*request id: \1\n$/s);
  const big = await rawRequest(plainPort!, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(2000)}\r\n\r\n`);
  expect(big.text).toMatch(/^HTTP\/1\.1 431 /);
  const moved = await request(redirectPort!, { path: '/p?q=1', headers: { host: 'site.test' } });
  expect(moved.status).toBe(301);
  expect(moved.headers['x-request-id']).toMatch(UUID);
  const lines = await linesOf(log, 3);
  const byListener = lines.map((l) => [l['listener'], l['status'], l['error_code'], l['path']]);
  expect(byListener).toEqual(
    expect.arrayContaining([
      ['plain', 400, expect.stringMatching(/^JCT_ERR_HTTP_/), null],
      ['plain', 431, 'JCT_ERR_HTTP_HEAD_TOO_LARGE', null],
      ['redirect', 301, null, '/p?q=1'],
    ]),
  );
  expect(lines.find((l) => l['status'] === 301)!['request_id']).toBe(moved.headers['x-request-id']);
});

test('an HTTPS request is logged with its TLS version and server name', async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const ca = createTestCa('Access Log Test CA');
  onTestFinished(() => {
    ca.close();
  });
  const pair = ca.issue(['a.example.test']);
  writeFileSync(join(dir, 'a.pem'), pair.cert);
  writeFileSync(join(dir, 'a.key'), pair.key);
  const backend = await echo();
  const junction = await start(`
listeners:
  - name: https
    address: 127.0.0.1
    port: 0
    tls: { certificates: [{ cert_file: ${join(dir, 'a.pem')}, key_file: ${join(dir, 'a.key')} }] }
access_log: { path: ${log} }
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  const { response } = await httpsGet(
    junction.port,
    'a.example.test',
    { ca: ca.cert, servername: 'a.example.test', maxVersion: 'TLSv1.3', minVersion: 'TLSv1.3' },
    '/secure',
  );
  expect(response.statusCode).toBe(200);
  const [line] = await linesOf(log, 1);
  expect(line).toMatchObject({
    scheme: 'https',
    path: '/secure',
    tls: { version: 'TLSv1.3', sni: 'a.example.test' },
  });
});
