import { describe, expect, test } from 'vitest';
import { negotiateEncoding, parseAcceptEncoding, type ContentCoding } from './accept-encoding.ts';

const BOTH: readonly ContentCoding[] = ['br', 'gzip'];

describe('negotiateEncoding', () => {
  test.each<[string | undefined, ContentCoding | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, br', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['GZIP', 'gzip'],
    ['x-gzip', 'gzip'],
    ['gzip, x-gzip;q=0', undefined],
    ['x-gzip;q=0, gzip', undefined],
    ['deflate', undefined],
    ['br;q=1, gzip;q=0.8', 'br'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br ; q=0.5 , gzip ; Q=0.8', 'gzip'],
    ['gzip;q=0', undefined],
    ['gzip;q=0, br;q=0', undefined],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    ['*;q=0', undefined],
    ['*;q=0.5, br;q=0', 'gzip'],
    ['gzip, *;q=0', 'gzip'],
    ['identity', undefined],
    ['identity;q=0', undefined],
    ['gzip, identity;q=0', 'gzip'],
    ['gzip;q=0.5', 'gzip'],
    ['gzip;q=0.5, identity', undefined],
    ['gzip;q=0.5, identity;q=0.6', undefined],
    ['gzip;q=0.5, identity;q=0.5', 'gzip'],
    ['gzip;q=0.5, *;q=0.1', 'gzip'],
    ['gzip;q=1.0, identity; q=0.5, *;q=0', 'gzip'],
    ['gzip;q=0.001', 'gzip'],
    ['*;q=0.3', 'br'],
    ['gzip;q=2', undefined],
    ['gzip;q=abc, br', 'br'],
    ['gzip;q=1.5', undefined],
    ['gzip;q=.5', undefined],
    ['gzip;q=0.5555', undefined],
    ['gzip;q=0, gzip', undefined],
    ['gzip;level=9', 'gzip'],
    [' , gzip ,, ', 'gzip'],
  ])('%j → %s', (header, expected) => {
    expect(negotiateEncoding(header, BOTH)).toBe(expected);
  });

  test('ties go to the coding listed first in the options', () => {
    expect(negotiateEncoding('gzip, br', ['gzip', 'br'])).toBe('gzip');
    expect(negotiateEncoding('*', ['gzip', 'br'])).toBe('gzip');
    expect(negotiateEncoding('br;q=0.9, gzip;q=0.8', ['gzip', 'br'])).toBe('br');
  });

  test('only offered codings are chosen', () => {
    expect(negotiateEncoding('br', ['gzip'])).toBeUndefined();
    expect(negotiateEncoding('br, gzip;q=0.1', ['gzip'])).toBe('gzip');
  });
});

describe('parseAcceptEncoding', () => {
  test('lower-cases codings, reads q, skips malformed elements, keeps the lowest weight', () => {
    expect(parseAcceptEncoding('GZip;q=0.5, br, x;q=bad, br;q=0.2, x-gzip;q=0.7')).toEqual(
      new Map([
        ['gzip', 0.5],
        ['br', 0.2],
      ]),
    );
  });
});
