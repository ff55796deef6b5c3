/**
 * Every response Junction writes has a Date field (RFC 9110 §6.6.1): its own answers (errors, redirects,
 * hook and rule replies) get Junction's clock; a backend's answer keeps the backend's Date, and gets one
 * only when the backend sent none.
 */
import { describe, expect, onTestFinished, test } from 'vitest';
import { definePlugin } from '../../src/index.ts';
import {
  captureBackend,
  closedPort,
  garbageBackend,
  neverAnswerBackend,
  type Backend,
} from '../support/backends.ts';
import { headerValue, rawRequest, RawClient, type ParsedResponse } from '../support/clients.ts';
import { startJunctionFromYaml, type StartJunctionOptions } from '../support/start-junction.ts';

/** An IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

async function proxy(yaml: string, options: StartJunctionOptions = {}) {
  const junction = await startJunctionFromYaml(yaml, options);
  onTestFinished(() => junction.close());
  return junction;
}

async function backendOf<B extends Backend>(made: Promise<B>): Promise<B> {
  const backend = await made;
  onTestFinished(() => backend.close());
  return backend;
}

/** The one Date field of `response`, checked to be a current IMF-fixdate. */
function expectCurrentDate(response: ParsedResponse | undefined): void {
  if (response === undefined) throw new Error('no response');
  const dates = response.rawHeaders.filter(([name]) => name.toLowerCase() === 'date');
  expect(dates).toHaveLength(1);
  const value = dates[0]![1];
  expect(value).toMatch(IMF_FIXDATE);
  // Within a generous minute of now: the clock is read, not a stale constant.
  expect(Math.abs(Date.parse(value) - Date.now())).toBeLessThan(60_000);
}

async function firstResponse(port: number, bytes: string): Promise<ParsedResponse | undefined> {
  const result = await rawRequest(port, bytes, { responses: 1, timeoutMs: 5000 });
  return result.responses[0];
}

const GET = (path = '/', host = 'a.test') => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

