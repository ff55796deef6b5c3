/**
 * examples/tls/https.yaml through the proxy: its certificate files are made by the test CA in a
 * temporary directory laid out as the example expects (`certs/…` beside the config), so the example
 * is loaded exactly as written, only its ports and backends swapped for the test's.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, onTestFinished, test } from 'vitest';
import { echoBackend, type EchoReply } from '../support/backends.ts';
import { createTestCa } from '../support/certs.ts';
import { headerValue, RawClient } from '../support/clients.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';
import { httpsGet, TlsClient } from '../support/tls-clients.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/tls/https.yaml', import.meta.url));

const ca = createTestCa();
const dir = mkdtempSync(join(tmpdir(), 'junction-tls-example-'));
afterAll(() => {
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});

test('examples/tls/https.yaml serves both sites, routes tenants by SNI, binds Host to SNI, adds HSTS and redirects', async () => {
  mkdirSync(join(dir, 'certs'));
  const shop = ca.issue(['shop.example.test', 'www.shop.example.test']);
  const tenants = ca.issue(['*.tenants.example.test']);
  writeFileSync(join(dir, 'certs', 'shop.pem'), shop.cert);
  writeFileSync(join(dir, 'certs', 'shop.key'), shop.key);
  writeFileSync(join(dir, 'certs', 'tenants.pem'), tenants.cert);
  writeFileSync(join(dir, 'certs', 'tenants.key'), tenants.key);
  const shopBackend = await echoBackend('shop');
  const tenantsBackend = await echoBackend('tenants');
  onTestFinished(() => shopBackend.close());
  onTestFinished(() => tenantsBackend.close());

  const yaml = readFileSync(EXAMPLE, 'utf8')
    .replace('port: 8443\n', 'port: 0\n')
    .replace('port: 8080\n', 'port: 0\n')
    .replace("'127.0.0.1:9101'", `'${shopBackend.address}'`)
    .replace("'127.0.0.1:9102'", `'${tenantsBackend.address}'`);
  const junction = await startJunctionFromYaml(yaml, { baseDir: dir, source: EXAMPLE });
  onTestFinished(() => junction.close());
  const [https, http] = junction.server.listeners;
  expect([https?.scheme, http?.scheme]).toEqual(['https', 'http']);
  const trust = { ca: ca.cert };

  const shopAnswer = await httpsGet(https!.port, 'www.shop.example.test', {
    ...trust,
    servername: 'www.shop.example.test',
  });
  expect((JSON.parse(shopAnswer.response.body.toString()) as EchoReply).url).toBe('/');
  expect(shopBackend.requests.length).toBe(1);
  expect(headerValue(shopAnswer.response.rawHeaders, 'strict-transport-security')).toBe('max-age=86400');

  const tenant = await TlsClient.connect(https!.port, { ...trust, servername: 'a.tenants.example.test' });
  onTestFinished(() => {
    tenant.close();
  });
  expect(tenant.certificateName).toBe('*.tenants.example.test');
  expect((await tenant.request('a.tenants.example.test')).statusCode).toBe(200);
  expect(tenantsBackend.requests.length).toBe(1);
  expect((await tenant.request('shop.example.test')).statusCode).toBe(421);
  expect(shopBackend.requests.length).toBe(1);

  const plain = await RawClient.connect(http!.port);
  onTestFinished(() => plain.close());
  const moved = await plain.exchange('GET /cart?id=7 HTTP/1.1\r\nHost: shop.example.test\r\n\r\n');
  expect(moved.statusCode).toBe(308);
  expect(headerValue(moved.rawHeaders, 'location')).toBe('https://shop.example.test:8443/cart?id=7');
});
