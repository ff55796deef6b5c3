import { expect, test } from 'vitest';
import { formatTable } from './table.ts';

test('columns are padded to their widest cell, with upper-case headers and - for missing values', () => {
  const text = formatTable(
    [
      { id: 'a', address: '127.0.0.1:9001', up: true },
      { id: 'longer-id', address: undefined, up: false },
    ],
    ['id', 'address', 'up'],
  );
  expect(text).toBe(
    [
      'ID         ADDRESS         UP',
      'a          127.0.0.1:9001  true',
      'longer-id  -               false',
      '',
    ].join('\n'),
  );
});

test('an empty list prints (none); header: false leaves the names out', () => {
  expect(formatTable([], ['a'])).toBe('(none)\n');
  expect(formatTable([{ k: 'version', v: 3 }], ['k', 'v'], { header: false })).toBe('version  3\n');
});
