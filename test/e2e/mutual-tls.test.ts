/**
 * Mutual TLS on HTTPS listeners (`tls.client_certificates`), with curl as the client: `required`
 * refuses a client without a certificate or with one from another CA, `optional` lets a client without
 * one in and still refuses a bad one, `optional_no_ca` lets every one in and says whether it verified;
 * rules (inbound-cert-*), plugins (txn.session.clientCertificate) and the access log see the
 * certificate; a reload with a new CA trusts the new one and no longer the old.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test, type TestContext } from 'vitest';
import { definePlugin } from '../../src/index.ts';
import { loadConfigText } from '../../src/config/index.ts';
import { echoBackend, type EchoReply, type HttpBackend } from '../support/backends.ts';
import { createTestCa, type TestCa } from '../support/certs.ts';
import { capturedLogs } from '../support/logs.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { requireTool } from '../support/system-tools.ts';

let dir: string;
let serverCa: TestCa;
let clientCa: TestCa;
let otherCa: TestCa;
let backend: HttpBackend;
const file = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'junction-mtls-'));
  serverCa = createTestCa('mTLS server CA');
  clientCa = createTestCa('mTLS client CA', { subject: '/CN=mTLS client CA/O=Example' });
  otherCa = createTestCa('Other CA');
  const server = serverCa.issue(['localhost']);
  const alice = clientCa.issue(['alice.example'], { subject: '/CN=alice/O=Example/C=FR' });
  const mallory = otherCa.issue(['mallory.example'], { subject: '/CN=mallory/O=Elsewhere' });
  const files: Record<string, string> = {
    'server.pem': server.cert,
    'server.key': server.key,
    'server-ca.pem': serverCa.cert,
    'client-ca.pem': clientCa.cert,
    'other-ca.pem': otherCa.cert,
    'alice.pem': alice.cert,
    'alice.key': alice.key,
    'mallory.pem': mallory.cert,
    'mallory.key': mallory.key,
    'not-a-ca.pem': alice.cert,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(file(name), text);
  backend = await echoBackend('b');
});

afterAll(async () => {
  await backend.close();
  for (const ca of [serverCa, clientCa, otherCa]) ca.close();
  rmSync(dir, { recursive: true, force: true });
});

function curlPath(context: TestContext): string {
  return requireTool(context, 'curl', "Debian's curl package (apt-get install curl)");
}

/** The YAML of an HTTPS listener asking for client certificates in `verify` mode against `ca`. */
function config(verify: string, ca: string | undefined): string {
  return `
listeners:
  - name: https
    address: 127.0.0.1
    port: 0
    access_log: { format: json, path: ${file('access.log')} }
    tls:
      certificates: [{ cert_file: server.pem, key_file: server.key }]
      client_certificates: { verify: ${verify}${ca === undefined ? '' : `, ca_file: ${ca}`} }
rules:
  - when: proxy-req
    do:
      - proxy-req-field<X-Client-CN>: inbound-cert-remote-subject-field<CN>
      - proxy-req-field<X-Client-Issuer-O>: inbound-cert-remote-issuer-field<O>
      - proxy-req-field<X-Verify>: "{inbound-cert-verify-result}"
      - proxy-req-field<X-Served-By>: inbound-cert-local-subject-field<CN>
routes: [{ cluster: b }]
clusters: { b: { backends: ['${backend.address}'] } }
plugins: [test:cert-view]
`;
}

/** A plugin that answers what the transaction view says of the client certificate. */
const certView = definePlugin({
  name: 'cert-view',
  setup(api) {
    api.hook('send-response', (txn) => {
      const cert = txn.session.clientCertificate;
      txn.response?.headers.set(
        'x-plugin-cert',
        cert === undefined ? 'none' : `${String(cert.subject?.['CN'])} verified=${cert.verified}`,
      );
    });
  },
});

async function start(verify: string, ca: string | undefined): Promise<RunningJunction> {
  const junction = await startJunctionFromYaml(config(verify, ca), {
    baseDir: dir,
    plugins: { 'test:cert-view': certView },
  });
  onTestFinished(() => junction.close());
  return junction;
}

interface CurlResult {
  /** 0 when curl got an answer; else curl's exit code (35: handshake failed, 56: receive failed…). */
  readonly exit: number;
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

/** One GET with curl over TLS to `junction`, presenting `cert` (alice, mallory) or none. */
function curl(curlBin: string, junction: RunningJunction, cert?: string): Promise<CurlResult> {
  const port = junction.server.listeners[0]!.port;
  const args = [
    '-s',
    '-D',
    '-',
    '--max-time',
    '5',
    '--cacert',
    file('server-ca.pem'),
    '--resolve',
    `localhost:${port}:127.0.0.1`,
    ...(cert === undefined ? [] : ['--cert', file(`${cert}.pem`), '--key', file(`${cert}.key`)]),
    `https://localhost:${port}/who`,
  ];
  return new Promise((resolve) => {
    execFile(curlBin, args, { timeout: 10_000 }, (error, stdout) => {
      const exit = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      const split = stdout.indexOf('\r\n\r\n');
      const headers = split === -1 ? stdout : stdout.slice(0, split);
      const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(headers)?.[1] ?? 0);
      resolve({ exit, status, headers, body: split === -1 ? '' : stdout.slice(split + 4) });
    });
  });
}

function seenBy(result: CurlResult): Record<string, unknown> {
  return (JSON.parse(result.body) as EchoReply).headers;
}

