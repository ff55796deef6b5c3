/**
 * txn-close hooks and rules see the response that was sent (status, fields, bytes) and the upstream's
 * where there was one, whatever other hooks are registered: a plugin with nothing but a txn-close hook
 * (an access log) must see a proxied response.
 */
import { expect, onTestFinished, test } from 'vitest';
import { definePlugin, type TxnContext } from '../../src/index.ts';
import { captureBackend, garbageBackend, type Backend } from '../support/backends.ts';
import { RawClient } from '../support/clients.ts';
import { capturedLogs } from '../support/logs.ts';
import { startJunctionFromYaml, type StartJunctionOptions } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

interface Closed {
  readonly status: number | undefined;
  readonly reason: string | undefined;
  readonly backendField: string | undefined;
  readonly upstreamStatus: number | undefined;
  readonly bytes: number | undefined;
}

function closeRecorder(
  seen: Closed[],
  extra?: (api: Parameters<Parameters<typeof definePlugin>[0]['setup']>[0]) => void,
) {
  return definePlugin({
    name: 'access-log',
    setup(api) {
      api.hook('txn-close', (txn: TxnContext) => {
        seen.push({
          status: txn.response?.status,
          reason: txn.response?.reason,
          backendField: txn.response?.headers.get('x-backend'),
          upstreamStatus: txn.upstreamResponse?.status,
          bytes: txn.responseBytes,
        });
      });
      extra?.(api);
    },
  });
}

async function backendOf<B extends Backend>(made: Promise<B>): Promise<B> {
  const backend = await made;
  onTestFinished(() => backend.close());
  return backend;
}

async function proxy(yaml: string, options: StartJunctionOptions = {}) {
  const junction = await startJunctionFromYaml(yaml, options);
  onTestFinished(() => junction.close());
  return junction;
}

const RESPONSE = 'HTTP/1.1 201 Made\r\nX-Backend: b1\r\nContent-Length: 5\r\n\r\nhello';

async function exchange(port: number, path = '/') {
  const client = await RawClient.connect(port);
  onTestFinished(() => client.close());
  const response = await client.exchange(`GET ${path} HTTP/1.1\r\nHost: a.test\r\n\r\n`);
  return { response, bytes: client.received.length };
}

test('a plugin with only a txn-close hook sees the proxied response, its fields and its bytes', async () => {
  const backend = await backendOf(captureBackend({ response: RESPONSE }));
  const seen: Closed[] = [];
  const junction = await proxy(
    `
plugins: [test:log]
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
    { plugins: { 'test:log': closeRecorder(seen) } },
  );
  const { response, bytes } = await exchange(junction.port);
  expect(response.statusCode).toBe(201);
  await waitFor(() => seen.length === 1);
  expect(seen[0]).toEqual({ status: 201, reason: 'Made', backendField: 'b1', upstreamStatus: 201, bytes });
});

test("a hook's answer instead of the upstream's: txn-close sees both", async () => {
  const backend = await backendOf(captureBackend({ response: RESPONSE }));
  const seen: Closed[] = [];
  const plugin = closeRecorder(seen, (api) => {
    api.hook('read-response', (txn) => {
      txn.respond({ status: 503, body: 'replaced\n' });
    });
  });
  const junction = await proxy(
    `
plugins: [test:log]
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
    { plugins: { 'test:log': plugin } },
  );
  const { response, bytes } = await exchange(junction.port);
  expect(response.statusCode).toBe(503);
  await waitFor(() => seen.length === 1);
  expect(seen[0]).toEqual({
    status: 503,
    reason: 'Service Unavailable',
    backendField: undefined,
    upstreamStatus: 201,
    bytes,
  });
});

test("Junction's own 502: txn-close sees it, and no upstream response", async () => {
  const backend = await backendOf(garbageBackend());
  const seen: Closed[] = [];
  const junction = await proxy(
    `
plugins: [test:log]
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"], retry: { attempts: 1 } }
`,
    { plugins: { 'test:log': closeRecorder(seen) } },
  );
  const { response, bytes } = await exchange(junction.port);
  expect(response.statusCode).toBe(502);
  await waitFor(() => seen.length === 1);
  expect(seen[0]).toMatchObject({ status: 502, upstreamStatus: undefined, bytes });
});

test('txn-close rules read proxy-rsp-* and upstream-rsp-* without other response hooks', async () => {
  const backend = await backendOf(captureBackend({ response: RESPONSE }));
  const logs = capturedLogs('info');
  const junction = await proxy(
    `
rules:
  - when: ua-req
    do:
      - with: '{ua-req-path}'
        select:
          - match: 'teapot'
            do:
              - proxy-reply: { status: 418, body: "short and stout\\n" }
  - when: txn-close
    do:
      - note: 'closed {proxy-rsp-status} {proxy-rsp-field<X-Backend>} upstream={upstream-rsp-status} bytes={proxy-rsp-bytes}'
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
    { logger: logs.logger },
  );
  const proxied = await exchange(junction.port);
  const replied = await exchange(junction.port, '/teapot');
  const notes = (): string[] => logs.lines.filter((l) => l.msg.startsWith('closed')).map((l) => l.msg);
  await waitFor(() => notes().length === 2);
  expect(notes()).toEqual([
    `closed 201 b1 upstream=201 bytes=${proxied.bytes}`,
    `closed 418  upstream= bytes=${replied.bytes}`,
  ]);
});
