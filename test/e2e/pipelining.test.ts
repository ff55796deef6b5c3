/**
 * Pipelining: requests sent back to back in one write are answered in request order, whatever route,
 * backend or latency each one has, and whether Junction or a backend answers.
 */
import { expect, onTestFinished, test } from 'vitest';
import { echoBackend, type EchoReply, type HttpBackend } from '../support/backends.ts';
import { RawClient } from '../support/clients.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

async function threeLatencies() {
  const started: HttpBackend[] = [];
  for (const [name, delayMs] of [
    ['slow', 300],
    ['medium', 100],
    ['fast', 0],
  ] as const) {
    const backend = await echoBackend(name, delayMs > 0 ? { delayMs } : {});
    onTestFinished(() => backend.close());
    started.push(backend);
  }
  const [slow, medium, fast] = started as [HttpBackend, HttpBackend, HttpBackend];
  const junction = await startJunctionFromYaml(`
routes:
  - { match: { path: /slow }, cluster: slow }
  - { match: { path: /medium }, cluster: medium }
  - { match: { path: /fast }, cluster: fast }
clusters:
  slow: { backends: ["${slow.address}"] }
  medium: { backends: ["${medium.address}"] }
  fast: { backends: ["${fast.address}"] }
`);
  onTestFinished(() => junction.close());
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  return { junction, client };
}

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: pipe.test\r\n\r\n`;
const echoed = (body: Buffer): EchoReply => JSON.parse(body.toString()) as EchoReply;

test('three pipelined requests to backends of different latency are answered in request order', async () => {
  const { client } = await threeLatencies();
  await client.write(get('/slow') + get('/fast') + get('/medium'));
  const responses = await client.readResponses(3);
  expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200]);
  expect(responses.map((r) => echoed(r.body).backend)).toEqual(['slow', 'fast', 'medium']);
  expect(client.ended).toBe(false);
});

test('a pipelined request with a body is framed correctly and its neighbour still answered in order', async () => {
  const { client } = await threeLatencies();
  await client.write(
    'POST /slow HTTP/1.1\r\nHost: pipe.test\r\nContent-Length: 11\r\n\r\nhello world' +
      'POST /fast HTTP/1.1\r\nHost: pipe.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
      get('/medium'),
  );
  const replies = (await client.readResponses(3)).map((r) => echoed(r.body));
  expect(replies.map((r) => [r.backend, r.method, r.bodyLength])).toEqual([
    ['slow', 'POST', 11],
    ['fast', 'POST', 3],
    ['medium', 'GET', 0],
  ]);
});

test("Junction's own 404 keeps its place among pipelined proxied responses", async () => {
  const { client } = await threeLatencies();
  await client.write(get('/slow') + get('/no-route') + get('/fast'));
  const responses = await client.readResponses(3);
  expect(responses.map((r) => r.statusCode)).toEqual([200, 404, 200]);
  expect(echoed(responses[0]!.body).backend).toBe('slow');
  expect(echoed(responses[2]!.body).backend).toBe('fast');
});

test('with a small limits.max_pipelined_size, requests sent far ahead are still all answered, in order', async () => {
  const backend = await echoBackend('slow', { delayMs: 50 });
  onTestFinished(() => backend.close());
  const junction = await startJunctionFromYaml(`
limits: { max_pipelined_size: 1KiB }
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  onTestFinished(() => junction.close());
  const client = await RawClient.connect(junction.port);
  onTestFinished(() => client.close());
  // 20 requests of about 230 bytes: well past 1 KiB queued while the first is answered slowly, so
  // Junction stops reading and resumes as the queue drains.
  const padding = 'x'.repeat(180);
  const burst = Array.from(
    { length: 20 },
    (_, i) => `GET /r${i} HTTP/1.1\r\nHost: pipe.test\r\nX-Pad: ${padding}\r\n\r\n`,
  );
  await client.write(burst.join(''));
  const responses = await client.readResponses(20, { timeoutMs: 10_000 });
  expect(responses.map((r) => echoed(r.body).url)).toEqual(burst.map((_, i) => `/r${i}`));
});
