import { describe, expect, test } from 'vitest';
import { FIELD_VALUE, TOKEN, skipFieldValue } from './tables.ts';

/** The reference: one table lookup per byte. */
function slowSkip(buf: Buffer, p: number, limit: number): number {
  while (p < limit && FIELD_VALUE[buf[p]!] === 1) p++;
  return p;
}

describe('skipFieldValue (four bytes at a time) agrees with the byte table', () => {
  test('every byte value at every position of a word, at every alignment', () => {
    const slab = Buffer.alloc(64, 0x61);
    let checked = 0;
    for (let offset = 0; offset < 4; offset++) {
      for (let pos = 0; pos < 12; pos++) {
        for (let c = 0; c < 256; c++) {
          slab.fill(0x61);
          slab[offset + pos] = c;
          const view = slab.subarray(offset, offset + 20);
          expect(skipFieldValue(view, 0, 20)).toBe(slowSkip(view, 0, 20));
          expect(skipFieldValue(slab, offset, offset + 20)).toBe(slowSkip(slab, offset, offset + 20));
          checked++;
        }
      }
    }
    expect(checked).toBe(4 * 12 * 256);
  });

  test('pairs of bytes inside one word (borrows between bytes)', () => {
    const buf = Buffer.alloc(16, 0x61);
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b += 3) {
        buf[1] = a;
        buf[2] = b;
        expect(skipFieldValue(buf, 0, 16)).toBe(slowSkip(buf, 0, 16));
      }
    }
  });

  test('never reads past limit', () => {
    const buf = Buffer.from('abcdefghijklmnop\0', 'latin1');
    for (let limit = 0; limit <= 16; limit++) expect(skipFieldValue(buf, 0, limit)).toBe(limit);
  });
});

describe('tables', () => {
  test('TOKEN is tchar', () => {
    const tchars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (let c = 0; c < 256; c++) expect(TOKEN[c] === 1).toBe(tchars.includes(String.fromCharCode(c)));
  });
  test('FIELD_VALUE is HTAB, SP, VCHAR and obs-text', () => {
    for (let c = 0; c < 256; c++) expect(FIELD_VALUE[c] === 1).toBe(c === 9 || (c >= 0x20 && c !== 0x7f));
  });
});
