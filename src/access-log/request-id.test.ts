import { expect, test } from 'vitest';
import { isWellFormedRequestId, newRequestId } from './request-id.ts';

test('well-formed request IDs: short and printable, without spaces, quotes or controls', () => {
  for (const id of ['abc', 'A-1_2.3~4:5+6/7=8', 'x'.repeat(128), newRequestId()]) {
    expect(isWellFormedRequestId(id), id).toBe(true);
  }
  for (const id of ['', 'x'.repeat(129), 'a b', 'a"b', 'a\nb', 'é', 'a,b']) {
    expect(isWellFormedRequestId(id), id).toBe(false);
  }
});
