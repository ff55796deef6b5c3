/**
 * HTTP/2 from clients: h2 by ALPN through TLS (curl --http2 and node:http2), h2c with prior knowledge
 * beside HTTP/1.1 on one plain listener, streams as transactions (routing, bodies both ways with
 * backpressure, chunked responses and trailers, access log), a backend failure on one stream only,
 * gRPC's local answers, and the HTTP/2 attacks, each refused without harm to another connection.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, onTestFinished, test } from 'vitest';
import {
  chunkedBackend,
  closedPort,
  echoBackend,
  neverAnswerBackend,
  type EchoReply,
} from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { request } from '../support/clients.ts';
import {
  FRAME,
  H2C_PREFACE_BYTES,
  frameTypes,
  h2Connect,
  h2Request,
  hpackLiterals,
  rawFrame,
} from '../support/h2-clients.ts';
import { patternSha256, patternStream } from '../support/pattern.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { requireTool } from '../support/system-tools.ts';
import { waitFor, withTimeout } from '../support/wait-for.ts';

const ca = createTestCa('Junction HTTP2 Test CA');
const dir = mkdtempSync(join(tmpdir(), 'junction-e2e-h2-'));
const site = ca.issue(['h2.example.test']);
writeFileSync(join(dir, 'site.pem'), site.cert);
writeFileSync(join(dir, 'site.key'), site.key);
writeFileSync(join(dir, 'ca.pem'), ca.cert);
afterAll(() => {
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(yaml: string): Promise<RunningJunction> {
  const junction = await startJunctionFromYaml(yaml, { baseDir: dir });
  onTestFinished(() => junction.close(0));
  return junction;
}

async function echo(name = 'app') {
  const backend = await echoBackend(name);
  onTestFinished(() => backend.close());
  return backend;
}

function h2cListener(extra = ''): string {
  return `listeners:
  - { name: h2c, address: 127.0.0.1, port: 0, h2c: true${extra} }`;
}

function tlsListener(): string {
  return `listeners:
  - name: h2
    address: 127.0.0.1
    port: 0
    tls:
      certificates: [{ cert_file: site.pem, key_file: site.key }]
      alpn: [h2, http/1.1]`;
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

describe('h2 and h2c', () => {
  test('h2c with prior knowledge and HTTP/1.1 on one plain listener', async () => {
    const app = await echo();
    const junction = await start(`${h2cListener()}
routes: [{ match: { path: / }, cluster: app }]
clusters: { app: { backends: ["${app.address}"] } }`);
    const session = await h2Connect(`http://127.0.0.1:${junction.port}`);
    onTestFinished(() => {
      session.close();
    });
    const res = await h2Request(session, { ':path': '/hello?x=1', ':authority': 'svc.test' });
    expect(res.status).toBe(200);
    const reply = JSON.parse(res.body.toString()) as EchoReply;
    expect(reply.url).toBe('/hello?x=1');
    expect(reply.headers.host).toBe('svc.test');
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.headers.connection).toBeUndefined();
    const plain = await request(junction.port, { path: '/one' });
    expect(plain.status).toBe(200);
    expect((JSON.parse(plain.body.toString()) as EchoReply).url).toBe('/one');
  });

  test('curl --http2 through TLS (ALPN h2) and --http2-prior-knowledge in clear', async (context) => {
    requireTool(context, 'curl', "Debian's curl package (apt-get install curl)");
    const app = await echo();
    const clusters = `routes: [{ match: { path: / }, cluster: app }]
clusters: { app: { backends: ["${app.address}"] } }`;
    const tls = await start(`${tlsListener()}\n${clusters}`);
    const clear = await start(`${h2cListener()}\n${clusters}`);
    const over = await curl([
      '--http2',
      '--cacert',
      join(dir, 'ca.pem'),
      '--resolve',
      `h2.example.test:${tls.port}:127.0.0.1`,
      '-w',
      '\\n%{http_version} %{http_code}',
      `https://h2.example.test:${tls.port}/tls`,
    ]);
    expect(over.stderr).toBe('');
    expect(over.stdout.endsWith('\n2 200')).toBe(true);
    const h2c = await curl([
      '--http2-prior-knowledge',
      '-w',
      '\\n%{http_version} %{http_code}',
      `${clear.url}/clear`,
    ]);
    expect(h2c.stdout.endsWith('\n2 200')).toBe(true);
    expect((JSON.parse(h2c.stdout.split('\n')[0]!) as EchoReply).url).toBe('/clear');
  });
});

async function h2c(junction: RunningJunction): Promise<ClientHttp2Session> {
  const session = await h2Connect(`http://127.0.0.1:${junction.port}`);
  onTestFinished(() => {
    session.destroy();
  });
  return session;
}

describe('streams are transactions', () => {
  test('many concurrent streams on one connection, routed by path, logged as HTTP/2.0', async () => {
    const a = await echo('a');
    const b = await echo('b');
    const log = join(dir, `access-${Date.now()}.log`);
    const junction = await start(`${h2cListener()}
access_log: { path: ${log} }
routes:
  - { match: { path: { prefix: /b/ } }, cluster: b }
  - { match: { path: / }, cluster: a }
clusters:
  a: { backends: ["${a.address}"] }
  b: { backends: ["${b.address}"] }`);
    const session = await h2c(junction);
    const replies = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        h2Request(session, { ':path': `/${i % 2 === 0 ? 'b/' : ''}${i}` }),
      ),
    );
    replies.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect((JSON.parse(res.body.toString()) as EchoReply).backend).toBe(i % 2 === 0 ? 'b' : 'a');
    });
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').trim().split('\n').length >= 60);
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { protocol: string; route: string | null; status: number });
    expect(lines.every((l) => l.protocol === 'HTTP/2.0' && l.status === 200)).toBe(true);
  });

  test('a large request body with backpressure, a length-less one, and a chunked response', async () => {
    const app = await echo();
    const chunked = await chunkedBackend({ chunks: ['alpha-', 'beta-', 'gamma'], intervalMs: 20 });
    onTestFinished(() => chunked.close());
    const junction = await start(`${h2cListener(', http2: { initial_window_size: 16KiB }')}
routes:
  - { match: { path: /chunked }, cluster: chunked }
  - { match: { path: / }, cluster: app }
clusters:
  app: { backends: ["${app.address}"] }
  chunked: { backends: ["${chunked.address}"] }`);
    const session = await h2c(junction);
    const size = 8 * 1024 * 1024;
    const stream = session.request({ ':method': 'POST', ':path': '/upload', 'content-length': String(size) });
    patternStream(size).pipe(stream);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await withTimeout(new Promise((resolve) => stream.on('end', resolve)), 20_000, 'upload');
    const reply = JSON.parse(Buffer.concat(chunks).toString()) as EchoReply;
    expect([reply.bodyLength, reply.bodySha256]).toEqual([size, patternSha256(size)]);
    // No content-length: the body goes upstream chunked.
    const open = session.request({ ':method': 'POST', ':path': '/open' });
    open.end(Buffer.from('twelve bytes'));
    const openChunks: Buffer[] = [];
    open.on('data', (c: Buffer) => openChunks.push(c));
    await withTimeout(new Promise((resolve) => open.on('end', resolve)), 10_000, 'open body');
    const openReply = JSON.parse(Buffer.concat(openChunks).toString()) as EchoReply;
    expect(openReply.bodyLength).toBe(12);
    expect(openReply.headers['transfer-encoding']).toBe('chunked');
    const res = await h2Request(session, { ':path': '/chunked' });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('alpha-beta-gamma');
    expect(res.headers['transfer-encoding']).toBeUndefined();
  });

  test('a backend failure answers on its own stream (503: refused); the others on the connection succeed', async () => {
    const app = await echo();
    const dead = await closedPort();
    const junction = await start(`${h2cListener()}
routes:
  - { match: { path: /dead }, cluster: dead }
  - { match: { path: / }, cluster: app }
clusters:
  app: { backends: ["${app.address}"] }
  dead: { backends: ["127.0.0.1:${dead}"] }`);
    const session = await h2c(junction);
    const [ok1, bad, ok2] = await Promise.all([
      h2Request(session, { ':path': '/a' }),
      h2Request(session, { ':path': '/dead' }),
      h2Request(session, { ':path': '/b' }),
    ]);
    expect([ok1.status, bad.status, ok2.status]).toEqual([200, 503, 200]);
    expect(bad.body.toString()).toContain('no upstream could be reached');
    expect((await h2Request(session, { ':path': '/c' })).status).toBe(200);
  });

  test('malformed requests are refused on their stream; Upgrade: h2c is served as HTTP/1.1', async () => {
    const app = await echo();
    const junction = await start(`${h2cListener()}
routes: [{ match: { path: / }, cluster: app }]
clusters: { app: { backends: ["${app.address}"] } }`);
    const session = await h2c(junction);
    // A field Node's client would refuse to send goes in a raw frame.
    const te = hpackLiterals([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'x'],
      [':path', '/te'],
      ['te', 'gzip'],
    ]);
    const refused = await rawH2c(junction.port, [rawFrame(FRAME.HEADERS, 0x5, 1, te)], 1000);
    // nghttp2 resets the stream (or Junction answers 400): either way the stream ends unforwarded.
    expect(frameTypes(refused).some((f) => f.type === FRAME.HEADERS || f.type === FRAME.RST_STREAM)).toBe(
      true,
    );
    expect((await h2Request(session, { ':path': '/ok', te: 'trailers' })).status).toBe(200);
    const upgraded = await request(junction.port, {
      path: '/up',
      headers: {
        connection: 'Upgrade, HTTP2-Settings',
        upgrade: 'h2c',
        'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA',
      },
    });
    expect(upgraded.status).toBe(200);
    expect(app.requests.map((r) => r.url)).toEqual(['/ok', '/up']);
  });
});

describe('connection life', () => {
  test('shutdown sends GOAWAY and lets the stream under way finish', async () => {
    const slow = await chunkedBackend({ chunks: ['one-', 'two-', 'three'], intervalMs: 150 });
    onTestFinished(() => slow.close());
    const junction = await start(`${h2cListener()}
routes: [{ match: { path: / }, cluster: app }]
clusters: { app: { backends: ["${slow.address}"] } }`);
    const session = await h2c(junction);
    let goaway = false;
    session.on('goaway', () => {
      goaway = true;
    });
    const pending = h2Request(session, { ':path': '/slow' });
    await waitFor(() => slow.connections > 0);
    const closed = junction.close(5000);
    const res = await pending;
    expect(res.body.toString()).toBe('one-two-three');
    await closed;
    expect(goaway).toBe(true);
  });

  test('a connection idle past timeouts.client_idle gets GOAWAY and closes', async () => {
    const app = await echo();
    const junction = await start(`${h2cListener()}
timeouts: { client_idle: 300ms }
routes: [{ match: { path: / }, cluster: app }]
clusters: { app: { backends: ["${app.address}"] } }`);
    const session = await h2c(junction);
    let goaway = false;
    session.on('goaway', () => {
      goaway = true;
    });
    expect((await h2Request(session, { ':path': '/once' })).status).toBe(200);
    await waitFor(() => goaway && session.closed, { timeoutMs: 5000 });
  });

  test('a body the answer did not need is drained, and the connection serves on', async () => {
    const app = await echo();
    const dead = await closedPort();
    const junction = await start(`${h2cListener()}
routes:
  - { match: { path: /known }, cluster: app }
  - { match: { path: /dead }, cluster: dead }
clusters:
  app: { backends: ["${app.address}"] }
  dead: { backends: ["127.0.0.1:${dead}"] }`);
    const session = await h2c(junction);
    // The body waits (paused) for an upstream that never comes: the answer must not leave it stuck.
    // 1 MiB is far past the stream's and the connection's flow-control windows (64 KiB): the client
    // can finish sending it only when Junction reads and drops what it no longer needs.
    const big = Buffer.alloc(1024 * 1024, 1);
    const upload = session.request({ ':method': 'POST', ':path': '/dead' });
    const closed = new Promise<void>((resolve) => {
      upload.on('close', () => {
        resolve();
      });
    });
    let status = 0;
    upload.on('response', (head) => {
      status = Number(head[':status']);
    });
    upload.on('error', () => undefined);
    upload.resume();
    upload.end(big);
    await withTimeout(closed, 5000, 'the answered stream finishes');
    expect(status).toBe(503);
    expect(upload.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
    // The connection's window came back: another large body goes through on it.
    const echoed = await h2Request(session, { ':method': 'POST', ':path': '/known' }, big);
    expect(echoed.status).toBe(200);
  });
});

describe("gRPC: Junction's own answers", () => {
  async function grpcJunction() {
    const never = await neverAnswerBackend();
    onTestFinished(() => never.close());
    const dead = await closedPort();
    return start(`${h2cListener()}
routes:
  - { match: { path: { prefix: /dead. } }, cluster: dead }
  - { match: { path: { prefix: /slow. } }, cluster: slow }
clusters:
  dead: { backends: ["127.0.0.1:${dead}"] }
  slow: { backends: ["127.0.0.1:${never.port}"] }`);
  }

  test('no route, no upstream and a passed grpc-timeout are trailers-only grpc-status answers', async () => {
    const junction = await grpcJunction();
    const session = await h2c(junction);
    const call = (path: string, extra: Record<string, string> = {}) =>
      h2Request(
        session,
        { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra },
        Buffer.alloc(5),
      );
    const missing = await call('/nowhere.Svc/Call');
    expect(missing.status).toBe(200);
    expect(missing.headers['content-type']).toBe('application/grpc');
    expect([missing.headers['grpc-status'], missing.headers['grpc-message']]).toEqual([
      '12',
      'no route matches this request',
    ]);
    expect(missing.body.length).toBe(0);
    expect(missing.headers['x-request-id']).toBeTruthy();
    const dead = await call('/dead.Svc/Call');
    expect(dead.headers['grpc-status']).toBe('14');
    const slow = await call('/slow.Svc/Call', { 'grpc-timeout': '300m' });
    expect(slow.headers['grpc-status']).toBe('4');
    // The same failures to a plain HTTP/2 request stay HTTP answers.
    expect((await h2Request(session, { ':path': '/nowhere' })).status).toBe(404);
  });

  test('@grpc/grpc-js sees UNIMPLEMENTED and UNAVAILABLE', async () => {
    const junction = await grpcJunction();
    const grpc = await import('@grpc/grpc-js');
    const client = new grpc.Client(`127.0.0.1:${junction.port}`, grpc.credentials.createInsecure());
    onTestFinished(() => {
      client.close();
    });
    const unary = (path: string) =>
      new Promise<number>((resolve) => {
        client.makeUnaryRequest(
          path,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from('x'),
          (error) => {
            resolve(error?.code ?? 0);
          },
        );
      });
    expect(await withTimeout(unary('/nowhere.Svc/Call'), 10_000, 'grpc call')).toBe(
      grpc.status.UNIMPLEMENTED,
    );
    expect(await withTimeout(unary('/dead.Svc/Call'), 10_000, 'grpc call')).toBe(grpc.status.UNAVAILABLE);
  });
});

/** A raw h2c connection: preface, empty SETTINGS, then `frames`; resolves with what came back by the end. */
function rawH2c(port: number, frames: Buffer[], timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    const got: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(got));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (c: Buffer) => got.push(c));
    socket.on('close', done);
    socket.on('error', done);
    socket.on('connect', () => {
      socket.write(Buffer.concat([H2C_PREFACE_BYTES, rawFrame(FRAME.SETTINGS, 0, 0), ...frames]));
    });
  });
}

