import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ERROR_CODES } from './codes.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
/** The table's rows, cells trimmed: Prettier pads them. */
const rows = doc
  .split('\n')
  .filter((line) => line.startsWith('| `JCT_'))
  .map((line) =>
    line
      .split('|')
      .map((cell) => cell.trim())
      .slice(1, 3),
  );

test('every error code is documented in docs/errors.md with its status', () => {
  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    const row = rows.find(([cell]) => cell === `\`${code}\``);
    expect(row, code).toEqual([`\`${code}\``, String(status ?? '—')]);
  }
});

test('docs/errors.md documents no code the registry lacks', () => {
  const documented = rows.map(([cell]) => cell!.slice(1, -1));
  expect(documented.filter((code) => !(code in ERROR_CODES))).toEqual([]);
  expect(new Set(documented).size).toBe(documented.length);
});
