/**
 * Certificates the fleet keeps in etcd (`<prefix>/certificates/<name>/cert` and `/key`), served by an
 * HTTPS listener of the local file that names one (`{ fleet: www }`), against a real etcd the test
 * starts: `ctl fleet cert put` rotates it under steady HTTPS load with no failed request; a pair that
 * does not match is refused by ctl (nothing written) and, written with etcdctl, by the instance (the
 * old one keeps serving; the refusal names the etcd key in the log, `/fleet` and the record); keys are
 * never printed; the last good pair is cached (0600) and an instance started with etcd down serves it.
 */
import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { expect, onTestFinished, test } from 'vitest';
import { countingBackend } from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { ctl, documentFor, fleetView, startEtcd, tempDir, type Etcd } from '../support/fleet.ts';
import { spawnJunction, type JunctionProcess } from '../support/junction-process.ts';
import { waitFor } from '../support/wait-for.ts';

const NAME = 'www.fleet.test';

async function httpsLocalFile(dir: string, name: string, etcd: Etcd): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `listeners:
  - address: 127.0.0.1
    port: 0
    tls:
      certificates:
        - fleet: www
admin: { port: 0 }
timeouts: { shutdown_grace: 1s }
fleet:
  etcd: { endpoints: ${etcd.endpoint}, prefix: /fleet-test }
  instance_id: ${name}
  lease_ttl: 3s
  cache_file: ${name}-cache.json
`,
  );
  return file;
}

/** The fingerprint of the certificate the listener serves for NAME. */
function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: NAME, ca }, () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.destroy();
      resolve(fingerprint);
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('handshake timed out')));
    socket.once('error', reject);
  });
}

const fingerprintOf = (pem: string): string => new X509Certificate(pem).fingerprint256;

function httpsGet(port: number, ca: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, servername: NAME, headers: { host: NAME }, ca, agent, timeout: 5_000 },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

