import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createTestCa, type KeyPair, type TestCa } from '../../test/support/certs.ts';
import { Connector } from './connector.ts';
import type { PoolOptions } from './upstream-pool.ts';

let ca: TestCa;
let client: KeyPair;
beforeAll(() => {
  ca = createTestCa('pools CA');
  client = ca.issue(['client.test']);
});
afterAll(() => {
  ca.close();
});

let connector: Connector | undefined;
afterEach(() => {
  connector?.close();
  connector = undefined;
});

describe('a transaction that presents no client certificate', () => {
  test('gets a pool of its own without the certificate, transient, the same one on the next ask', () => {
    connector = new Connector();
    const options: PoolOptions = {
      maxIdle: 8,
      idleTimeoutMs: 60_000,
      tls: { servername: 'origin.test', cert: client.cert, key: client.key },
    };
    const base = connector.pool('127.0.0.1', 8443, options);
    const bare = connector.poolWithoutClientCertificate(base);
    expect(bare).not.toBe(base);
    expect(bare.options.tls?.cert).toBeUndefined();
    expect(bare.options.tls?.servername).toBe('origin.test');
    expect(bare.transient).toBe(true);
    // The cluster's pool keeps its certificate: connections made with it never serve the other.
    expect(base.options.tls?.cert).toBe(client.cert);
    expect(connector.poolWithoutClientCertificate(base)).toBe(bare);
  });

  test('a pool without a certificate, or without TLS, is its own', () => {
    connector = new Connector();
    const tls = connector.pool('127.0.0.1', 8443, { maxIdle: 8, idleTimeoutMs: 60_000, tls: {} });
    expect(connector.poolWithoutClientCertificate(tls)).toBe(tls);
    const plain = connector.pool('127.0.0.1', 8080, { maxIdle: 8, idleTimeoutMs: 60_000 });
    expect(connector.poolWithoutClientCertificate(plain)).toBe(plain);
  });
});
