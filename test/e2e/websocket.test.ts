/**
 * Upgrades through Junction: WebSocket clients and backends from the `ws` package, and raw TCP backends
 * for exact bytes and other protocols. An upgrade request is routed and hooked like any request; a 101
 * turns the session into a tunnel with backpressure both ways and its own idle timeout (tunnel_idle);
 * any other answer keeps the connection HTTP. Every test ends by checking that the session, the
 * upstream connection and the lease are all given back.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { expect, onTestFinished, test } from 'vitest';
import { WebSocket } from 'ws';
import type { TunnelReport, TxnContext } from '../../src/index.ts';
import { definePlugin } from '../../src/plugins/index.ts';
import { captureBackend, closeBeforeHeadBackend, rawBackend, type RawBackend } from '../support/backends.ts';
import { RawClient, connectTo, readUntil } from '../support/clients.ts';
import {
  backendList,
  proxyToBackend,
  startJunctionFromYaml,
  type RunningJunction,
} from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';
import { closed, nextMessages, openWebSocket, wsBackend, type WsBackend } from '../support/websocket.ts';

const MiB = 1024 * 1024;

async function backend(options: Parameters<typeof wsBackend>[1] = {}): Promise<WsBackend> {
  const started = await wsBackend('ws', options);
  onTestFinished(() => started.close());
  return started;
}

async function client(junction: RunningJunction, path = '/chat', headers?: Record<string, string>) {
  const ws = await openWebSocket(`ws://127.0.0.1:${junction.port}${path}`, headers ? { headers } : {});
  onTestFinished(() => {
    ws.terminate();
  });
  return ws;
}

/** Everything a session and a tunnel hold is given back: no session, lease or leased connection left. */
async function expectNothingHeld(junction: RunningJunction): Promise<void> {
  await waitFor(
    () => {
      const stats = junction.server.stats();
      return (
        stats.sessions === 0 &&
        stats.upstreamInFlight === 0 &&
        stats.upstreamConnectionsOpen === stats.upstreamConnectionsIdle &&
        stats.headBuffersInUse === 0
      );
    },
    { what: `nothing held (stats: ${JSON.stringify(junction.server.stats())})` },
  );
}

