import { describe, expect, test } from 'vitest';
import { cidrRange, ipEquals, ipInRange, parseIpBytes, parseIpRange } from './ip-range.ts';

describe('parseIpBytes', () => {
  test.each([
    ['10.1.2.3', 4, [10, 1, 2, 3]],
    ['0.0.0.0', 4, [0, 0, 0, 0]],
    ['255.255.255.255', 4, [255, 255, 255, 255]],
    ['::1', 6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['::', 6, new Array<number>(16).fill(0)],
    [
      '2001:db8::8:800:200c:417a',
      6,
      [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 8, 8, 0, 0x20, 0x0c, 0x41, 0x7a],
    ],
    ['fe80::', 6, [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['1:2:3:4:5:6:7:8', 6, [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ['::ffff:10.1.2.3', 6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]],
    ['1:2:3:4:5:6:1.2.3.4', 6, [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4]],
    ['[::1]', 6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
  ] as const)('%s', (text, family, bytes) => {
    const parsed = parseIpBytes(text);
    expect(parsed?.family).toBe(family);
    expect([...parsed!.bytes]).toEqual(bytes);
  });

  test.each([
    '',
    '10.1.2',
    '10.1.2.256',
    '010.1.2.3',
    'a.b.c.d',
    ':::',
    '1::2::3',
    'fe80::1%eth0',
    'example.com',
  ])('rejects %j', (text) => {
    expect(parseIpBytes(text)).toBeUndefined();
  });
});

describe('parseIpRange', () => {
  test.each([
    ['10.0.0.0/8', '10.0.0.0', '10.255.255.255'],
    ['10.1.2.3/32', '10.1.2.3', '10.1.2.3'],
    ['10.1.2.3/0', '0.0.0.0', '255.255.255.255'],
    ['172.16.23.8/29', '172.16.23.8', '172.16.23.15'],
    ['172.16.23.0/25', '172.16.23.0', '172.16.23.127'],
    ['10.1.2.3', '10.1.2.3', '10.1.2.3'],
    [' 10.0.0.1 - 10.0.0.9 ', '10.0.0.1', '10.0.0.9'],
    ['2001:db8::/32', '2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['::1/128', '::1', '::1'],
    ['::/0', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['2001:db8::1-2001:db8::ff', '2001:db8::1', '2001:db8::ff'],
  ])('%s spans %s to %s', (text, low, high) => {
    const range = parseIpRange(text);
    expect(range.ok).toBe(true);
    if (!range.ok) return;
    expect([...range.value.low]).toEqual([...parseIpBytes(low)!.bytes]);
    expect([...range.value.high]).toEqual([...parseIpBytes(high)!.bytes]);
  });

  test.each([
    ['10.0.0.0/33', "'33' is not a prefix length for IPv4 (0 to 32)"],
    ['::/129', "'129' is not a prefix length for IPv6 (0 to 128)"],
    ['10.0.0.0/x', "'x' is not a prefix length for IPv4 (0 to 32)"],
    ['10.0.0.0/', "'' is not a prefix length for IPv4 (0 to 32)"],
    ['10.0.0/8', "'10.0.0' is not an IP address"],
    ['10.0.0.9-10.0.0.1', "'10.0.0.9' is above '10.0.0.1'"],
    ['10.0.0.1-::1', "'10.0.0.1' and '::1' are of different families"],
    ['10.0.0.1-x', "'x' is not an IP address"],
    ['nonsense', "'nonsense' is not an IP address, a CIDR network or a range"],
  ])('%s: %s', (text, reason) => {
    expect(parseIpRange(text)).toEqual({ ok: false, reason });
  });
});

describe('ipInRange and ipEquals', () => {
  const range = cidrRange(parseIpBytes('192.168.0.0')!, 16);
  test.each([
    ['192.168.0.0', true],
    ['192.168.255.255', true],
    ['192.169.0.0', false],
    ['192.167.255.255', false],
    ['::ffff:192.168.3.4', true],
    ['::ffff:192.169.3.4', false],
    ['::192.168.3.4', false],
  ])('%s in 192.168.0.0/16: %s', (address, expected) => {
    expect(ipInRange(parseIpBytes(address)!, range)).toBe(expected);
  });

  test('equality across the IPv4 and IPv4-mapped forms, both ways', () => {
    const v4 = parseIpBytes('10.0.0.1')!;
    const mapped = parseIpBytes('::ffff:10.0.0.1')!;
    expect(ipEquals(v4, mapped)).toBe(true);
    expect(ipEquals(mapped, v4)).toBe(true);
    expect(ipEquals(v4, parseIpBytes('::10.0.0.1')!)).toBe(false);
  });
});