const ENHANCE_YOUR_CALM = constants.NGHTTP2_ENHANCE_YOUR_CALM;

describe('HTTP/2 attacks, each refused without harm to another connection', () => {
  async function guarded(extra = '') {
    const app = await echo();
    const junction = await start(`${h2cListener(extra)}
routes: [{ match: { path: / }, cluster: app }]
clusters: { app: { backends: ["${app.address}"] } }`);
    const bystander = await h2c(junction);
    expect((await h2Request(bystander, { ':path': '/before' })).status).toBe(200);
    return { junction, bystander };
  }

  async function stillServes(bystander: ClientHttp2Session): Promise<void> {
    expect((await h2Request(bystander, { ':path': '/after' })).status).toBe(200);
  }

  test('rapid reset (CVE-2023-44487): GOAWAY ENHANCE_YOUR_CALM', async () => {
    const { junction, bystander } = await guarded(', http2: { max_resets: 20 }');
    const headers = hpackLiterals([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'x'],
      [':path', '/reset'],
    ]);
    const frames: Buffer[] = [];
    for (let id = 1; id < 400; id += 2) {
      frames.push(rawFrame(FRAME.HEADERS, 0x4 | 0x1, id, headers));
      frames.push(rawFrame(FRAME.RST_STREAM, 0, id, Buffer.from([0, 0, 0, 8])));
    }
    const reply = await rawH2c(junction.port, frames);
    expect(frameTypes(reply).find((f) => f.type === FRAME.GOAWAY)?.errorCode).toBe(ENHANCE_YOUR_CALM);
    await stillServes(bystander);
  });

  test('PING flood and SETTINGS flood: GOAWAY ENHANCE_YOUR_CALM', async () => {
    const { junction, bystander } = await guarded();
    const pings = Array.from({ length: 300 }, () => rawFrame(FRAME.PING, 0, 0, Buffer.alloc(8)));
    const pinged = await rawH2c(junction.port, pings);
    expect(frameTypes(pinged).find((f) => f.type === FRAME.GOAWAY)?.errorCode).toBe(ENHANCE_YOUR_CALM);
    const settings = Array.from({ length: 300 }, () => rawFrame(FRAME.SETTINGS, 0, 0));
    const settled = await rawH2c(junction.port, settings);
    expect(frameTypes(settled).find((f) => f.type === FRAME.GOAWAY)?.errorCode).toBe(ENHANCE_YOUR_CALM);
    await stillServes(bystander);
  });

  test('an oversized header list is refused', async () => {
    const { junction, bystander } = await guarded(', http2: { max_header_list_size: 8KiB }');
    const session = await h2c(junction);
    const res = await h2Request(session, { ':path': '/big', 'x-big': 'a'.repeat(20_000) }).catch(
      (e: unknown) => e,
    );
    // Refused by Junction (431), or by the client once it read Junction's SETTINGS.
    if (res instanceof Error) expect(res.message).toMatch(/reset|ERR_HTTP2|closed/i);
    else expect((res as { status: number }).status).toBe(431);
    await stillServes(bystander);
  });

  test('CONTINUATION without END_HEADERS (flood) closes the connection', async () => {
    const { junction, bystander } = await guarded();
    const first = hpackLiterals([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'x'],
      [':path', '/'],
    ]);
    const crumb = hpackLiterals([['x-crumb', 'c'.repeat(1000)]]);
    const frames = [rawFrame(FRAME.HEADERS, 0x1, 1, first)];
    for (let i = 0; i < 2000; i++) frames.push(rawFrame(FRAME.CONTINUATION, 0, 1, crumb));
    const reply = await rawH2c(junction.port, frames);
    const types = frameTypes(reply);
    expect(types.some((f) => f.type === FRAME.HEADERS)).toBe(false);
    expect(types.find((f) => f.type === FRAME.GOAWAY)).toBeDefined();
    await stillServes(bystander);
  });
});
