import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ConfigErrors } from '../errors/index.ts';
import { loadFleetConfigText, mergeProblems } from './fleet-merge.ts';
import { loadConfigText } from './load-config.ts';

const LOCAL = `listeners:
  - { address: 127.0.0.1, port: 8080 }
timeouts: { shutdown_grace: 5s }
`;
const SOURCE = '/prod/config';

async function problems(localText: string, fleetText: string): Promise<string[]> {
  try {
    const config = await loadFleetConfigText(localText, 'local.yaml', { text: fleetText, source: SOURCE });
    config.rules?.dispose();
    return [];
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    return error.errors.map((e) => e.message);
  }
}

test('the file and the fleet document make one config', async () => {
  const config = await loadFleetConfigText(LOCAL, 'local.yaml', {
    text: "routes:\n  - cluster: app\nclusters:\n  app: { backends: ['127.0.0.1:9001'] }\n",
    source: SOURCE,
  });
  expect(config.listeners[0]!.port).toBe(8080);
  expect(config.timeouts.shutdownGraceMs).toBe(5000);
  expect([...config.clusters.keys()]).toEqual(['app']);
  expect(config.source).toBe('local.yaml');
});

test("errors in the fleet document carry the document's own line and column", async () => {
  expect(await problems(LOCAL, 'routes:\n  - match: { path: / }\n    cluster: nope\n')).toEqual([
    "/prod/config:3:14: cluster: unknown cluster 'nope'; no clusters are defined",
  ]);
  expect(
    await problems(
      LOCAL,
      "clusters:\n  a: { backends: ['127.0.0.1:1'] }\n  a: { backends: ['127.0.0.1:2'] }\n",
    ),
  ).toEqual([expect.stringMatching(/^\/prod\/config:3:3: .*duplicate cluster name 'a' \(first at line 2\)/)]);
  expect(await problems(LOCAL, 'routes: [\n')).toEqual([expect.stringMatching(/^\/prod\/config:2:1: /)]);
  // Errors in the file keep the file's positions.
  expect(await problems(`${LOCAL}limits: { max_head_size: -1 }\n`, 'routes: []\n')).toEqual([
    expect.stringMatching(/^local\.yaml:4:/),
  ]);
});

test('a key both set is an error naming both positions; machine keys stay in the file', () => {
  const found = mergeProblems(LOCAL, 'local.yaml', {
    text: 'routes: []\ntimeouts: { shutdown_grace: 1s }\nlisteners: []\n',
    source: SOURCE,
  }).map((e) => e.message);
  expect(found).toEqual([
    '/prod/config:2:1: timeouts: set both here and in local.yaml:3:1; a key belongs to the local file or to the fleet document, not both',
    "/prod/config:3:1: listeners: belongs to each machine's own config file, not to the fleet document",
  ]);
});

test('documents that cannot be joined: flow style, markers, indented keys; an empty one adds nothing', async () => {
  expect(mergeProblems(LOCAL, 'local.yaml', { text: '{ routes: [] }\n', source: SOURCE })[0]!.message).toBe(
    '/prod/config:1:1: must be a mapping written in block style (key: value lines)',
  );
  expect(
    mergeProblems(LOCAL, 'local.yaml', { text: '---\nroutes: []\n', source: SOURCE })[0]!.message,
  ).toMatch(/^\/prod\/config:1:1: document markers/);
  expect(mergeProblems(LOCAL, 'local.yaml', { text: '  routes: []\n', source: SOURCE })[0]!.message).toBe(
    '/prod/config:1:3: top-level keys must start in the first column',
  );
  expect(await problems(LOCAL, '')).toEqual([]);
});

test('the fleet section: endpoints, prefix, credentials read at load', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-schema-'));
  try {
    await writeFile(join(dir, 'password'), 'secret\n');
    const { parseConfigText } = await import('./parse-config.ts');
    const config = parseConfigText(
      `${LOCAL}fleet:\n  etcd:\n    endpoints: http://127.0.0.1:2379/\n    prefix: /prod/\n    username: junction\n    password_file: password\n  cache_file: cache.json\n`,
      join(dir, 'local.yaml'),
    );
    expect(config.fleet).toEqual({
      endpoints: ['http://127.0.0.1:2379'],
      prefix: '/prod',
      tls: undefined,
      auth: { kind: 'password', username: 'junction', password: 'secret' },
      cacheFile: join(dir, 'cache.json'),
      instanceId: undefined,
      leaseTtlMs: 10_000,
    });
    expect(() =>
      parseConfigText(
        `${LOCAL}fleet:\n  etcd: { endpoints: 'etcd:2379', prefix: prod, username: x }\n`,
        join(dir, 'l.yaml'),
      ),
    ).toThrow(
      /l\.yaml:5:22: endpoints: must be an http:\/\/ or https:\/\/ URL, got 'etcd:2379'\n.*l\.yaml:5:43: prefix: must be a key prefix/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a listener names the fleet's certificate: resolved from the set, or refused at its position with the etcd key", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'junction-fleet-tls-'));
  try {
    const [cert, key] = [join(dir, 'c.pem'), join(dir, 'c.key')];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=www.example.test',
      ]),
      { stdio: 'ignore' },
    );
    const pair = { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8'), revision: 4 };
    const local = `listeners:
  - address: 127.0.0.1
    port: 8443
    tls:
      certificates:
        - fleet: www
fleet:
  etcd: { endpoints: http://127.0.0.1:2379, prefix: /prod }
`;
    const certificates = { prefix: '/prod/certificates/', entries: { www: pair } };
    const config = await loadFleetConfigText(local, 'local.yaml', { text: '', source: SOURCE, certificates });
    const served = config.listeners[0]!.tls!.certificates[0]!;
    expect(served).toMatchObject({ id: 'www', cert: pair.cert, key: pair.key, certFile: undefined });

    const missing = loadFleetConfigText(local, 'local.yaml', {
      text: '',
      source: SOURCE,
      certificates: { prefix: '/prod/certificates/', entries: {} },
    });
    await expect(missing).rejects.toThrow(
      'local.yaml:6:18: fleet: /prod/certificates/www/cert: no such certificate in etcd',
    );
    // Read alone (before the fleet is known, or by `junction check`), the reference waits for the merge.
    expect((await loadConfigText(local, 'local.yaml')).listeners[0]!.tls!.certificates[0]!.id).toBe('www');
    // Without a fleet section there is nothing to name; with files too, one or the other.
    const alone = local.replace(/^fleet:[\s\S]*$/m, '');
    await expect(loadConfigText(alone, 'local.yaml')).rejects.toThrow(
      'local.yaml:6:18: fleet: a certificate from the fleet needs a fleet section',
    );
    const both = local.replace('- fleet: www', `- { fleet: www, cert_file: ${cert}, key_file: ${key} }`);
    await expect(loadConfigText(both, 'local.yaml')).rejects.toThrow(
      'a certificate comes from the fleet or from cert_file and key_file, not both',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
