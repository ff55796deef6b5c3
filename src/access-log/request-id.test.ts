import { expect, test } from 'vitest';
import { isWellFormedRequestId, newRequestId, traceIdOf } from './request-id.ts';

test('well-formed request IDs: short and printable, without spaces, quotes or controls', () => {
  for (const id of ['abc', 'A-1_2.3~4:5+6/7=8', 'x'.repeat(128), newRequestId()]) {
    expect(isWellFormedRequestId(id), id).toBe(true);
  }
  for (const id of ['', 'x'.repeat(129), 'a b', 'a"b', 'a\nb', 'é', 'a,b']) {
    expect(isWellFormedRequestId(id), id).toBe(false);
  }
});

test('trace_id comes from a well-formed traceparent only', () => {
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';
  expect(traceIdOf(`00-${id}-00f067aa0ba902b7-01`)).toBe(id);
  expect(traceIdOf(undefined)).toBeNull();
  expect(traceIdOf(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBeNull();
  expect(traceIdOf(`ff-${id}-00f067aa0ba902b7-01`)).toBeNull();
  expect(traceIdOf(`00-${id.toUpperCase()}-00f067aa0ba902b7-01`)).toBeNull();
  expect(traceIdOf('garbage')).toBeNull();
});
