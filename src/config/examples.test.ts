/** Every top-level examples/*.yaml is a valid config, so the examples never rot. */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { loadConfigFile } from './load-config.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const files = readdirSync(EXAMPLES).filter((name) => name.endsWith('.yaml'));

test('examples/ has the quick start and the routing tour', () => {
  expect(files).toEqual(expect.arrayContaining(['quick-start.yaml', 'routing.yaml']));
});

test.each(files)('examples/%s loads without errors', async (name) => {
  const config = await loadConfigFile(`${EXAMPLES}${name}`);
  expect(config.listeners.length).toBeGreaterThan(0);
  for (const route of config.routes) expect(config.clusters.has(route.cluster)).toBe(true);
});

test('the quick start is what npm start and its banner promise', async () => {
  const config = await loadConfigFile(`${EXAMPLES}quick-start.yaml`);
  expect(config.listeners).toEqual([
    {
      name: 'main',
      address: '127.0.0.1',
      port: 8080,
      maxConnections: 10_000,
      acceptQueueTimeoutMs: 10_000,
      acceptQueueSize: 1024,
      backlog: 4096,
      maxConnectionsPerClient: 0,
    },
  ]);
  expect(config.clusters.get('api')?.backends.map((b) => `${b.host}:${b.port}`)).toEqual([
    '127.0.0.1:9101',
    '127.0.0.1:9102',
  ]);
  expect(config.clusters.get('static')?.backends.map((b) => `${b.host}:${b.port}`)).toEqual([
    '127.0.0.1:9103',
  ]);
  expect(config.routes.map((r) => [r.name, r.cluster])).toEqual([
    ['api-host', 'api'],
    ['static', 'static'],
    ['default', 'api'],
  ]);
});
