/**
 * Configurable limits over real sockets: request body size per route (413), the listener's accept
 * queue (timeout and bound), the kernel's listen backlog, connections per client address (429), and
 * the session timeouts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, onTestFinished, test } from 'vitest';
import { echoBackend } from '../support/backends.ts';
import { RawClient } from '../support/clients.ts';
import { backendList, startJunctionFromYaml } from '../support/start-junction.ts';
import { requireTool } from '../support/system-tools.ts';

async function proxyTo(backend: { address: string }, yaml: string) {
  const junction = await startJunctionFromYaml(`
clusters:
  app: { backends: ${backendList(backend)} }
${yaml}`);
  onTestFinished(() => junction.close());
  return junction;
}

async function connect(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  onTestFinished(() => client.close());
  return client;
}

test('a Content-Length over the route limit gets 413 before anything reaches the backend, and the connection closes', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyTo(
    backend,
    `limits: { max_body_size: 100 }
routes:
  - { match: { path: /small }, cluster: app, max_body_size: 10 }
  - { match: { path: /big }, cluster: app }`,
  );
  const client = await connect(junction.port);
  // Only the head is sent: the body is "still coming" when Junction answers.
  const res = await client.exchange('POST /small HTTP/1.1\r\nHost: a.test\r\nContent-Length: 11\r\n\r\n');
  expect(res.statusCode).toBe(413);
  expect(await client.waitForEnd()).toBe(true);
  expect(backend.requestsStarted).toBe(0);

  const ok = await connect(junction.port);
  const body = 'x'.repeat(100);
  expect(
    (await ok.exchange(`POST /big HTTP/1.1\r\nHost: a.test\r\nContent-Length: 100\r\n\r\n${body}`))
      .statusCode,
  ).toBe(200);
  const over = await connect(junction.port);
  expect(
    (await over.exchange(`POST /big HTTP/1.1\r\nHost: a.test\r\nContent-Length: 101\r\n\r\n`)).statusCode,
  ).toBe(413);
  expect(backend.requests).toHaveLength(1);
});

test('a chunked body that grows past the limit gets 413 and the backend never sees a complete request', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await proxyTo(backend, `routes: [{ cluster: app, max_body_size: 10 }]`);
  const client = await connect(junction.port);
  await client.write('POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
  const res = await client.exchange('6\r\nworld!\r\n0\r\n\r\n');
  expect(res.statusCode).toBe(413);
  expect(await client.waitForEnd()).toBe(true);
  expect(backend.requests).toHaveLength(0);

  const ok = await connect(junction.port);
  const fine = await ok.exchange(
    'POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n',
  );
  expect(fine.statusCode).toBe(200);
});

const GET = 'GET / HTTP/1.1\r\nHost: a.test\r\n\r\n';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function queueingJunction(backend: { address: string }, listenerYaml: string) {
  const junction = await startJunctionFromYaml(`
listeners: [{ address: 127.0.0.1, port: 0, max_connections: 1, ${listenerYaml} }]
routes: [{ cluster: app }]
clusters:
  app: { backends: ${backendList(backend)} }`);
  onTestFinished(() => junction.close());
  return junction;
}

test('a socket that waits in the accept queue longer than accept_queue_timeout is closed unanswered', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await queueingJunction(backend, 'accept_queue_timeout: 300ms');
  const served = await connect(junction.port);
  expect((await served.exchange(GET)).statusCode).toBe(200);
  const waiting = await connect(junction.port);
  await waiting.write(GET);
  expect(await waiting.waitForEnd(3000)).toBe(true);
  expect(waiting.received.length).toBe(0);
  // The served connection was not disturbed.
  expect((await served.exchange(GET)).statusCode).toBe(200);
});

test('past accept_queue_size the newest socket is dropped; the queued one is served when a slot frees', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await queueingJunction(backend, 'accept_queue_size: 1');
  const served = await connect(junction.port);
  expect((await served.exchange(GET)).statusCode).toBe(200);
  const queued = await connect(junction.port);
  await sleep(100);
  const newest = await connect(junction.port);
  expect(await newest.waitForEnd(3000)).toBe(true);
  expect(newest.received.length).toBe(0);
  await queued.write(GET);
  await sleep(100);
  expect(queued.received.length).toBe(0);
  await served.close();
  const [res] = await queued.readResponses(1);
  expect(res!.statusCode).toBe(200);
});

/** The backlog the kernel gives the socket listening on `port`: ss's Send-Q for a listening socket. */
function listenBacklog(ss: string, port: number): number {
  const line = execFileSync(ss, ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
  return Number(line.split(/\s+/)[2]);
}

test('the listener listens with its configured backlog, 4096 by default (capped by somaxconn)', async (context) => {
  const ss = requireTool(context, 'ss', 'the iproute2 package (apt-get install iproute2)');
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await startJunctionFromYaml(`
listeners:
  - { address: 127.0.0.1, port: 0, name: small, backlog: 7 }
  - { address: 127.0.0.1, port: 0, name: default }
routes: [{ cluster: app }]
clusters:
  app: { backends: ${backendList(backend)} }`);
  onTestFinished(() => junction.close());
  const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  const [small, plain] = junction.server.listeners;
  expect(listenBacklog(ss, small!.port)).toBe(7);
  expect(listenBacklog(ss, plain!.port)).toBe(Math.min(4096, somaxconn));
});

test('a client address over max_connections_per_client gets 429 and a close; a freed slot is usable again', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const junction = await startJunctionFromYaml(`
listeners: [{ address: 127.0.0.1, port: 0, max_connections_per_client: 2 }]
routes: [{ cluster: app }]
clusters:
  app: { backends: ${backendList(backend)} }`);
  onTestFinished(() => junction.close());
  const first = await connect(junction.port);
  const second = await connect(junction.port);
  expect((await first.exchange(GET)).statusCode).toBe(200);
  expect((await second.exchange(GET)).statusCode).toBe(200);
  const third = await connect(junction.port);
  const [refused] = await third.readResponses(1);
  expect(refused!.statusCode).toBe(429);
  expect(await third.waitForEnd()).toBe(true);
  await first.close();
  await sleep(100);
  const fourth = await connect(junction.port);
  expect((await fourth.exchange(GET)).statusCode).toBe(200);
  expect(backend.requests).toHaveLength(3);
});
