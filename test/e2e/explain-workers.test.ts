/**
 * `junction explain`'s live side with `workers: 2` (built dist/, spawned, connections dealt round robin
 * so both workers serve): GET /explain/recent and `junction ctl preview` see every worker's kept
 * requests, merged newest first and bounded by `explain.keep_requests`; `junction ctl explain` answers
 * with the group's live health; a guarded reload (`POST /reload?max_changed=`, `ctl reload
 * --max-changed`) is refused with its preview when too many kept requests would change, and applied
 * by every worker when not.
 */
import { writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { expect, onTestFinished, test } from 'vitest';
import { echoBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { ctlInProcess } from '../support/in-process-cli.ts';
import { spawnJunction, tempConfigFile } from '../support/junction-process.ts';

const TOKEN = 'explain-workers-token-0123456789';

const config = (apiCluster: string, a: string, b: string) => `workers: 2
listeners: [{ address: 127.0.0.1, port: 0 }]
admin: { address: 127.0.0.1, port: 0, token: ${TOKEN} }
explain: { keep_requests: 10 }
timeouts: { shutdown_grace: 1s }
routes:
  - { name: api, match: { path: /api/ }, cluster: ${apiCluster} }
  - { name: app, cluster: app }
clusters:
  app: { backends: ["${a}"] }
  api2: { backends: ["${b}"] }
`;

interface Recent {
  keepRequests: number;
  requests: { time: number; label: string; request: { url: string }; outcome: { cluster: string } }[];
}

async function admin(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, json: await response.json() };
}

test('two workers: the kept requests of both, merged newest first and bounded; ctl explain; guarded reloads', async () => {
  const a = await echoBackend('a');
  const b = await echoBackend('b');
  onTestFinished(() => a.close());
  onTestFinished(() => b.close());
  const file = await tempConfigFile('junction.yaml', config('app', a.address, b.address));
  const junction = await spawnJunction(file, {
    withAdmin: true,
    timeoutMs: 20_000,
    env: { JUNCTION_WORKER_SCHEDULING: 'rr' },
  });
  const url = junction.adminUrl!;

  // Twelve requests, each on its own connection: round robin deals them to both workers in turn.
  const paths = Array.from({ length: 12 }, (_, i) => (i % 4 === 3 ? `/api/${i + 1}` : `/app/${i + 1}`));
  for (const path of paths) {
    const response = await request(junction.port, { path, agent: new Agent() });
    expect(response.status).toBe(200);
    // Heads a millisecond apart at least, so newest first is one order.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }

  const recent = await admin(url, 'GET', '/explain/recent');
  expect(recent.status).toBe(200);
  const kept = recent.json as Recent;
  expect(kept.keepRequests).toBe(10);
  // Each worker served six: one worker's ring alone could not hold the ten newest.
  expect(kept.requests.map((r) => r.request.url)).toEqual(paths.slice(2).reverse());
  const times = kept.requests.map((r) => r.time);
  expect(times).toEqual([...times].sort((x, y) => y - x));

  // ctl preview: the kept requests of both workers against a config sending /api/ elsewhere.
  const next = await tempConfigFile('next.yaml', config('api2', a.address, b.address));
  const preview = await ctlInProcess(['--admin', url, '--token', TOKEN, 'preview', next]);
  expect(preview.stderr).toBe('');
  expect(preview.code).toBe(0);
  expect(preview.stdout).toContain('Cluster changes: 3');
  expect(preview.stdout).toContain(`GET http://127.0.0.1:${junction.port}/api/12`);
  expect(preview.stdout).toContain('3 of 10 requests would be handled differently\n');

  // ctl explain with the group's live health.
  const explained = await ctlInProcess([
    '--admin',
    url,
    '--token',
    TOKEN,
    '--json',
    'explain',
    `GET http://127.0.0.1:${junction.port}/api/x`,
  ]);
  expect(explained.stderr).toBe('');
  expect(explained.code).toBe(0);
  expect(JSON.parse(explained.stdout)).toMatchObject({
    route: 'api',
    cluster: { name: 'app', pick: { backend: a.address, deterministic: true } },
    outcome: { kind: 'proxy' },
  });

  // The guard on the admin API: 3 of 10 would change, over 5% → 409 with the preview, nothing applied.
  await writeFile(file, config('api2', a.address, b.address));
  const refused = await admin(url, 'POST', '/reload?max_changed=0.05');
  expect(refused.status).toBe(409);
  expect(refused.json).toMatchObject({
    error: {
      code: 'JCT_ERR_ADMIN_RELOAD_GUARD',
      preview: { total: 10, differing: 3, maxChanged: 0.05 },
    },
  });
  const bodyForm = await admin(url, 'POST', '/reload', { max_changed: '25%' });
  expect(bodyForm.status).toBe(409);
  const bad = await admin(url, 'POST', '/reload?max_changed=lots');
  expect(bad.status).toBe(400);
  expect((await admin(url, 'GET', '/status')).json).toMatchObject({ version: 1 });

  // ctl reload --max-changed goes through the same guard: refused at 10%, applied at 30%.
  const ctlRefused = await ctlInProcess(['--admin', url, '--token', TOKEN, 'reload', '--max-changed', '10%']);
  expect(ctlRefused.code).toBe(1);
  expect(ctlRefused.stdout).toContain('3 of 10 requests would be handled differently');
  expect(ctlRefused.stderr).toContain('409 reload refused: 30.0% of the kept requests');
  const applied = await ctlInProcess(['--admin', url, '--token', TOKEN, 'reload', '--max-changed', '30%']);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  expect(applied.stdout).toContain('applied: config version 2');
  expect(applied.stdout).toContain('preview: 3 of 10 kept requests handled differently (max_changed 30.0%)');
  // Both workers serve the new config: /api/ goes to b whichever worker takes the connection.
  for (let i = 0; i < 4; i++) {
    const response = await request(junction.port, { path: '/api/after', agent: new Agent() });
    expect((response.json() as { backend: string }).backend).toBe('b');
  }
}, 60_000);
