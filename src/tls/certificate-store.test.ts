import { X509Certificate } from 'node:crypto';
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterAll, describe, expect, test } from 'vitest';
import { createTestCa } from '../../test/support/certs.ts';
import { TlsCertificateError } from '../errors/index.ts';
import { certificateNames, inspectCertificate, namesCover } from './certificate.ts';
import { CertificateStore } from './certificate-store.ts';

const ca = createTestCa();
afterAll(() => {
  ca.close();
});
const exact = ca.issue(['a.example']);
const wildcard = ca.issue(['*.b.example', 'b.example']);
const fallback = ca.issue(['fallback.example']);
const overlapping = ca.issue(['a.example', 'x.b.example']);

const OPTIONS = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: undefined } as const;

function storeWith(): CertificateStore {
  const store = new CertificateStore(OPTIONS, 'fallback');
  store.add('fallback', fallback);
  store.add('a', exact);
  store.add('b', wildcard);
  return store;
}

describe('CertificateStore.lookup', () => {
  test('exact name, then a one-label wildcard, then the default', () => {
    const store = storeWith();
    expect(store.lookup('a.example')?.id).toBe('a');
    expect(store.lookup('b.example')?.id).toBe('b');
    expect(store.lookup('x.b.example')?.id).toBe('b');
    expect(store.lookup('y.x.b.example')?.id).toBe('fallback');
    expect(store.lookup('nope.example')?.id).toBe('fallback');
    expect(store.lookup('')?.id).toBe('fallback');
  });

  test('among certificates claiming one name, the one listed first serves it', () => {
    const store = storeWith();
    store.add('overlap', overlapping);
    expect(store.lookup('a.example')?.id).toBe('a');
    // An exact name beats a wildcard, whatever the order.
    expect(store.lookup('x.b.example')?.id).toBe('overlap');
  });

  test('names given instead of the certificate own', () => {
    const store = new CertificateStore(OPTIONS, 'a');
    store.add('a', { ...exact, names: ['Alias.Example.', '*.alias.example'] });
    store.add('b', wildcard);
    expect(store.certificates[0]!.names).toEqual(['alias.example', '*.alias.example']);
    expect(store.lookup('deep.alias.example')?.id).toBe('a');
    expect(() => store.add('c', { ...fallback, names: ['bad name'] })).toThrow(/is not a server name/);
  });
});

describe('CertificateStore changes', () => {
  test('a replacement that fails to load keeps the old certificate serving', () => {
    const store = storeWith();
    const before = store.lookup('a.example');
    expect(() => store.replace('a', { cert: exact.cert, key: wildcard.key })).toThrow(TlsCertificateError);
    expect(() => store.replace('a', { cert: 'garbage', key: exact.key })).toThrow(/is not a PEM certificate/);
    expect(store.lookup('a.example')).toBe(before);
    const renewed = ca.issue(['a.example']);
    const after = store.replace('a', renewed);
    expect(store.lookup('a.example')).toBe(after);
    expect(after.facts.fingerprint).not.toBe(before?.facts.fingerprint);
    // It keeps its place in the list.
    expect(store.certificates.map((c) => c.id)).toEqual(['fallback', 'a', 'b']);
  });

  test('removal, the default moving on, and the last certificate staying', () => {
    const store = storeWith();
    store.remove('a');
    expect(store.lookup('a.example')?.id).toBe('fallback');
    store.remove('fallback');
    expect(store.defaultCertificate?.id).toBe('b');
    expect(() => {
      store.remove('b');
    }).toThrow(/last/);
    expect(() => {
      store.remove('zzz');
    }).toThrow(/no certificate 'zzz'/);
    store.add(undefined, exact);
    expect(store.certificates.map((c) => c.id)).toEqual(['b', 'a.example']);
    store.setDefault('a.example');
    expect(store.lookup('')?.id).toBe('a.example');
    expect(() => store.add(undefined, exact)).toThrow(/already exists/);
  });

  test('OCSP responses are found by the DER certificate a handshake names', () => {
    const store = storeWith();
    expect(store.hasOcsp).toBe(false);
    store.add('stapled', { ...overlapping, ocsp: Buffer.from('ocsp') });
    expect(store.hasOcsp).toBe(true);
    const der = new X509Certificate(overlapping.cert).raw;
    expect(store.ocspFor(der)?.toString()).toBe('ocsp');
    expect(store.ocspFor(new X509Certificate(exact.cert).raw)).toBeUndefined();
  });
});

describe('certificate facts', () => {
  test('names come from subjectAltName DNS entries, not IP entries', () => {
    expect(certificateNames(new X509Certificate(wildcard.cert))).toEqual(['*.b.example', 'b.example']);
    const checked = inspectCertificate(wildcard.cert, wildcard.key);
    expect(checked.ok).toBe(true);
    if (checked.ok) {
      expect(checked.value.subject).toBe('CN=*.b.example');
      expect(checked.value.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    }
    expect(inspectCertificate(wildcard.cert, exact.key)).toMatchObject({ ok: false, field: 'key' });
  });

  // namesCover must agree with how clients check certificates; Node's checkHost is that reference.
  const label = fc.constantFrom('a', 'b', 'x', 'example', 'xn--bcher-kva', 'b-1');
  const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
  const x509 = new X509Certificate(ca.issue(['a.example', '*.b.example', '*.example', 'x.a.example']).cert);
  const names = certificateNames(x509);
  // JUNCTION_FC_RUNS widens the run, JUNCTION_FC_SEED replays one (the seed is printed on failure).
  const runs = Number(process.env['JUNCTION_FC_RUNS'] ?? 300);
  const seed = process.env['JUNCTION_FC_SEED'];
  const params = { numRuns: runs, ...(seed === undefined ? {} : { seed: Number(seed) }) };
  fcTest.prop([host], params)('namesCover agrees with X509Certificate.checkHost', (name) => {
    expect(namesCover(names, name)).toBe(x509.checkHost(name, { partialWildcards: false }) !== undefined);
  });
});
