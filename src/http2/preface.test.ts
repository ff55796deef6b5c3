import { expect, test } from 'vitest';
import { H2C_PREFACE, prefaceVerdict } from './preface.ts';

test('the h2c preface is told from HTTP/1.1 as soon as the bytes differ', () => {
  expect(prefaceVerdict(H2C_PREFACE)).toBe('h2c');
  expect(prefaceVerdict(Buffer.concat([H2C_PREFACE, Buffer.from([0, 0, 0])]))).toBe('h2c');
  expect(prefaceVerdict(H2C_PREFACE.subarray(0, 10))).toBe('more');
  expect(prefaceVerdict(Buffer.from('P'))).toBe('more');
  expect(prefaceVerdict(Buffer.from('POST / HTTP/1.1\r\n'))).toBe('http1');
  expect(prefaceVerdict(Buffer.from('GET / HTTP/1.1\r\n'))).toBe('http1');
  expect(prefaceVerdict(Buffer.from('PRI * HTTP/1.1\r\n'))).toBe('http1');
});