describe("Junction's own answers carry Date", () => {
  test('404, 400, 431, 413 and 408', async () => {
    const backend = await backendOf(captureBackend());
    const junction = await proxy(`
limits: { max_head_size: 4KiB, max_request_line: 2KiB, max_body_size: 10 }
timeouts: { client_head: 300ms }
routes: [{ match: { path: /app/ }, cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    const notFound = await firstResponse(junction.port, GET('/nothing'));
    expect(notFound?.statusCode).toBe(404);
    expectCurrentDate(notFound);
    const bad = await firstResponse(junction.port, 'GET / HTTP/1.1\r\nHost: a\r\nBad Field: x\r\n\r\n');
    expect(bad?.statusCode).toBe(400);
    expectCurrentDate(bad);
    const big = await firstResponse(
      junction.port,
      `GET /app/ HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(8000)}\r\n\r\n`,
    );
    expect(big?.statusCode).toBe(431);
    expectCurrentDate(big);
    const tooLarge = await firstResponse(
      junction.port,
      'POST /app/ HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n',
    );
    expect(tooLarge?.statusCode).toBe(413);
    expectCurrentDate(tooLarge);
    const late = await firstResponse(junction.port, 'GET /app/ HTTP/1.1\r\nHost: a\r\n');
    expect(late?.statusCode).toBe(408);
    expectCurrentDate(late);
  });

  test('502, 503 and 504', async () => {
    const garbage = await backendOf(garbageBackend());
    const silent = await backendOf(neverAnswerBackend());
    const closed = await closedPort();
    const junction = await proxy(`
timeouts: { backend_response: 300ms }
routes:
  - { match: { path: /garbage }, cluster: garbage }
  - { match: { path: /silent }, cluster: silent }
  - { match: { path: /closed }, cluster: closed }
clusters:
  garbage: { backends: ["${garbage.address}"], retry: { attempts: 1 } }
  silent: { backends: ["${silent.address}"], retry: { attempts: 1 } }
  closed: { backends: ["127.0.0.1:${closed}"], retry: { attempts: 1 } }
`);
    const bad = await firstResponse(junction.port, GET('/garbage'));
    expect(bad?.statusCode).toBe(502);
    expectCurrentDate(bad);
    const timedOut = await firstResponse(junction.port, GET('/silent'));
    expect(timedOut?.statusCode).toBe(504);
    expectCurrentDate(timedOut);
    const refused = await firstResponse(junction.port, GET('/closed'));
    expect(refused?.statusCode).toBe(503);
    expectCurrentDate(refused);
  });

  test('a rule reply, a hook reply, and a redirect to HTTPS', async () => {
    const backend = await backendOf(captureBackend());
    const plugin = definePlugin({
      name: 'answers',
      setup(api) {
        api.hook('read-request', (txn) => {
          if (txn.request.path === '/hook') txn.respond({ status: 403, body: 'no\n' });
        });
      },
    });
    const junction = await proxy(
      `
listeners:
  - { name: main, address: 127.0.0.1, port: 0 }
  - { name: plain, address: 127.0.0.1, port: 0, redirect_to_https: { port: 8443, status: 308 } }
plugins: [test:answers]
rules:
  - when: ua-req
    do:
      - with: '{ua-req-path}'
        select:
          - match: 'rule'
            do:
              - proxy-reply: { status: 503, body: "down\\n" }
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
      { plugins: { 'test:answers': plugin } },
    );
    const rule = await firstResponse(junction.port, GET('/rule'));
    expect(rule?.statusCode).toBe(503);
    expectCurrentDate(rule);
    const hook = await firstResponse(junction.port, GET('/hook'));
    expect(hook?.statusCode).toBe(403);
    expectCurrentDate(hook);
    const redirect = await firstResponse(junction.server.listeners[1]!.port, GET('/x'));
    expect(redirect?.statusCode).toBe(308);
    expectCurrentDate(redirect);
    expect(backend.requests).toHaveLength(0);
  });

  test('a hook reply with its own Date keeps it, once', async () => {
    const plugin = definePlugin({
      name: 'dated',
      setup(api) {
        api.hook('read-request', (txn) => {
          txn.respond({ status: 200, headers: { date: 'Sun, 06 Nov 1994 08:49:37 GMT' }, body: 'old\n' });
        });
      },
    });
    const junction = await proxy(
      `
plugins: [test:dated]
routes: [{ cluster: app }]
clusters:
  app: { backends: ["127.0.0.1:1"] }
`,
      { plugins: { 'test:dated': plugin } },
    );
    const res = await firstResponse(junction.port, GET('/'));
    expect(res?.rawHeaders.filter(([name]) => name.toLowerCase() === 'date')).toEqual([
      ['date', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ]);
  });
});

test('429 to a client address over max_connections_per_client', async () => {
  const backend = await backendOf(captureBackend());
  const junction = await proxy(`
listeners: [{ address: 127.0.0.1, port: 0, max_connections_per_client: 1 }]
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
  const first = await RawClient.connect(junction.port);
  onTestFinished(() => first.close());
  expect((await first.exchange(GET())).statusCode).toBe(200);
  const second = await RawClient.connect(junction.port);
  onTestFinished(() => second.close());
  const [refused] = await second.readResponses(1);
  expect(refused?.statusCode).toBe(429);
  expectCurrentDate(refused);
});

describe('proxied responses', () => {
  test("the backend's Date is kept as it sent it", async () => {
    const backend = await backendOf(
      captureBackend({
        response: 'HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 2\r\n\r\nok',
      }),
    );
    const junction = await proxy(`
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    const client = await RawClient.connect(junction.port);
    onTestFinished(() => client.close());
    const res = await client.exchange(GET());
    expect(res.rawHeaders.filter(([name]) => name.toLowerCase() === 'date')).toEqual([
      ['Date', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ]);
  });

  test('a backend answer without Date gets one (RFC 9110 §6.6.1)', async () => {
    const backend = await backendOf(
      captureBackend({ response: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' }),
    );
    const junction = await proxy(`
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    const res = await firstResponse(junction.port, GET());
    expect(res?.statusCode).toBe(200);
    expectCurrentDate(res);
    expect(headerValue(res!.rawHeaders, 'content-length')).toBe('2');
  });
});
