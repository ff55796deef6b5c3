/**
 * explain and a listener's `strict_sni_binding`: for an SNI and a Host, explain names the certificate
 * the listener serves and answers 421 exactly when the running proxy does (real TLS on loopback, a
 * test CA's certificates); with an assumed response, the route's HSTS field is the proxy's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, onTestFinished, test } from 'vitest';
import { loadConfigText } from '../../src/config/index.ts';
import { explain, explanationText } from '../../src/explain/index.ts';
import { echoBackend } from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';
import { TlsClient } from '../support/tls-clients.ts';

const ca = createTestCa('Junction explain SNI CA');
const dir = mkdtempSync(join(tmpdir(), 'junction-explain-sni-'));
afterAll(() => {
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});
for (const [name, names] of [
  ['a', ['a.example.test']],
  ['cd', ['c.example.test', 'd.example.test']],
] as const) {
  const pair = ca.issue(names);
  writeFileSync(join(dir, `${name}.pem`), pair.cert);
  writeFileSync(join(dir, `${name}.key`), pair.key);
}

test('strict_sni_binding: explain answers 421 for the SNI and Host pairs the proxy answers 421', async () => {
  const backend = await echoBackend('app');
  onTestFinished(() => backend.close());
  const yaml = `
listeners:
  - name: https
    address: 127.0.0.1
    port: 0
    tls:
      certificates:
        - { id: a, cert_file: a.pem, key_file: a.key }
        - { id: cd, cert_file: cd.pem, key_file: cd.key }
      strict_sni_binding: true
routes: [{ name: all, cluster: app, hsts: { max_age: 600 } }]
clusters: { app: { backends: ["${backend.address}"] } }
`;
  const junction = await startJunctionFromYaml(yaml, { baseDir: dir });
  onTestFinished(() => junction.close());
  const config = await loadConfigText(yaml, '<explain-sni>', { baseDir: dir });
  onTestFinished(() => config.rules?.dispose());

  for (const [sni, host] of [
    ['c.example.test', 'c.example.test'],
    ['c.example.test', 'd.example.test'],
    ['c.example.test', 'a.example.test'],
    ['a.example.test', 'd.example.test'],
  ] as const) {
    const e = await explain(
      config,
      { method: 'GET', url: `https://${host}/x`, headers: [], sni },
      { skipPlugins: true },
    );
    const client = await TlsClient.connect(junction.port, { ca: ca.cert, servername: sni });
    const response = await client.request(host);
    const status = response.statusCode;
    client.close();
    expect(e.outcome.status ?? 200, `SNI ${sni}, Host ${host}`).toBe(status);
    if (status === 200) {
      // The route's HSTS, as the proxy adds it to the backend's response over HTTPS.
      const assumed = await explain(
        config,
        { method: 'GET', url: `https://${host}/x`, headers: [], sni, response: { status: 200, headers: [] } },
        { skipPlugins: true },
      );
      const hsts = assumed.response?.final?.headers.find(([name]) => name === 'Strict-Transport-Security');
      expect(hsts?.[1]).toBe(response.headers['strict-transport-security']);
      expect(hsts?.[1]).toBe('max-age=600');
    }
    if (status === 421) {
      expect(e.outcome.code).toBe('JCT_ERR_HTTP_MISDIRECTED');
      expect(explanationText(e)).toContain(
        `is not a name of certificate '${sni.startsWith('a') ? 'a' : 'cd'}'`,
      );
    }
  }
});