function pattern(bytes: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

test('text and binary messages are echoed through an HTTP listener', async () => {
  const echo = await backend();
  const junction = await proxyToBackend(echo);
  const ws = await client(junction);
  ws.send('hello');
  ws.send(Buffer.from([0, 1, 2, 255]));
  const [text, binary] = await nextMessages(ws, 2);
  expect(text).toEqual({ data: Buffer.from('hello'), isBinary: false });
  expect(binary).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
  expect(echo.upgrades).toHaveLength(1);
  expect(echo.upgrades[0]).toMatchObject({ connection: 'Upgrade', upgrade: 'websocket' });
  expect(echo.upgrades[0]?.['x-forwarded-for']).toBe('127.0.0.1');
  ws.close(1000);
  await closed(ws);
  await expectNothingHeld(junction);
});

test('messages of several MiB cross both ways intact, with backpressure on each side', async () => {
  const toClient = pattern(12 * MiB, 7);
  const echo = await backend({
    onConnection: (ws) => {
      ws.on('message', (data: Buffer) => {
        // The echo of the client's message, then a larger one of the backend's own.
        ws.send(data, { binary: true });
        ws.send(toClient, { binary: true });
      });
    },
  });
  const junction = await proxyToBackend(echo);
  const ws = await client(junction);
  const fromClient = pattern(8 * MiB, 3);
  ws.send(fromClient, { binary: true });
  const [echoed, own] = await nextMessages(ws, 2, 20_000);
  expect(echoed!.data.length).toBe(fromClient.length);
  expect(sha(echoed!.data)).toBe(sha(fromClient));
  expect(sha(own!.data)).toBe(sha(toClient));
  ws.close(1000);
  await closed(ws);
  await expectNothingHeld(junction);
}, 30_000);

test('a thousand messages in flight come back in order', async () => {
  const echo = await backend();
  const junction = await proxyToBackend(echo);
  const ws = await client(junction);
  const replies = nextMessages(ws, 1000, 15_000);
  for (let i = 0; i < 1000; i++) ws.send(`message ${i}`);
  const got = await replies;
  expect(got.map((m) => m.data.toString())).toEqual(Array.from({ length: 1000 }, (_, i) => `message ${i}`));
  ws.close(1000);
  await closed(ws);
  await expectNothingHeld(junction);
});

test('the client closing: the backend sees its close code and reason, and everything is given back', async () => {
  const echo = await backend();
  const junction = await proxyToBackend(echo);
  const ws = await client(junction);
  ws.close(4000, 'client done');
  expect(await closed(ws)).toEqual({ code: 4000, reason: 'client done' });
  await waitFor(() => echo.closes.length === 1, { what: 'the backend seeing the close' });
  expect(echo.closes[0]).toEqual({ code: 4000, reason: 'client done' });
  await expectNothingHeld(junction);
  expect(junction.server.stats().upstreamConnectionsOpen).toBe(0);
});

test('the backend closing: the client sees its close code and reason', async () => {
  const echo = await backend({
    onConnection: (ws) => {
      ws.on('message', () => {
        ws.close(4001, 'backend done');
      });
    },
  });
  const junction = await proxyToBackend(echo);
  const ws = await client(junction);
  ws.send('please close');
  expect(await closed(ws)).toEqual({ code: 4001, reason: 'backend done' });
  await expectNothingHeld(junction);
});

test('an idle tunnel is closed after timeouts.tunnel_idle, on both sides', async () => {
  const echo = await backend();
  const junction = await proxyToBackend(echo, 'timeouts: { tunnel_idle: 300ms }');
  const ws = await client(junction);
  ws.send('one message keeps it alive');
  await nextMessages(ws, 1);
  const opened = Date.now();
  const how = await closed(ws, 5_000);
  expect(how.code).toBe(1006);
  expect(Date.now() - opened).toBeGreaterThanOrEqual(250);
  await waitFor(() => echo.open.size === 0, { what: 'the backend side closing' });
  await expectNothingHeld(junction);
  expect(junction.server.stats().deadlinesFired).toBeGreaterThan(0);
  expect(junction.server.stats().zombiesClosed).toBe(0);
});

test('traffic keeps a tunnel open past tunnel_idle', async () => {
  const echo = await backend();
  const junction = await proxyToBackend(echo, 'timeouts: { tunnel_idle: 400ms }');
  const ws = await client(junction);
  for (let i = 0; i < 8; i++) {
    ws.send(`tick ${i}`);
    await nextMessages(ws, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  expect(ws.readyState).toBe(WebSocket.OPEN);
  ws.close(1000);
  await closed(ws);
  await expectNothingHeld(junction);
});

/**
 * A raw TCP backend for a protocol of its own, `echo`: it answers the first request head with a 101 and
 * a greeting in the same write, then echoes every byte (those that came after the head included) and
 * answers a FIN with its own. `RESET` in the stream makes it reset the connection instead.
 */
async function echoProtocolBackend(): Promise<RawBackend & { readonly heads: string[] }> {
  const heads: string[] = [];
  const started = await rawBackend((socket: Socket) => {
    let head = Buffer.alloc(0);
    let switched = false;
    socket.on('data', (chunk: Buffer) => {
      if (switched) {
        if (chunk.includes('RESET')) socket.resetAndDestroy();
        else socket.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      switched = true;
      heads.push(head.subarray(0, end).toString('latin1'));
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello ');
      if (end + 4 < head.length) socket.write(head.subarray(end + 4));
    });
    socket.on('end', () => {
      socket.end();
    });
  }, 'echo-protocol');
  onTestFinished(() => started.close());
  return Object.assign(started, { heads });
}

test('another protocol: early bytes both ways are kept, and a half-close travels through', async () => {
  const echo = await echoProtocolBackend();
  const junction = await proxyToBackend(echo);
  const socket = await connectTo(junction.port);
  onTestFinished(() => {
    socket.destroy();
  });
  // Bytes of the new protocol right behind the request head, in the same write.
  socket.write('GET /echo HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly ');
  const switched = await readUntil(socket, (got) => got.includes('early '));
  const text = switched.toString('latin1');
  expect(text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
  expect(text).toContain('\r\nUpgrade: echo\r\n');
  expect(text).toContain('\r\nConnection: Upgrade\r\n');
  expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe('hello early ');
  expect(echo.heads[0]).toContain('\r\nUpgrade: echo\r\n');
  expect(echo.heads[0]).toContain('\r\nConnection: Upgrade\r\n');

  socket.write('late');
  await readUntil(socket, (got) => got.toString('latin1').endsWith('hello early late'));
  // Our FIN reaches the backend, whose FIN comes back: the connection ends cleanly.
  let ended = false;
  socket.on('end', () => {
    ended = true;
  });
  socket.end();
  await waitFor(() => ended, { what: 'the FIN coming back' });
  await expectNothingHeld(junction);
  expect(junction.server.stats().upstreamConnectionsOpen).toBe(0);
});

test('the backend half-closing first: its FIN reaches the client, which can still send, and the backend reads it', async () => {
  const received: Buffer[] = [];
  let backendSawEnd = false;
  const backend = await rawBackend((socket: Socket) => {
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      if (head.includes('\r\n\r\n')) {
        received.push(chunk);
        return;
      }
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      // Its last word, then its FIN: its direction is over, the other stays open.
      socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: last-word\r\n\r\nbye');
    });
    socket.on('end', () => {
      backendSawEnd = true;
    });
  }, 'half-closer');
  onTestFinished(() => backend.close());
  const junction = await proxyToBackend(backend);
  const socket = netConnect({ host: '127.0.0.1', port: junction.port, allowHalfOpen: true });
  onTestFinished(() => {
    socket.destroy();
  });
  const ended = new Promise<void>((resolve) =>
    socket.once('end', () => {
      resolve();
    }),
  );
  socket.write('GET / HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade\r\nUpgrade: last-word\r\n\r\n');
  await readUntil(socket, (got) => got.toString('latin1').endsWith('bye'));
  await ended;
  socket.end('late words');
  await waitFor(() => backendSawEnd, { what: 'the client FIN at the backend' });
  expect(Buffer.concat(received).toString()).toBe('late words');
  await expectNothingHeld(junction);
});

test('an upstream reset mid-tunnel cuts the client, and txn-close hooks see the report', async () => {
  const reports: TunnelReport[] = [];
  const plugin = definePlugin({
    name: 'tunnel-reports',
    setup(api) {
      api.hook('txn-close', (txn: TxnContext) => {
        if (txn.tunnel !== undefined) reports.push(txn.tunnel);
      });
    },
  });
  const echo = await echoProtocolBackend();
  const junction = await startJunctionFromYaml(
    `plugins: [tunnel-reports]
routes: [{ cluster: app }]
clusters: { app: { backends: ${backendList(echo)} } }`,
    { plugins: { 'tunnel-reports': plugin } },
  );
  onTestFinished(() => junction.close());
  const raw = await RawClient.connect(junction.port);
  onTestFinished(() => raw.close());
  await raw.write('GET / HTTP/1.1\r\nHost: up.test\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n');
  await raw.readUntil((got) => got.includes('hello '));
  await raw.write('0123456789');
  await raw.readUntil((got) => got.includes('0123456789'));
  await raw.write('RESET');
  expect(await raw.waitForEnd()).toBe(true);
  await waitFor(() => reports.length === 1, { what: 'the txn-close report' });
  expect(reports[0]).toMatchObject({
    endedBy: 'upstream',
    errorCode: 'JCT_ERR_UPSTREAM_RESET',
    bytesFromClient: 15,
    bytesFromUpstream: 16,
  });
  expect(reports[0]!.durationMs).toBeGreaterThanOrEqual(0);
  await expectNothingHeld(junction);
});

test('a backend refusing the upgrade (403) keeps the connection HTTP: both connections are reused', async () => {
  const refusing = await captureBackend({
    response: (request) =>
      request.headers['upgrade'] === undefined
        ? 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain'
        : 'HTTP/1.1 403 Forbidden\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 6\r\n\r\ndenied',
  });
  onTestFinished(() => refusing.close());
  const junction = await proxyToBackend(refusing);
  const raw = await RawClient.connect(junction.port);
  onTestFinished(() => raw.close());
  const refused = await raw.exchange(
    'GET /ws HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  expect(refused.statusCode).toBe(403);
  expect(refused.body.toString()).toBe('denied');
  // The backend's Connection and Upgrade are about its hop: not passed on.
  expect(refused.headers['upgrade']).toBeUndefined();
  expect(refused.headers['connection']).toBeUndefined();
  const plain = await raw.exchange('GET /after HTTP/1.1\r\nHost: up.test\r\n\r\n');
  expect(plain.statusCode).toBe(200);
  expect(plain.body.toString()).toBe('plain');
  expect(raw.ended).toBe(false);
  expect(refusing.requests.map((r) => r.headers['upgrade'])).toEqual(['websocket', undefined]);
  expect(refusing.requests.map((r) => r.connectionId)).toEqual([1, 1]);
  await raw.close();
  await expectNothingHeld(junction);
});

test('a rule sees the upgrade request and adds a field the backend receives in it', async () => {
  const echo = await backend();
  const junction = await startJunctionFromYaml(`
rules:
  - when: ua-req
    do:
      - with: '{ua-req-field<Upgrade>}'
        select:
          - match<nc>: 'websocket'
            do:
              - ua-req-field<X-Tunnel>: 'yes {ua-req-path}'
routes: [{ cluster: app }]
clusters: { app: { backends: ${backendList(echo)} } }`);
  onTestFinished(() => junction.close());
  const ws = await client(junction, '/room/7');
  ws.send('hi');
  await nextMessages(ws, 1);
  expect(echo.upgrades[0]?.['x-tunnel']).toBe('yes room/7');
  ws.close(1000);
  await closed(ws);
  await expectNothingHeld(junction);
});

test('routes[].upgrade: false answers 403 itself; a list allows only the protocols it names', async () => {
  const echo = await backend();
  const junction = await startJunctionFromYaml(`
routes:
  - { match: { path: /closed/ }, cluster: app, upgrade: false }
  - { match: { path: /ws-only/ }, cluster: app, upgrade: [websocket] }
clusters: { app: { backends: ${backendList(echo)} } }`);
  onTestFinished(() => junction.close());
  await expect(openWebSocket(`ws://127.0.0.1:${junction.port}/closed/x`)).rejects.toThrow(
    'unexpected response 403',
  );
  const raw = await RawClient.connect(junction.port);
  onTestFinished(() => raw.close());
  const other = await raw.exchange(
    'GET /ws-only/x HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n',
  );
  expect(other.statusCode).toBe(403);
  // Refused before any upstream was asked: the connection stays usable for HTTP.
  const plain = await raw.exchange('GET /ws-only/x HTTP/1.1\r\nHost: up.test\r\n\r\n');
  expect(plain.statusCode).toBe(200);
  expect(echo.upgrades).toHaveLength(0);
  const ws = await client(junction, '/ws-only/chat');
  ws.send('allowed');
  expect((await nextMessages(ws, 1))[0]?.data.toString()).toBe('allowed');
  ws.close(1000);
  await closed(ws);
  await raw.close();
  await expectNothingHeld(junction);
});

test.each([
  ['HTTP/1.0', 'GET /old HTTP/1.0\r\nHost: up.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n'],
  [
    'a request with a body',
    'POST /form HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\nContent-Length: 3\r\n\r\nabc',
  ],
])('%s asking for an upgrade is forwarded as a plain request, without Upgrade', async (_name, bytes) => {
  const capture = await captureBackend();
  onTestFinished(() => capture.close());
  const junction = await proxyToBackend(capture);
  const raw = await RawClient.connect(junction.port);
  onTestFinished(() => raw.close());
  const response = await raw.exchange(bytes);
  expect(response.statusCode).toBe(200);
  expect(capture.requests).toHaveLength(1);
  expect(capture.requests[0]?.headers['upgrade']).toBeUndefined();
  expect(capture.requests[0]?.headers['connection'] ?? '').not.toMatch(/upgrade/i);
  await raw.close();
  await expectNothingHeld(junction);
});

test('a 101 without an Upgrade field, or to a request that asked for none, is a 502', async () => {
  const switching = await rawBackend((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n');
    });
  });
  onTestFinished(() => switching.close());
  const junction = await proxyToBackend(switching);
  for (const head of [
    'GET / HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: up.test\r\n\r\n',
  ]) {
    const raw = await RawClient.connect(junction.port);
    const response = await raw.exchange(head);
    expect(response.statusCode).toBe(502);
    await raw.close();
  }
  await expectNothingHeld(junction);
  expect(junction.server.stats().upstreamConnectionsOpen).toBe(0);
});

test('a client that stops reading holds the backend back instead of filling Junction', async () => {
  const total = 256 * MiB;
  let written = 0;
  const firehose = await rawBackend((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: firehose\r\nConnection: Upgrade\r\n\r\n');
      const block = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (written < total) {
          written += block.length;
          if (!socket.write(block)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
  onTestFinished(() => firehose.close());
  const junction = await proxyToBackend(firehose);
  const socket = await connectTo(junction.port);
  onTestFinished(() => {
    socket.destroy();
  });
  socket.write('GET / HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade\r\nUpgrade: firehose\r\n\r\n');
  await readUntil(socket, (got) => got.includes('\r\n\r\n'));
  socket.pause();
  // Let the pipe fill: what the backend wrote is bounded by socket buffers, not by the stream.
  await waitFor(() => written > 0, { what: 'the backend writing' });
  let last = -1;
  await waitFor(
    async () => {
      const settled = written === last;
      last = written;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return settled;
    },
    { what: 'the backend being held back', timeoutMs: 10_000 },
  );
  expect(written).toBeLessThan(64 * MiB);
  socket.destroy();
  await expectNothingHeld(junction);
});

test('response hooks see the 101: a field they add reaches the client, and respond() refuses the switch', async () => {
  const seen: string[] = [];
  const plugin = definePlugin({
    name: 'see-101',
    setup(api) {
      api.hook('read-response', (txn: TxnContext) => {
        seen.push(`${txn.request.headers.get('upgrade') ?? '-'} ${txn.response?.status ?? 0}`);
      });
      api.hook('send-response', (txn: TxnContext) => {
        if (txn.response?.status !== 101) return;
        if (txn.request.path === '/refuse') txn.respond({ status: 409, body: 'not now' });
        else txn.response.headers.set('X-Seen', 'yes');
      });
    },
  });
  const echo = await echoProtocolBackend();
  const junction = await startJunctionFromYaml(
    `plugins: [see-101]
routes: [{ cluster: app }]
clusters: { app: { backends: ${backendList(echo)} } }`,
    { plugins: { 'see-101': plugin } },
  );
  onTestFinished(() => junction.close());

  const accepted = await RawClient.connect(junction.port);
  onTestFinished(() => accepted.close());
  await accepted.write('GET / HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nabc');
  const text = (await accepted.readUntil((got) => got.includes('hello abc'))).toString('latin1');
  expect(text).toMatch(/^HTTP\/1\.1 101 /);
  expect(text).toContain('\r\nX-Seen: yes\r\n');
  await accepted.close();

  const refused = await RawClient.connect(junction.port);
  onTestFinished(() => refused.close());
  const answer = await refused.exchange(
    'GET /refuse HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
  );
  expect(answer.statusCode).toBe(409);
  expect(answer.body.toString()).toBe('not now');
  expect(seen).toEqual(['echo 101', 'echo 101']);
  await refused.close();
  await expectNothingHeld(junction);
  expect(junction.server.stats().upstreamConnectionsOpen).toBe(0);
});

test('examples/websocket.yaml: WebSocket on /live/, plain HTTP beside it, upgrades refused elsewhere', async () => {
  const realtime = await backend();
  const web = await captureBackend();
  onTestFinished(() => web.close());
  const yaml = readFileSync(new URL('../../examples/websocket.yaml', import.meta.url), 'utf8')
    .replace('port: 8080', 'port: 0')
    .replaceAll('127.0.0.1:9201', realtime.address)
    .replaceAll('127.0.0.1:9202', web.address);
  const junction = await startJunctionFromYaml(yaml);
  onTestFinished(() => junction.close());
  expect(junction.config.timeouts.tunnelIdleMs).toBe(120_000);

  const ws = await client(junction, '/live/chat');
  ws.send('through the example');
  expect((await nextMessages(ws, 1))[0]?.data.toString()).toBe('through the example');
  expect(realtime.upgrades[0]?.['x-junction-route']).toBe('live');
  await expect(openWebSocket(`ws://127.0.0.1:${junction.port}/elsewhere`)).rejects.toThrow(
    'unexpected response 403',
  );
  const raw = await RawClient.connect(junction.port);
  onTestFinished(() => raw.close());
  expect((await raw.exchange('GET /live/status HTTP/1.1\r\nHost: up.test\r\n\r\n')).statusCode).toBe(200);
  expect(realtime.plainRequests).toBe(1);
  expect(web.requests).toHaveLength(0);
  ws.close(1000);
  await closed(ws);
  await raw.close();
  await expectNothingHeld(junction);
});

test('an open tunnel counts as a session and an upstream in flight; shutdown cuts it after the grace period', async () => {
  const echo = await backend();
  const junction = await proxyToBackend(echo);
  const ws = await client(junction);
  ws.send('open');
  await nextMessages(ws, 1);
  expect(junction.server.stats()).toMatchObject({
    sessions: 1,
    upstreamInFlight: 1,
    upstreamConnectionsOpen: 1,
  });
  const started = Date.now();
  const closing = junction.close(300);
  expect((await closed(ws)).code).toBe(1006);
  await closing;
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  await waitFor(() => echo.open.size === 0, { what: 'the backend side closing' });
  expect(junction.server.stats()).toMatchObject({
    sessions: 0,
    upstreamInFlight: 0,
    upstreamConnectionsOpen: 0,
  });
});

test('an upgrade request is not retried once sent, though the cluster retries resets', async () => {
  const closing = await closeBeforeHeadBackend();
  onTestFinished(() => closing.close());
  const echo = await backend();
  const junction = await startJunctionFromYaml(`
routes: [{ cluster: app }]
clusters:
  app:
    strategy: first-available
    retry: { attempts: 3, on: [reset] }
    backends: ${backendList(closing, echo)}`);
  onTestFinished(() => junction.close());
  await expect(openWebSocket(`ws://127.0.0.1:${junction.port}/`)).rejects.toThrow('unexpected response 502');
  expect(closing.connections).toBe(1);
  expect(echo.upgrades).toHaveLength(0);
  expect(echo.connections).toBe(0);
  // A plain request on the same cluster is retried onto the second backend.
  const raw = await RawClient.connect(junction.port);
  onTestFinished(() => raw.close());
  expect((await raw.exchange('GET / HTTP/1.1\r\nHost: up.test\r\n\r\n')).statusCode).toBe(200);
  expect(closing.connections).toBe(2);
  expect(echo.plainRequests).toBe(1);
  await raw.close();
  await expectNothingHeld(junction);
});

test('a client that vanishes without a close frame frees the backend side too', async () => {
  const echo = await backend();
  const junction = await proxyToBackend(echo);
  const ws = await client(junction);
  ws.send('then gone');
  await nextMessages(ws, 1);
  ws.terminate();
  await waitFor(() => echo.closes.length === 1, { what: 'the backend side closing' });
  expect(echo.closes[0]?.code).toBe(1006);
  await expectNothingHeld(junction);
  expect(junction.server.stats().upstreamConnectionsOpen).toBe(0);
});
