import { describe, expect, test } from 'vitest';
import type { InboundProxyConfig } from '../config/types.ts';
import { formatIpv6, ipv6Bytes } from '../util/ip-bytes.ts';
import { isTrustedPeer } from './inbound.ts';

const config: InboundProxyConfig = {
  trusted: ['10.0.0.0/8', '192.0.2.7/32', 'fd00::/8', '::1/128'],
  timeoutMs: 1000,
  untrusted: 'reject',
};

describe('trusted peers', () => {
  test.each([
    ['10.1.2.3', true],
    ['::ffff:10.1.2.3', true],
    ['192.0.2.7', true],
    ['192.0.2.8', false],
    ['11.0.0.1', false],
    ['fd12::1', true],
    ['::1', true],
    ['::2', false],
    ['127.0.0.1', false],
    ['', false],
  ])('%s trusted: %s', (address, trusted) => {
    expect(isTrustedPeer(config, address)).toBe(trusted);
  });
});

describe('IPv6 text', () => {
  test.each([
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ['FE80::A', 'fe80::a'],
  ])('%s prints as %s, as Node prints socket addresses', (text, canonical) => {
    expect(formatIpv6(ipv6Bytes(text)!)).toBe(canonical);
  });

  test('what is not IPv6 has no bytes', () => {
    expect(ipv6Bytes('10.0.0.1')).toBeUndefined();
    expect(ipv6Bytes('fe80::1%eth0')).toBeUndefined();
    expect(ipv6Bytes('1::2::3')).toBeUndefined();
  });
});
