import { expect, test } from 'vitest';
import { loadConfigText } from '../config/index.ts';
import { configHash, diffConfigs, isEmptyDiff } from '../server/index.ts';
import { fromConfigMessage, toConfigMessage } from './config-transfer.ts';

const TEXT = `
workers: 2
listeners: [{ address: 127.0.0.1, port: 8080, max_connections: 100 }]
timeouts: { shutdown_grace: 3s }
plugins: [{ module: 'junction:compress', config: { min_size: 512 } }]
routes:
  - match: { host: api.example.com, path: /v1/ }
    cluster: api
    strategy: { kind: consistent-hash, key: uri }
clusters:
  api:
    strategy: least-connections
    backends: ['127.0.0.1:9001', { address: '127.0.0.1:9002', weight: 3 }]
`;

test('a config crosses to a worker as data and comes back equal, with the same hash', async () => {
  const config = await loadConfigText(TEXT, '/etc/junction/junction.yaml');
  const message = toConfigMessage(config, process.cwd());
  expect(message.kind).toBe('wire');
  // What crosses the IPC channel is JSON.
  const received = await fromConfigMessage(JSON.parse(JSON.stringify(message)) as typeof message);
  expect(isEmptyDiff(diffConfigs(config, received))).toBe(true);
  expect(configHash(received)).toBe(configHash(config));
  expect(received.workers).toBe(2);
  expect(received.plugins.map((p) => [p.name, p.config])).toEqual(
    config.plugins.map((p) => [p.name, p.config]),
  );
  expect(received.clusters.get('api')?.backends.map((b) => b.weight)).toEqual([1, 3]);
  config.rules?.dispose();
  received.rules?.dispose();
});
