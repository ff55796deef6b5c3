import { describe, expect, test } from 'vitest';
import type { RequestHead } from '../codec/types.ts';
import { mayReplay } from './attempts.ts';

function head(
  method: string,
  bodyKind: 'none' | 'length' | 'chunked' = 'none',
  contentLength = -1,
): RequestHead {
  return { method, bodyKind, contentLength } as unknown as RequestHead;
}

describe('mayReplay', () => {
  const GET = head('GET');

  test('an idempotent bodiless request that nothing was sent for may go again', () => {
    expect(mayReplay(GET, 'reset', false, false, true, false)).toBe(true);
  });

  test('not once the response started, nor while the request side still owes bytes', () => {
    expect(mayReplay(GET, 'reset', false, true, true, false)).toBe(false);
    expect(mayReplay(GET, 'reset', false, false, false, false)).toBe(false);
  });

  test('not a non-idempotent method, even without a body', () => {
    expect(mayReplay(head('POST'), 'reset', false, false, true, false)).toBe(false);
  });

  test('a request with a body only when the body was kept', () => {
    const put = head('PUT', 'length', 5);
    expect(mayReplay(put, 'reset', false, false, true, false)).toBe(false);
    expect(mayReplay(put, 'reset', false, false, true, true)).toBe(true);
    expect(mayReplay(head('PUT', 'chunked'), 'reset', false, false, true, false)).toBe(false);
    expect(mayReplay(head('PUT', 'length', 0), 'reset', false, false, true, false)).toBe(true);
  });

  test('an upgrade goes again only over a stale pooled connection', () => {
    expect(mayReplay(GET, 'reset', true, false, true, false)).toBe(false);
    expect(mayReplay(GET, 'stale', true, false, true, false)).toBe(true);
  });
});
