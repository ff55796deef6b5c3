/**
 * What a failed request logs: one line whose `code` is the cause (refused, TLS, reset…), with the code
 * of the answer kept in `outerCode`, and no stack trace: typed failures are expected, a stack is for
 * bugs. A hook that throws is a bug in a plugin, and still logs its stack.
 */
import { expect, onTestFinished, test } from 'vitest';
import { definePlugin } from '../../src/index.ts';
import { closeMidBodyBackend, closedPort, echoBackend, neverAnswerBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { capturedLogs, type LogLine } from '../support/logs.ts';
import { startJunctionFromYaml, type StartJunctionOptions } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

const WARN = 40;

async function proxy(yaml: string, options: StartJunctionOptions = {}) {
  const junction = await startJunctionFromYaml(yaml, options);
  onTestFinished(() => junction.close());
  return junction;
}

/** Every line at warn or above, as JSON text too (a stack may hide in any field). */
function warnings(lines: LogLine[]): LogLine[] {
  return lines.filter((l) => l.level >= WARN);
}

function expectNoStack(lines: LogLine[]): void {
  for (const line of lines) expect(JSON.stringify(line)).not.toMatch(/"stack"|\n\s+at /);
}

test('a refused connect with retry.attempts: 1 logs JCT_ERR_CONNECT_REFUSED, not only NO_UPSTREAM', async () => {
  const port = await closedPort();
  const logs = capturedLogs('info');
  const junction = await proxy(
    `
routes: [{ cluster: app }]
clusters:
  app: { backends: ["127.0.0.1:${port}"], retry: { attempts: 1 } }
`,
    { logger: logs.logger },
  );
  expect((await request(junction.port)).status).toBe(503);
  await waitFor(() => warnings(logs.lines).length > 0);
  const [line, ...others] = warnings(logs.lines);
  expect(others).toEqual([]);
  expect(line).toMatchObject({
    code: 'JCT_ERR_CONNECT_REFUSED',
    outerCode: 'JCT_ERR_NO_UPSTREAM',
    cluster: 'app',
  });
  expect(line!.msg).toMatch(/refused/i);
  expectNoStack(logs.lines);
});

test('after retries, the line names the last cause', async () => {
  const a = await closedPort();
  const b = await closedPort();
  const logs = capturedLogs('info');
  const junction = await proxy(
    `
routes: [{ cluster: app }]
clusters:
  app: { backends: ["127.0.0.1:${a}", "127.0.0.1:${b}"], retry: { attempts: 2, backoff: { base: 1ms, max: 2ms } } }
`,
    { logger: logs.logger },
  );
  expect((await request(junction.port)).status).toBe(503);
  await waitFor(() => warnings(logs.lines).some((l) => l['outerCode'] === 'JCT_ERR_NO_UPSTREAM'));
  const line = warnings(logs.lines).find((l) => l['outerCode'] === 'JCT_ERR_NO_UPSTREAM');
  expect(line?.['code']).toBe('JCT_ERR_CONNECT_REFUSED');
  expectNoStack(logs.lines);
});

test('a failed TLS handshake to a backend logs JCT_ERR_TLS_HANDSHAKE without a stack', async () => {
  const plain = await echoBackend('plain');
  onTestFinished(() => plain.close());
  const logs = capturedLogs('info');
  const junction = await proxy(
    `
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${plain.address}"], tls: true, retry: { attempts: 1 } }
`,
    { logger: logs.logger },
  );
  const res = await request(junction.port);
  expect(res.status).toBeGreaterThanOrEqual(502);
  await waitFor(() => warnings(logs.lines).length > 0);
  expect(warnings(logs.lines)[0]).toMatchObject({
    code: 'JCT_ERR_TLS_HANDSHAKE',
    outerCode: 'JCT_ERR_NO_UPSTREAM',
  });
  expectNoStack(logs.lines);
});

test('a backend that resets mid-body logs JCT_ERR_UPSTREAM_RESET without a stack', async () => {
  const backend = await closeMidBodyBackend({ declaredBytes: 100, sentBytes: 10 });
  onTestFinished(() => backend.close());
  const logs = capturedLogs('info');
  const junction = await proxy(
    `
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"], retry: { attempts: 1 } }
`,
    { logger: logs.logger },
  );
  await request(junction.port).catch(() => undefined);
  await waitFor(() => warnings(logs.lines).length > 0);
  expect(warnings(logs.lines)[0]).toMatchObject({ code: 'JCT_ERR_UPSTREAM_RESET' });
  expectNoStack(logs.lines);
});

test('a backend that does not answer in time logs JCT_ERR_UPSTREAM_TIMEOUT', async () => {
  const backend = await neverAnswerBackend();
  onTestFinished(() => backend.close());
  const logs = capturedLogs('info');
  const junction = await proxy(
    `
timeouts: { backend_response: 200ms }
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"], retry: { attempts: 1 } }
`,
    { logger: logs.logger },
  );
  expect((await request(junction.port)).status).toBe(504);
  await waitFor(() => warnings(logs.lines).length > 0);
  expect(warnings(logs.lines)).toMatchObject([{ code: 'JCT_ERR_UPSTREAM_TIMEOUT', started: false }]);
  expectNoStack(logs.lines);
});

test('a hook that throws is a bug: its line keeps the stack', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const logs = capturedLogs('info');
  const plugin = definePlugin({
    name: 'buggy',
    setup(api) {
      api.hook('read-request', () => {
        throw new TypeError('undefined is not a function');
      });
    },
  });
  const junction = await proxy(
    `
plugins: [test:buggy]
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
    { logger: logs.logger, plugins: { 'test:buggy': plugin } },
  );
  expect((await request(junction.port)).status).toBe(500);
  const line = logs.lines.find((l) => l['code'] === 'JCT_ERR_HOOK_FAILED');
  expect(JSON.stringify(line)).toMatch(/"stack"/);
});

test('a dead backend does not flood the log: repeats of a cluster and code are counted, not written', async () => {
  const port = await closedPort();
  const logs = capturedLogs('info');
  const junction = await proxy(
    `
routes: [{ cluster: app }]
clusters:
  app: { backends: ["127.0.0.1:${port}"], retry: { attempts: 1 } }
`,
    { logger: logs.logger },
  );
  for (let i = 0; i < 20; i++) expect((await request(junction.port)).status).toBe(503);
  // Passive health may say once that it kept its last backend; the request failures are the flood.
  const lines = warnings(logs.lines).filter((line) => line.msg.includes('could be reached'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ code: 'JCT_ERR_CONNECT_REFUSED', cluster: 'app' });
  expectNoStack(logs.lines);
});
