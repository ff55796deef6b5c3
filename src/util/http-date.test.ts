import { expect, test } from 'vitest';
import { dateField } from './http-date.ts';

test('the Date field is an IMF-fixdate of the current second', () => {
  expect(dateField(Date.UTC(1994, 10, 6, 8, 49, 37, 250))).toBe('Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n');
  expect(dateField(Date.UTC(1994, 10, 6, 8, 49, 37, 999))).toBe('Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n');
  expect(dateField(Date.UTC(1994, 10, 6, 8, 49, 38, 0))).toBe('Date: Sun, 06 Nov 1994 08:49:38 GMT\r\n');
  expect(dateField(Date.UTC(2026, 0, 1, 0, 0, 0, 1))).toBe('Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n');
});

test('within one second the same string is returned (formatted once)', () => {
  const at = Date.UTC(2030, 5, 15, 12, 0, 0, 0);
  const first = dateField(at);
  const again = dateField(at + 900);
  expect(again).toBe(first);
  expect(dateField()).toMatch(/^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n$/);
});
