import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestCa, type TestCa } from '../../test/support/certs.ts';
import { clientSessionIdContext, inspectCaBundle, x509ErrorNumber } from './client-certificate.ts';

let one: TestCa;
let two: TestCa;
beforeAll(() => {
  one = createTestCa('CA one');
  two = createTestCa('CA two');
});
afterAll(() => {
  one.close();
  two.close();
});

describe('a CA bundle', () => {
  test('of CA certificates is taken, however many', () => {
    expect(inspectCaBundle(one.cert)).toEqual({ ok: true, count: 1 });
    expect(inspectCaBundle(one.cert + two.cert)).toEqual({ ok: true, count: 2 });
  });

  test('without a certificate, or with a leaf in it, is refused saying which', () => {
    expect(inspectCaBundle(one.key)).toEqual({
      ok: false,
      problem: 'holds no PEM certificate (BEGIN CERTIFICATE)',
    });
    const leaf = one.issue(['leaf.test']).cert;
    const result = inspectCaBundle(two.cert + leaf);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(/^certificate 2 \(CN=leaf\.test\) is not a CA certificate/);
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(!inspectCaBundle(broken).ok).toBe(true);
  });
});

describe('verify results', () => {
  test("OpenSSL's numbers by Node's names; an unknown name is X509_V_ERR_UNSPECIFIED", () => {
    expect(x509ErrorNumber('CERT_HAS_EXPIRED')).toBe(10);
    expect(x509ErrorNumber('UNABLE_TO_VERIFY_LEAF_SIGNATURE')).toBe(21);
    expect(x509ErrorNumber('DEPTH_ZERO_SELF_SIGNED_CERT')).toBe(18);
    expect(x509ErrorNumber('NOT_VERIFIED')).toBe(1);
  });

  test('a new CA or mode is a new session context: sessions verified under the old one do not resume', () => {
    const a = clientSessionIdContext({ verify: 'required', ca: one.cert, caFile: undefined });
    expect(a).toHaveLength(32);
    expect(clientSessionIdContext({ verify: 'required', ca: one.cert, caFile: 'x' })).toBe(a);
    expect(clientSessionIdContext({ verify: 'required', ca: two.cert, caFile: undefined })).not.toBe(a);
    expect(clientSessionIdContext({ verify: 'optional', ca: one.cert, caFile: undefined })).not.toBe(a);
  });
});
