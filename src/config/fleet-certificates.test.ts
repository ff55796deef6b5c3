import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import {
  expiredProblem,
  fleetCertificateProblems,
  parseFleetCertificateKey,
  type FleetCertificates,
} from './fleet-certificates.ts';

const dir = mkdtempSync(join(tmpdir(), 'junction-fleet-certs-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A self-signed pair valid for one day. */
function pair(name: string): { cert: string; key: string } {
  const [cert, key] = [join(dir, `${name}.pem`), join(dir, `${name}.key`)];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

const [a, b] = [pair('a.test'), pair('b.test')];
const set = (entries: FleetCertificates['entries']): FleetCertificates => ({
  prefix: '/p/certificates/',
  entries,
});

test('keys: <prefix>/certificates/<name>/cert and /key only', () => {
  expect(parseFleetCertificateKey('/p/certificates/', '/p/certificates/www/key')).toEqual({
    name: 'www',
    part: 'key',
  });
  expect(parseFleetCertificateKey('/p/certificates/', '/p/certificates/www/ocsp')).toBeUndefined();
  expect(parseFleetCertificateKey('/p/certificates/', '/p/certificates/a/b/cert')).toBeUndefined();
});

test('every pair is checked, each problem naming its etcd key; a good pair has none', () => {
  const problems = fleetCertificateProblems(
    set({
      good: { ...a, revision: 2 },
      half: { cert: a.cert, revision: 3 },
      mixed: { cert: a.cert, key: b.key, revision: 4 },
      junk: { cert: 'not pem', key: a.key, revision: 5 },
    }),
  );
  expect(problems.map((p) => [p.code, p.message])).toEqual([
    [
      'JCT_ERR_FLEET_CERTIFICATE',
      "/p/certificates/half/key: missing; a certificate's cert and key are written together (junction ctl fleet cert put)",
    ],
    [
      'JCT_ERR_FLEET_CERTIFICATE',
      expect.stringMatching(/^\/p\/certificates\/junk\/cert: is not a PEM certificate/),
    ],
    [
      'JCT_ERR_FLEET_CERTIFICATE',
      '/p/certificates/mixed/key: does not match the certificate (its public key differs)',
    ],
  ]);
  for (const p of problems) expect(p.message).not.toContain('PRIVATE KEY');
});

test('an expired pair is named with its expiry; a valid one is not', () => {
  const certificates = set({ a: { ...a, revision: 1 } });
  expect(expiredProblem(certificates, 'a')).toBeUndefined();
  const later = Date.now() + 3 * 86_400_000;
  expect(expiredProblem(certificates, 'a', later)?.message).toMatch(
    /^\/p\/certificates\/a\/cert: the certificate expired on \d{4}-.*; put a renewed one$/,
  );
});
