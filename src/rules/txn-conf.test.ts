import { describe, expect, test } from 'vitest';
import { parseSniPolicy, TXN_CONF, txnConfRefusal } from './txn-conf.ts';

describe('txn-conf table', () => {
  test('the settings Junction maps', () => {
    expect(TXN_CONF.get('proxy.config.http.per_server.connection.max')).toEqual({ kind: 'max-connections' });
    expect(TXN_CONF.get('proxy.config.http.connect_attempts_timeout')).toEqual({
      kind: 'timeout',
      key: 'connectMs',
    });
    expect(TXN_CONF.get('proxy.config.http.background_fill_completed_threshold')).toEqual({
      kind: 'fill-threshold',
    });
    expect(TXN_CONF.get('proxy.config.http.cache.http')).toEqual({ kind: 'cache-http' });
  });

  test('a refusal names the setting, and says where Junction has it when it does', () => {
    expect(txnConfRefusal('proxy.config.http.chunking_enabled')).toMatch(
      /^txn-conf<proxy\.config\.http\.chunking_enabled> is a Traffic Server setting Junction has no per-transaction equivalent of; the ones it maps are .*per_server\.connection\.max/,
    );
    expect(txnConfRefusal('proxy.config.ssl.client.verify.server.policy')).toMatch(/tls\.verify/);
  });

  test("sni_policy values, Traffic Server's", () => {
    expect(parseSniPolicy('host')).toEqual({ from: 'host' });
    expect(parseSniPolicy(' server_name ')).toEqual({ from: 'server-name' });
    expect(parseSniPolicy('remap')).toEqual({ from: 'cluster' });
    expect(parseSniPolicy('@base.ex')).toEqual({ from: 'literal', name: 'base.ex' });
    expect(parseSniPolicy('@')).toBeUndefined();
    expect(parseSniPolicy('verify_with_name_source')).toBeUndefined();
  });
});
