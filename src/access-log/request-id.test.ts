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

test('new request IDs are version 4 UUIDs, distinct, across refills of the random pool', () => {
  const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const id = newRequestId();
    expect(id).toMatch(UUID_V4);
    seen.add(id);
  }
  expect(seen.size).toBe(1000);
});
