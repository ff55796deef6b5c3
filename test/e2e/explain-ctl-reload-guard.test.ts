/**
 * `junction ctl reload --max-changed PCT` against the `junction` process (built dist/, spawned): the
 * config file is previewed over the kept requests first, and the reload refused, the running config
 * kept, when a larger share of them would be handled differently; applied when not.
 */
import { writeFile } from 'node:fs/promises';
import { expect, onTestFinished, test } from 'vitest';
import { echoBackend } from '../support/backends.ts';
import { ctlInProcess } from '../support/in-process-cli.ts';
import { spawnJunction, tempConfigFile } from '../support/junction-process.ts';

const TOKEN = 'ctl-test-token-0123456789';

const config = (apiCluster: string, a: string, b: string) => `listeners: [{ address: 127.0.0.1, port: 0 }]
admin: { address: 127.0.0.1, port: 0, token: ${TOKEN} }
explain: { keep_requests: 100 }
routes:
  - { name: api, match: { path: /api/ }, cluster: ${apiCluster} }
  - { name: app, cluster: app }
clusters:
  app: { backends: ["${a}"] }
  api2: { backends: ["${b}"] }
`;

test('reload --max-changed refuses a config that changes more of the kept requests, and applies one that does not', async () => {
  const a = await echoBackend('a');
  const b = await echoBackend('b');
  onTestFinished(() => a.close());
  onTestFinished(() => b.close());
  const file = await tempConfigFile('junction.yaml', config('app', a.address, b.address));
  const junction = await spawnJunction(file, { withAdmin: true, timeoutMs: 10_000 });
  for (const path of ['/api/1', '/app/1', '/app/2', '/app/3']) {
    const response = await fetch(`http://127.0.0.1:${junction.port}${path}`, {
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
  }
  const base = ['--admin', junction.adminUrl!, '--token', TOKEN];
  await writeFile(file, config('api2', a.address, b.address));

  // One of four (25%) would change.
  const refused = await ctlInProcess([...base, 'reload', '--max-changed', '10%']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('reload refused: 25.0% of the kept requests');
  expect(refused.stdout).toContain('1 of 4 requests would be handled differently');
  const status = await ctlInProcess([...base, '--json', 'status']);
  expect(JSON.parse(status.stdout)).toMatchObject({ version: 1 });

  const applied = await ctlInProcess([...base, 'reload', '--max-changed', '30%']);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  expect(applied.stdout).toContain('applied: config version 2');
});
