import CachePolicy from 'http-cache-semantics';
import { describe, expect, test } from 'vitest';
import {
  PREAMBLE_BYTES,
  decodeEntry,
  decodePreamble,
  encodeEntry,
  entryBytes,
  entryName,
  nameKind,
  type DiskMeta,
} from './disk-format.ts';

const policy = new CachePolicy(
  { url: '/a', method: 'GET', headers: { host: 'h' } },
  { status: 200, headers: { 'cache-control': 'max-age=60', etag: '"x"' } },
  { shared: true },
);
const META: DiskMeta = {
  key: 'http://h/a',
  vary: 'accept-encoding',
  variant: 'accept-encoding\u0000gzip\u0000',
  status: 200,
  reason: 'OK',
  cookies: ['a=1'],
  policy: policy.toObject(),
};

describe('disk entry files', () => {
  test('round trip: metadata, body and a policy that still answers', () => {
    const file = Buffer.concat(encodeEntry(META, Buffer.from('hello')));
    const decoded = decodeEntry(file)!;
    expect(decoded.body.toString()).toBe('hello');
    expect(decoded.meta).toEqual(META);
    const back = CachePolicy.fromObject(decoded.meta.policy);
    expect(back.responseHeaders()['etag']).toBe('"x"');
    expect(back.timeToLive()).toBeGreaterThan(50_000);
  });

  test('the preamble alone tells the length a whole file has', () => {
    const file = Buffer.concat(encodeEntry(META, Buffer.alloc(1000, 7)));
    const preamble = decodePreamble(file.subarray(0, PREAMBLE_BYTES))!;
    expect(entryBytes(preamble)).toBe(file.length);
  });

  test('a truncated, corrupted or foreign file does not decode', () => {
    const file = Buffer.concat(encodeEntry(META, Buffer.from('hello world')));
    expect(decodeEntry(file.subarray(0, file.length - 1))).toBeUndefined();
    const flipped = Buffer.from(file);
    flipped[flipped.length - 3] = flipped[flipped.length - 3]! ^ 0xff;
    expect(decodeEntry(flipped)).toBeUndefined();
    expect(decodeEntry(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeUndefined();
    expect(decodeEntry(Buffer.alloc(0))).toBeUndefined();
  });

  test('one file per alternate: names differ by variant, spread over 256 directories', () => {
    const a = entryName(META.key, META.vary, META.variant);
    const b = entryName(META.key, META.vary, 'accept-encoding\u0000br\u0000');
    expect(a.file).not.toBe(b.file);
    expect(a.file.slice(0, 32)).toBe(b.file.slice(0, 32));
    expect(a.dir).toMatch(/^[0-9a-f]{2}$/);
    expect(nameKind(a.file)).toBe('entry');
    expect(nameKind(`${a.file}.123.4.tmp`)).toBe('temporary');
    expect(nameKind('README')).toBe('other');
  });
});
