import { describe, expect, test } from 'vitest';
import { Duration, IpAddress, type Feature } from '../types.ts';
import { parseDuration } from './duration.ts';
import {
  featureToString,
  formatFeature,
  isEmptyFeature,
  joinFeatures,
  toFeature,
  typeOfFeature,
} from './feature.ts';
import { ipAddressFromBytes, parseIpAddress, unmapIpv4 } from './ip-address.ts';

const ip = (text: string): IpAddress => parseIpAddress(text)!;

describe('featureToString: the text a feature becomes in a field or a feature string', () => {
  test.each<[string, Feature, string]>([
    ['a string as it is', 'abc', 'abc'],
    ['an integer in decimal', -42, '-42'],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['null as empty', null, ''],
    ['an address as its canonical text', ip('2001:DB8:0:0:0:0:0:1'), '2001:db8::1'],
    ['a duration as TxnBox writes it', new Duration(1500), '1 s 500 ms'],
    ['a zero duration as empty', new Duration(0), ''],
    ['a tuple joined with ", ", nulls left out', ['a', null, 1, ['b', 'c']], 'a, 1, b, c'],
    ['an empty tuple as empty', [], ''],
  ])('%s', (_name, feature, text) => {
    expect(featureToString(feature)).toBe(text);
  });

  test('joinFeatures uses its separator at every level', () => {
    expect(joinFeatures(['a', ['b', null, 'c'], null, ''], '/')).toBe('a/b/c/');
  });
});

describe('formatFeature: a feature as a log line or an error shows it', () => {
  test.each<[Feature, string]>([
    ['a"b', '"a\\"b"'],
    ['', '""'],
    [null, 'null'],
    [7, '7'],
    [false, 'false'],
    [ip('10.0.0.1'), '10.0.0.1'],
    [new Duration(30_000), '30000ms'],
    [['x', 1, null, []], '["x", 1, null, []]'],
  ])('%j → %s', (feature, text) => {
    expect(formatFeature(feature)).toBe(text);
  });
});

describe('isEmptyFeature and typeOfFeature', () => {
  test('null, the empty string and the empty tuple are empty; nothing else is', () => {
    for (const empty of [null, '', []] as Feature[]) expect(isEmptyFeature(empty)).toBe(true);
    for (const full of [' ', 0, false, ['']] as Feature[]) expect(isEmptyFeature(full)).toBe(false);
  });

  test.each<[Feature, string]>([
    ['x', 'string'],
    [1, 'integer'],
    [true, 'boolean'],
    [null, 'null'],
    [ip('::1'), 'ip'],
    [new Duration(1), 'duration'],
    [[1], 'tuple'],
  ])('%j is a %s', (feature, type) => {
    expect(typeOfFeature(feature)).toBe(type);
  });
});

describe('toFeature: a transaction variable as a feature', () => {
  test('features stay; undefined is null; bigint a number; arrays tuples; objects their JSON', () => {
    const address = ip('10.1.2.3');
    expect(toFeature('s')).toBe('s');
    expect(toFeature(3)).toBe(3);
    expect(toFeature(address)).toBe(address);
    expect(toFeature(undefined)).toBeNull();
    expect(toFeature(null)).toBeNull();
    expect(toFeature(10n)).toBe(10);
    expect(toFeature(['a', undefined, [2]])).toEqual(['a', null, [2]]);
    expect(toFeature({ a: 1 })).toBe('{"a":1}');
    expect(toFeature(Symbol('s'))).toBe('Symbol(s)');
  });
});

describe('parseIpAddress', () => {
  test.each<[string, 4 | 6, number[] | undefined, string]>([
    ['192.0.2.1', 4, [192, 0, 2, 1], '192.0.2.1'],
    ['0.0.0.0', 4, [0, 0, 0, 0], '0.0.0.0'],
    ['::', 6, new Array<number>(16).fill(0), '::'],
    ['::1', 6, [...new Array<number>(15).fill(0), 1], '::1'],
    ['[::1]', 6, undefined, '::1'],
    ['2001:DB8::1', 6, undefined, '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', 6, undefined, '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', 6, undefined, '2001:db8:0:1:1:1:1:1'],
    ['fe80:0000:0000:0000:0204:61ff:fe9d:f156', 6, undefined, 'fe80::204:61ff:fe9d:f156'],
    ['::ffff:192.0.2.1', 6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 192, 0, 2, 1], '::ffff:192.0.2.1'],
    ['::ffff:c000:201', 6, undefined, '::ffff:192.0.2.1'],
    ['1:2:3:4:5:6:7.8.9.10', 6, [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 7, 8, 9, 10], '1:2:3:4:5:6:708:90a'],
  ])('%s', (text, family, bytes, canonical) => {
    const address = parseIpAddress(text)!;
    expect(address).toBeInstanceOf(IpAddress);
    expect(address.family).toBe(family);
    if (bytes !== undefined) expect([...address.bytes]).toEqual(bytes);
    expect(address.text).toBe(canonical);
    expect(String(address)).toBe(canonical);
  });

  test.each([
    '',
    'localhost',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    ' 1.2.3.4',
    'fe80::1%eth0',
    '1::2::3',
    '[1.2.3.4',
  ])('refuses %j', (text) => {
    expect(parseIpAddress(text)).toBeUndefined();
  });

  test('unmapIpv4 turns an IPv4-mapped address into the IPv4 one, and leaves others alone', () => {
    expect(unmapIpv4(ip('::ffff:10.0.0.1')).text).toBe('10.0.0.1');
    expect(unmapIpv4(ip('::ffff:10.0.0.1')).family).toBe(4);
    const other = ip('2001:db8::1');
    expect(unmapIpv4(other)).toBe(other);
  });

  test('ipAddressFromBytes copies the bytes and refuses other lengths', () => {
    const bytes = new Uint8Array([10, 0, 0, 1]);
    const address = ipAddressFromBytes(bytes);
    bytes[0] = 99;
    expect(address.text).toBe('10.0.0.1');
    expect(() => ipAddressFromBytes(new Uint8Array(5))).toThrow(RangeError);
  });
});

describe('parseDuration', () => {
  test.each<[string, number | undefined]>([
    ['500', 500],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h 30m', 5_400_000],
    ['90 minutes', 5_400_000],
    ['1 hour 30 min', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1S', 1000],
    ['', undefined],
    ['   ', undefined],
    ['s', undefined],
    ['1.5s', undefined],
    ['-1s', undefined],
    ['10 parsecs', undefined],
    ['1h x', undefined],
    ['99999999999999999999s', undefined],
  ])('%j → %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
