/** HTTPS listener, redirect, HSTS and SNI settings: their defaults, and each problem at its line and column. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createTestCa } from '../../test/support/certs.ts';
import { ConfigErrors } from '../errors/index.ts';
import { DEFAULT_TLS_CIPHERS } from './defaults.ts';
import { parseConfigText } from './parse-config.ts';

const ca = createTestCa();
const dir = mkdtempSync(join(tmpdir(), 'junction-tls-config-'));
afterAll(() => {
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});
const site = ca.issue(['site.example', '*.site.example']);
const other = ca.issue(['other.example']);
writeFileSync(join(dir, 'site.pem'), site.cert);
writeFileSync(join(dir, 'site.key'), site.key);
writeFileSync(join(dir, 'other.pem'), other.cert);
writeFileSync(join(dir, 'other.key'), other.key);
writeFileSync(join(dir, 'notpem.pem'), 'hello\n');
writeFileSync(join(dir, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');

const CLUSTER = 'routes: [{ cluster: api }]\nclusters:\n  api:\n    backends: [127.0.0.1:9001]\n';

function parse(text: string) {
  return parseConfigText(text + CLUSTER, 'tls.yaml', { baseDir: dir });
}

function problemsIn(text: string): string[] {
  try {
    parse(text);
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    return error.errors.map((e) => `${e.at?.line}:${e.at?.column}: ${e.problem}`);
  }
  throw new Error('expected ConfigErrors, but the config parsed');
}

describe('listeners[].tls', () => {
  test('defaults: TLS 1.2 to 1.3, ALPN http/1.1, no strict binding, 10 s handshakes, names from the certificate', () => {
    const config = parse(
      'listeners:\n  - port: 8443\n    tls:\n      certificates:\n        - { cert_file: site.pem, key_file: site.key }\n',
    );
    const tls = config.listeners[0]!.tls!;
    expect(tls).toMatchObject({
      defaultCertificate: 'site.example',
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      ciphers: DEFAULT_TLS_CIPHERS,
      alpn: ['http/1.1'],
      strictSniBinding: false,
      handshakeTimeoutMs: 10_000,
    });
    expect(tls.certificates[0]).toMatchObject({
      id: 'site.example',
      names: undefined,
      certFile: join(dir, 'site.pem'),
      cert: site.cert,
      key: site.key,
    });
    expect(config.listeners[0]!.redirectToHttps).toBeUndefined();
  });

  test('every setting given', () => {
    const config = parse(`listeners:
  - port: 8443
    tls:
      certificates:
        - { id: main, cert_file: site.pem, key_file: site.key, names: [site.example, '*.Site.Example'] }
        - { cert_file: other.pem, key_file: other.key, ocsp_file: notpem.pem }
      default_certificate: other.example
      min_version: TLSv1.3
      ciphers: TLS_AES_128_GCM_SHA256
      alpn: [http/1.1, http/1.0]
      strict_sni_binding: true
      handshake_timeout: 2s
  - port: 8080
    redirect_to_https: { port: 8443, status: 308 }
`);
    const tls = config.listeners[0]!.tls!;
    expect(tls.certificates.map((c) => [c.id, c.names])).toEqual([
      ['main', ['site.example', '*.site.example']],
      ['other.example', undefined],
    ]);
    expect(tls.certificates[1]!.ocsp?.toString()).toBe('hello\n');
    expect(tls).toMatchObject({
      defaultCertificate: 'other.example',
      minVersion: 'TLSv1.3',
      ciphers: 'TLS_AES_128_GCM_SHA256',
      alpn: ['http/1.1', 'http/1.0'],
      strictSniBinding: true,
      handshakeTimeoutMs: 2000,
    });
    expect(config.listeners[1]!.redirectToHttps).toEqual({ port: 8443, status: 308 });
  });

  test.each<[string, string, string[]]>([
    [
      'an unreadable certificate file',
      '        - { cert_file: missing.pem, key_file: site.key }\n',
      ["5:24: cert_file: cannot read 'missing.pem' (ENOENT)"],
    ],
    [
      'a file that is not PEM',
      '        - { cert_file: notpem.pem, key_file: site.key }\n',
      ["5:24: cert_file: 'notpem.pem' is not a PEM file"],
    ],
    [
      'a PEM file that holds no certificate',
      '        - { cert_file: broken.pem, key_file: site.key }\n',
      ['5:24: cert_file: is not a PEM certificate'],
    ],
    [
      'a key that belongs to another certificate',
      '        - { cert_file: site.pem, key_file: other.key }\n',
      ['5:44: key_file: does not match the certificate (its public key differs)'],
    ],
    [
      'a certificate given as its key',
      '        - { cert_file: site.pem, key_file: site.pem }\n',
      ['5:44: key_file: is not a PEM private key'],
    ],
    [
      'a name with a port, and a wildcard in the middle',
      "        - { cert_file: site.pem, key_file: site.key, names: ['a.example:443', 'a.*.example'] }\n",
      [
        "5:62: names[0]: a certificate name has no port, got 'a.example:443'",
        "5:79: names[1]: a wildcard must be the whole first label, as in '*.example.com'; got 'a.*.example'",
      ],
    ],
    [
      'IP addresses as names',
      "        - { cert_file: site.pem, key_file: site.key, names: ['[::1]', 10.0.0.1] }\n",
      [
        "5:62: names[0]: a certificate name is a DNS name, got '[::1]'",
        "5:71: names[1]: a certificate name is a DNS name, got '10.0.0.1'",
      ],
    ],
  ])('%s', (_name, entry, expected) => {
    const problems = problemsIn(`listeners:\n  - port: 8443\n    tls:\n      certificates:\n${entry}`);
    expect(problems).toHaveLength(expected.length);
    problems.forEach((problem, i) => {
      expect(problem.startsWith(expected[i]!), `${problem}\n  should start with\n${expected[i]!}`).toBe(true);
    });
  });

  test.each<[string, string, string]>([
    [
      'no certificates',
      '      certificates: []\n',
      '4:21: certificates: an HTTPS listener needs at least one certificate',
    ],
    [
      'TLS 1.1',
      '      certificates: [{ cert_file: site.pem, key_file: site.key }]\n      min_version: TLSv1.1\n',
      "5:20: min_version: must be TLSv1.2 or TLSv1.3 (older versions are broken and never offered), got 'TLSv1.1'",
    ],
    [
      'min above max',
      '      certificates: [{ cert_file: site.pem, key_file: site.key }]\n      min_version: TLSv1.3\n      max_version: TLSv1.2\n',
      '5:20: min_version: min_version (TLSv1.3) must not be above max_version (TLSv1.2)',
    ],
    [
      'an unknown cipher',
      '      certificates: [{ cert_file: site.pem, key_file: site.key }]\n      ciphers: NOT-A-CIPHER\n',
      '5:16: ciphers: is not a cipher list OpenSSL accepts',
    ],
    [
      'h2c in ALPN',
      '      certificates: [{ cert_file: site.pem, key_file: site.key }]\n      alpn: [h2c, http/1.1]\n',
      '5:14: alpn[0]: h2c is never negotiated by ALPN: offer h2 on an HTTPS listener, or set h2c: true on a plain one',
    ],
    [
      'a default certificate nobody has',
      '      certificates: [{ cert_file: site.pem, key_file: site.key }]\n      default_certificate: nope\n',
      "5:28: default_certificate: no certificate has the id 'nope' (ids: site.example)",
    ],
    [
      'two certificates with one id',
      '      certificates:\n        - { cert_file: site.pem, key_file: site.key }\n        - { cert_file: other.pem, key_file: other.key, id: site.example }\n',
      "6:11: certificates[1]: certificate id 'site.example' is already used by certificates[0]; give them ids",
    ],
  ])('%s', (_name, body, expected) => {
    const [problem, ...rest] = problemsIn(`listeners:\n  - port: 8443\n    tls:\n${body}`);
    expect(rest).toEqual([]);
    expect(problem?.startsWith(expected), `${problem}\n  should start with\n${expected}`).toBe(true);
  });

  test('an HTTPS listener cannot also redirect to HTTPS', () => {
    expect(
      problemsIn(
        'listeners:\n  - port: 8443\n    tls: { certificates: [{ cert_file: site.pem, key_file: site.key }] }\n    redirect_to_https: true\n',
      ),
    ).toEqual([
      '4:24: redirect_to_https: an HTTPS listener cannot redirect to HTTPS; set it on the plain HTTP listener',
    ]);
  });
});

describe('redirect_to_https, routes[].hsts and routes[].match.sni', () => {
  test('defaults and values', () => {
    const config = parseConfigText(
      `listeners:
  - port: 8080
    redirect_to_https: true
routes:
  - match: { sni: ['API.example', '*.example'] }
    cluster: api
    hsts: true
  - cluster: api
    hsts: { max_age: 600, include_subdomains: true, preload: false }
  - cluster: api
clusters:
  api:
    backends: [127.0.0.1:9001]
`,
      'tls.yaml',
    );
    expect(config.listeners[0]!.redirectToHttps).toEqual({ port: 443, status: 301 });
    expect(config.routes[0]!.match.sni).toEqual([
      { kind: 'exact', host: 'api.example' },
      { kind: 'wildcard', suffix: '.example' },
    ]);
    expect(config.routes.map((r) => r.hsts)).toEqual([
      { maxAgeSeconds: 31_536_000, includeSubdomains: false, preload: false },
      { maxAgeSeconds: 600, includeSubdomains: true, preload: false },
      undefined,
    ]);
  });

  test.each<[string, string, string]>([
    [
      'a redirect status that is not a redirect',
      'listeners:\n  - port: 8080\n    redirect_to_https: { status: 200 }\n',
      '3:34: status: must be 301, 302, 307 or 308, got 200',
    ],
    [
      'preload without a long max_age',
      'listeners: [{ port: 1 }]\nroutes:\n  - cluster: api\n    hsts: { max_age: 60, include_subdomains: true, preload: true }\n',
      '4:22: max_age: preload needs a max_age of at least a year',
    ],
    [
      'a bad SNI pattern',
      "listeners: [{ port: 1 }]\nroutes:\n  - cluster: api\n    match: { sni: 'a.*.example' }\n",
      "4:19: sni: a wildcard must be the whole first label, as in '*.example.com'; got 'a.*.example'",
    ],
  ])('%s', (_name, text, expected) => {
    let problems: string[] = [];
    try {
      parseConfigText(text + 'clusters:\n  api:\n    backends: [127.0.0.1:9001]\n', 'tls.yaml');
    } catch (error) {
      if (!(error instanceof ConfigErrors)) throw error;
      problems = error.errors.map((e) => `${e.at?.line}:${e.at?.column}: ${e.problem}`);
    }
    expect(problems).toEqual([expected]);
  });
});
