/** TxnBox's inbound-cert-* extractors over a session's certificates (mutual TLS). */
import { describe, expect, test } from 'vitest';
import type { TxnClientCertificate } from '../../hooks/index.ts';
import type { Feature } from '../types.ts';
import './extractors.ts';
import { evaluate, type FakeOptions } from './test-context.test-suite.ts';

const ALICE: TxnClientCertificate = {
  verified: true,
  verifyError: '',
  subject: { CN: 'alice', O: 'Example', OU: ['ops', 'dev'] },
  issuer: { CN: 'Example Clients CA', O: 'Example' },
  serialNumber: '1F',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2027-01-01T00:00:00.000Z',
  fingerprint256: 'AA:BB',
  subjectAltName: 'DNS:alice.example',
  subjectLine: 'CN=alice, O=Example, OU=ops+dev',
};

const LISTENER = { subject: { CN: 'shop.example' }, issuer: { CN: 'random.server.com', O: 'Example' } };

function read(expression: string, session: NonNullable<FakeOptions['session']>): Feature {
  return evaluate(expression, { hook: 'read-request', session });
}

describe('inbound-cert-*', () => {
  const tls = { scheme: 'https', localCertificate: LISTENER };

  test("the client's verified certificate: subject and issuer entries, short or long names, repeated ones joined", () => {
    const session = { ...tls, clientCertificate: ALICE };
    expect(read('{inbound-cert-remote-subject-field<CN>}', session)).toBe('alice');
    expect(read('{inbound-cert-remote-subject-field<organizationName>}', session)).toBe('Example');
    expect(read('{inbound-cert-remote-subject-field<OU>}', session)).toBe('ops, dev');
    expect(read('{inbound-cert-remote-issuer-field<CN>}', session)).toBe('Example Clients CA');
    expect(read('{inbound-cert-remote-subject-field<L>}', session)).toBe('');
    expect(read('{inbound-cert-verify-result}', session)).toBe(0);
  });

  test("a certificate that did not verify (optional_no_ca) gives '' and OpenSSL's reason as a number", () => {
    const session = {
      ...tls,
      clientCertificate: { ...ALICE, verified: false, verifyError: 'CERT_HAS_EXPIRED' },
    };
    expect(read('{inbound-cert-remote-subject-field<CN>}', session)).toBe('');
    expect(read('{inbound-cert-remote-issuer-field<CN>}', session)).toBe('');
    expect(read('{inbound-cert-verify-result}', session)).toBe(10);
  });

  test("no client certificate: '' and 0; no TLS at all: 69 (X509_V_ERR_INVALID_CALL), as TxnBox", () => {
    expect(read('{inbound-cert-remote-subject-field<CN>}', tls)).toBe('');
    expect(read('{inbound-cert-verify-result}', tls)).toBe(0);
    expect(read('{inbound-cert-verify-result}', { scheme: 'http' })).toBe(69);
    expect(read('{inbound-cert-local-issuer-field<CN>}', { scheme: 'http' })).toBe('');
  });

  test("the listener's own certificate", () => {
    expect(read('{inbound-cert-local-subject-field<CN>}', tls)).toBe('shop.example');
    expect(read('{inbound-cert-local-issuer-field<CN>}', tls)).toBe('random.server.com');
    expect(read('{inbound-cert-local-issuer-field<O>}', tls)).toBe('Example');
  });
});
