/**
 * Response heads from backends have limits of their own (`limits.max_response_head_size`,
 * `max_response_header_count`), not the client request limits: a backend answer with ordinary headers
 * is forwarded whatever the request limits are, and one over the response limits is a 502 with its own
 * code that does not eject the backend (it answered; the answer is too big).
 */
import { expect, onTestFinished, test } from 'vitest';
import { captureBackend, type CaptureBackend } from '../support/backends.ts';
import { RawClient, headerValue } from '../support/clients.ts';
import { capturedLogs } from '../support/logs.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

/** A backend answering 200 with `count` X-Field-n fields, each padded to `valueBytes`. */
async function manyFieldsBackend(count: number, valueBytes = 8): Promise<CaptureBackend> {
  let head = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n';
  for (let i = 0; i < count; i++) head += `X-Field-${i}: ${'v'.repeat(valueBytes)}\r\n`;
  const backend = await captureBackend({ response: `${head}\r\nok` });
  onTestFinished(() => backend.close());
  return backend;
}

async function proxyWith(backend: CaptureBackend, extra: string, logger?: ReturnType<typeof capturedLogs>) {
  const junction = await startJunctionFromYaml(
    `
routes: [{ cluster: app }]
clusters:
  app:
    backends: ["${backend.address}"]
    retry: { attempts: 1 }
    health: { passive: { consecutive_failures: 1 } }
${extra}`,
    logger === undefined ? {} : { logger: logger.logger },
  );
  onTestFinished(() => junction.close());
  return junction;
}

async function get(port: number) {
  const client = await RawClient.connect(port);
  onTestFinished(() => client.close());
  return client.exchange('GET / HTTP/1.1\r\nHost: a.test\r\n\r\n');
}

test('a backend answer with more fields than the request default (100) is forwarded', async () => {
  const backend = await manyFieldsBackend(150);
  const junction = await proxyWith(backend, '');
  const res = await get(junction.port);
  expect(res.statusCode).toBe(200);
  expect(headerValue(res.rawHeaders, 'x-field-149')).toBe('vvvvvvvv');
});

test('a 40 KiB response head (over the 32 KiB request default) is forwarded', async () => {
  const backend = await manyFieldsBackend(20, 2000);
  const junction = await proxyWith(backend, '');
  const res = await get(junction.port);
  expect(res.statusCode).toBe(200);
  expect(res.body.toString()).toBe('ok');
});

test('tight request limits do not bound responses', async () => {
  const backend = await manyFieldsBackend(30, 100);
  const junction = await proxyWith(
    backend,
    'limits: { max_head_size: 1KiB, max_request_line: 512B, max_header_count: 10 }',
  );
  const res = await get(junction.port);
  expect(res.statusCode).toBe(200);
  expect(headerValue(res.rawHeaders, 'x-field-29')).toBe('v'.repeat(100));
});

test('a response over max_response_header_count is a 502 with its own code, and no ejection', async () => {
  const backend = await manyFieldsBackend(30);
  const logs = capturedLogs('info');
  const junction = await proxyWith(backend, 'limits: { max_response_header_count: 20 }', logs);
  for (let i = 0; i < 3; i++) {
    const res = await get(junction.port);
    expect(res.statusCode).toBe(502);
    expect(res.body.toString()).toMatch(/response head.*too large/i);
  }
  const lines = logs.lines.filter((l) => l['code'] === 'JCT_ERR_HTTP_RESPONSE_HEAD_TOO_LARGE');
  expect(lines.length).toBeGreaterThanOrEqual(3);
  expect(lines[0]!.msg).toMatch(/header fields/);
  // The backend answered each time: it is not ejected (consecutive_failures: 1 would have).
  const [upstream] = junction.server.upstreams();
  expect(upstream!.isUp).toBe(true);
  expect(backend.requests).toHaveLength(3);
});

test('a response head over max_response_head_size is a 502 with its own code', async () => {
  const backend = await manyFieldsBackend(10, 500);
  const logs = capturedLogs('info');
  const junction = await proxyWith(backend, 'limits: { max_response_head_size: 2KiB }', logs);
  const res = await get(junction.port);
  expect(res.statusCode).toBe(502);
  const line = logs.lines.find((l) => l['code'] === 'JCT_ERR_HTTP_RESPONSE_HEAD_TOO_LARGE');
  expect(line?.msg).toMatch(/larger than/);
  expect(junction.server.upstreams()[0]!.isUp).toBe(true);
});
