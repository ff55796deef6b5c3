import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ERROR_CODES } from './codes.ts';

test('every error code is documented in docs/errors.md with its status', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    // Prettier pads table cells, so compare with the padding removed.
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\``));
    expect(
      row
        ?.split('|')
        .map((cell) => cell.trim())
        .slice(1, 3),
      code,
    ).toEqual([`\`${code}\``, String(status ?? '—')]);
  }
});