describe('client certificates on an HTTPS listener', () => {
  test('required: a certificate from the CA gets through, and rules, plugins and the log see it', async (context) => {
    const bin = curlPath(context);
    const { logger, lines } = capturedLogs('info');
    const junction = await startJunctionFromYaml(config('required', 'client-ca.pem'), {
      baseDir: dir,
      logger,
      plugins: { 'test:cert-view': certView },
    });
    onTestFinished(() => junction.close());

    const alice = await curl(bin, junction, 'alice');
    expect(alice.status).toBe(200);
    expect(seenBy(alice)).toMatchObject({
      'x-client-cn': 'alice',
      'x-client-issuer-o': 'Example',
      'x-verify': '0',
      'x-served-by': 'localhost',
    });
    expect(alice.headers).toMatch(/x-plugin-cert: alice verified=true/i);

    // No certificate: the handshake fails (OpenSSL's certificate_required alert); nothing is answered.
    const none = await curl(bin, junction);
    expect(none.exit).not.toBe(0);
    expect(none.status).toBe(0);
    // A certificate from another CA: closed right after the handshake, before any request is read.
    const mallory = await curl(bin, junction, 'mallory');
    expect(mallory.exit).not.toBe(0);
    expect(mallory.status).toBe(0);
    expect(backend.requests.filter((r) => r.headers['x-client-cn'] === 'mallory')).toEqual([]);

    const refusals = lines.filter((line) => line['code'] === 'JCT_ERR_TLS_CLIENT_CERTIFICATE');
    expect(refusals.map((line) => line.msg)).toEqual(
      expect.arrayContaining([
        'client certificate refused: the client sent none',
        expect.stringMatching(/client certificate 'CN=mallory, O=Elsewhere' refused: \w+/),
      ]),
    );
    const stats = junction.server.stats();
    expect(stats.tlsHandshakeFailures).toBeGreaterThanOrEqual(2);

    await junction.close();
    const log = readFileSync(file('access.log'), 'utf8');
    const entries = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.at(-1)).toMatchObject({
      tls: { client_cert: { subject: 'CN=alice, O=Example, C=FR', verify: 'SUCCESS' } },
    });
  });

  test('optional: a client without a certificate gets through, one from another CA does not', async (context) => {
    const bin = curlPath(context);
    const junction = await start('optional', 'client-ca.pem');
    const none = await curl(bin, junction);
    expect(none.status).toBe(200);
    expect(seenBy(none)).toMatchObject({ 'x-client-cn': '', 'x-verify': '0' });
    expect(none.headers).toMatch(/x-plugin-cert: none/i);

    const alice = await curl(bin, junction, 'alice');
    expect(alice.status).toBe(200);
    expect(seenBy(alice)).toMatchObject({ 'x-client-cn': 'alice' });

    const mallory = await curl(bin, junction, 'mallory');
    expect(mallory.status).toBe(0);
  });

  test('optional_no_ca: every client gets through; rules see only a verified certificate', async (context) => {
    const bin = curlPath(context);
    const junction = await start('optional_no_ca', 'client-ca.pem');
    const mallory = await curl(bin, junction, 'mallory');
    expect(mallory.status).toBe(200);
    // Not verified: TxnBox's extractors give '' and the verify result says why (a number, not 0).
    expect(seenBy(mallory)['x-client-cn']).toBe('');
    expect(Number(seenBy(mallory)['x-verify'])).toBeGreaterThan(0);
    expect(mallory.headers).toMatch(/x-plugin-cert: mallory verified=false/i);

    const alice = await curl(bin, junction, 'alice');
    expect(alice.status).toBe(200);
    expect(seenBy(alice)).toMatchObject({ 'x-client-cn': 'alice', 'x-verify': '0' });
  });

  test('a reload with another CA trusts its certificates and no longer the old ones', async (context) => {
    const bin = curlPath(context);
    const junction = await start('required', 'client-ca.pem');
    expect((await curl(bin, junction, 'alice')).status).toBe(200);
    expect((await curl(bin, junction, 'mallory')).status).toBe(0);

    const result = await junction.server.reload(
      await loadConfigText(config('required', 'other-ca.pem'), '<reload>', {
        baseDir: dir,
        pluginModules: new Map([['test:cert-view', { ok: true as const, definition: certView }]]),
      }),
    );
    expect(result).toBeDefined();
    expect(junction.server.listeners[0]!.port).toBeGreaterThan(0);
    const mallory = await curl(bin, junction, 'mallory');
    expect(mallory.status).toBe(200);
    expect(seenBy(mallory)).toMatchObject({ 'x-client-cn': 'mallory' });
    expect((await curl(bin, junction, 'alice')).status).toBe(0);
  });
});

describe('client_certificates in the config', () => {
  test.each([
    ['verify: required', "missing required key 'ca_file'"],
    ['verify: sometimes, ca_file: client-ca.pem', 'must be required, optional or optional_no_ca'],
    ['ca_file: missing.pem', "cannot read 'missing.pem' (ENOENT)"],
    ['ca_file: server.key', 'the CA bundle holds no PEM certificate'],
    ['ca_file: not-a-ca.pem', 'is not a CA certificate (basicConstraints CA:TRUE)'],
  ])('%s is refused at its line and column', async (settings, message) => {
    const yaml = `listeners:
  - address: 127.0.0.1
    port: 0
    tls:
      certificates: [{ cert_file: server.pem, key_file: server.key }]
      client_certificates: { ${settings} }
clusters: { b: { backends: ['127.0.0.1:1'] } }
routes: [{ cluster: b }]
`;
    const error = await loadConfigText(yaml, 'junction.yaml', { baseDir: dir }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error?.code).toBe('JCT_ERR_CONFIG_INVALID');
    expect(error?.message).toContain(message);
    expect(error?.message).toMatch(/junction\.yaml:6:\d+/);
  });
});