test('a certificate from etcd: put, served, rotated under load, a bad pair refused (ctl and instance), cached for a start without etcd', async (context) => {
  const etcd = await startEtcd(context);
  const ca = createTestCa();
  onTestFinished(() => {
    ca.close();
  });
  const [first, second, other] = [ca.issue([NAME]), ca.issue([NAME]), ca.issue([NAME])];
  const dir = await tempDir();
  const pem = async (name: string, text: string): Promise<string> => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };
  const backend = await countingBackend('a');
  etcd.put('/fleet-test/config', documentFor(backend.address));
  const file = await httpsLocalFile(dir, 'one', etcd);

  const put = await ctl(
    file,
    'cert',
    'put',
    'www',
    await pem('first.pem', first.cert),
    await pem('first.key', first.key),
  );
  expect(put.stderr).toBe('');
  expect(put.code).toBe(0);
  expect(put.stdout).toMatch(/^\/fleet-test\/certificates\/www: written at revision \d+\n$/);
  expect(etcd.get('/fleet-test/certificates/www/cert')).toBe(first.cert);

  const one = await spawnJunction(file, { withAdmin: true, timeoutMs: 30_000 });
  expect(await servedFingerprint(one.port, ca.cert)).toBe(fingerprintOf(first.cert));

  // Steady HTTPS traffic while the certificate changes: no request may fail.
  let failures = 0;
  let sent = 0;
  let running = true;
  const load = (async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    while (running) {
      sent++;
      const status = await httpsGet(one.port, ca.cert, agent).catch(() => 0);
      if (status !== 200) failures++;
    }
    agent.destroy();
  })();

  const rotated = await ctl(
    file,
    'cert',
    'put',
    'www',
    await pem('second.pem', second.cert),
    await pem('second.key', second.key),
    '--wait=15s',
  );
  expect(rotated.stderr).toBe('');
  expect(rotated.code).toBe(0);
  expect(rotated.stdout).toContain('every instance (1) serves revision');
  expect(await servedFingerprint(one.port, ca.cert)).toBe(fingerprintOf(second.cert));
  const served = await fleetView(one);
  const revision = Number(/revision (\d+)/.exec(rotated.stdout)![1]);
  expect(served['revision']).toBe(revision);
  expect(served['certificates']).toEqual([
    expect.objectContaining({ name: 'www', revision, fingerprint: fingerprintOf(second.cert) }),
  ]);

  // A key that is not the certificate's: ctl refuses it and writes nothing, naming the etcd key.
  const mismatched = await ctl(
    file,
    'cert',
    'put',
    'www',
    await pem('third.pem', second.cert),
    await pem('third.key', other.key),
  );
  expect(mismatched.code).toBe(1);
  expect(mismatched.stderr).toContain(
    '/fleet-test/certificates/www/key: does not match the certificate (its public key differs)',
  );
  expect(mismatched.stderr).toContain('nothing was written');
  expect(etcd.get('/fleet-test/certificates/www/key')).toBe(second.key);

  // Written behind ctl's back with etcdctl: the instance refuses it, and the second pair serves on.
  etcd.put('/fleet-test/certificates/www/key', other.key);
  const view = await waitFor(
    async () => {
      const v = await fleetView(one);
      return v['last_refusal'] !== null ? v : undefined;
    },
    { timeoutMs: 10_000, what: 'the refusal' },
  );
  const refusal = view['last_refusal'] as { problems: string[] };
  expect(refusal.problems).toEqual([
    '/fleet-test/certificates/www/key: does not match the certificate (its public key differs)',
  ]);
  expect(view['revision']).toBe(revision);
  expect(await servedFingerprint(one.port, ca.cert)).toBe(fingerprintOf(second.cert));
  const record = JSON.parse(etcd.get('/fleet-test/instances/one')) as {
    revision: number;
    last_refusal: { problems: string[] };
  };
  expect(record.revision).toBe(revision);
  expect(record.last_refusal.problems[0]).toContain('/fleet-test/certificates/www/key');
  expect(one.output()).toMatch(/refused; the running config .*\n?.*certificates\/www\/key/);

  // The listing: names, fingerprints, the refused pair's problem, never a key.
  const listed = await ctl(file, 'cert', 'list');
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(/www +\d+ +www\.fleet\.test .*does not match the certificate/);
  // Removing a certificate a listener names is refused: the instances would refuse it too.
  const removed = await ctl(file, 'cert', 'remove', 'www');
  expect(removed.code).toBe(1);
  expect(removed.stderr).toMatch(/no such certificate in etcd|leaves a config that does not validate/);
  for (const out of [put, rotated, mismatched, listed, removed]) {
    expect(out.stdout + out.stderr).not.toContain('PRIVATE KEY');
  }
  expect(one.output()).not.toContain('PRIVATE KEY');

  running = false;
  await load;
  expect(sent).toBeGreaterThan(0);
  expect(failures).toBe(0);

  // The last good pair is cached with the document, readable by its owner only.
  const cacheFile = join(dir, 'one-cache.json');
  expect((await stat(cacheFile)).mode & 0o777).toBe(0o600);
  const cache = JSON.parse(await readFile(cacheFile, 'utf8')) as {
    certificates: Record<string, { cert: string; key: string }>;
  };
  expect(cache.certificates['www']?.key).toBe(second.key);

  // etcd down: an instance started from that cache serves the last good pair.
  await etcd.stop();
  await writeFile(join(dir, 'two-cache.json'), await readFile(cacheFile), { mode: 0o600 });
  const two: JunctionProcess = await spawnJunction(await httpsLocalFile(dir, 'two', etcd), {
    withAdmin: true,
    timeoutMs: 30_000,
  });
  expect(await servedFingerprint(two.port, ca.cert)).toBe(fingerprintOf(second.cert));
  expect((await fleetView(two))['stale']).toBe(true);
}, 120_000);
