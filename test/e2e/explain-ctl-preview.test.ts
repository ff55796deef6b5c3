/**
 * `junction ctl preview B.yaml` against a running Junction that keeps its recent requests
 * (`explain.keep_requests`): the requests a changed route would send elsewhere are reported, and only
 * those; credentials' values never leave the process. With the ring off, the command says how to turn
 * it on and exits 1.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { echoBackend } from '../support/backends.ts';
import { ctlInProcess } from '../support/in-process-cli.ts';
import { startWithAdmin } from '../support/metrics.ts';
import { backendList, EPHEMERAL_LISTENER_YAML } from '../support/start-junction.ts';

function config(apiCluster: string, a: string, b: string, explain: string): string {
  return `${EPHEMERAL_LISTENER_YAML}
${explain}
routes:
  - name: api
    match: { path: /api/ }
    cluster: ${apiCluster}
  - name: app
    match: { path: /app/ }
    cluster: app
clusters:
  app: { backends: ${a} }
  api2: { backends: ${b} }
`;
}

async function tempFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'junction-ctl-preview-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'new.yaml');
  await writeFile(file, text);
  return file;
}

test('ctl preview reports exactly the kept requests a changed route sends elsewhere', async () => {
  const a = await echoBackend('a');
  const b = await echoBackend('b');
  onTestFinished(() => a.close());
  onTestFinished(() => b.close());
  const explain = 'explain: { keep_requests: 3 }';
  const running = await startWithAdmin(config('app', backendList(a), backendList(b), explain));
  const { junction, admin, token } = running;
  const base = `http://127.0.0.1:${junction.port}`;
  // The first is pushed out of the ring of 3.
  for (const [path, headers] of [
    ['/api/old', {}],
    ['/app/one', {}],
    ['/api/users?page=2', { authorization: 'Bearer very-secret-token', cookie: 'sid=also-secret' }],
    ['/app/two', {}],
  ] as const) {
    const response = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  }

  const recent = await running.get('/explain/recent');
  expect(recent.status).toBe(200);
  expect(recent.text).not.toContain('secret');
  expect(recent.text).toContain('[redacted]');
  expect((JSON.parse(recent.text) as { requests: unknown[] }).requests).toHaveLength(3);

  const newFile = await tempFile(config('api2', backendList(a), backendList(b), explain));
  const out = await ctlInProcess(['--admin', admin.url, '--token', token, 'preview', newFile]);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  expect(out.stdout).toBe(
    [
      'Cluster changes: 1',
      `  GET http://127.0.0.1:${junction.port}/api/users?page=2`,
      `    old: route api, cluster app, 127.0.0.1:${junction.port}/api/users?page=2`,
      `    new: route api, cluster api2, 127.0.0.1:${junction.port}/api/users?page=2`,
      '',
      '1 of 3 requests would be handled differently',
      '',
    ].join('\n'),
  );

  const json = await ctlInProcess(['--admin', admin.url, '--token', token, '--json', 'preview', newFile]);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout)).toMatchObject({ total: 3, differing: 1 });

  // The running config itself changes nothing.
  const same = await tempFile(config('app', backendList(a), backendList(b), explain));
  const none = await ctlInProcess(['--admin', admin.url, '--token', token, 'preview', same]);
  expect(none.stdout).toBe('0 of 3 requests would be handled differently\n');
});

test('ctl preview with the ring off says how to turn it on, and exits 1', async () => {
  const a = await echoBackend('a');
  onTestFinished(() => a.close());
  const { admin, token } = await startWithAdmin(config('app', backendList(a), backendList(a), ''));
  const newFile = await tempFile(config('api2', backendList(a), backendList(a), ''));
  const out = await ctlInProcess(['--admin', admin.url, '--token', token, 'preview', newFile]);
  expect(out.code).toBe(1);
  expect(out.stdout).toBe('');
  expect(out.stderr).toContain('keeps no recent requests');
  expect(out.stderr).toContain('explain: { keep_requests: 1000 }');
});
