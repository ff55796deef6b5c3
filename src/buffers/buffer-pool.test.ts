import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { BufferPool } from './buffer-pool.ts';

describe('BufferPool', () => {
  test('hands out distinct slices of the region and takes them back', () => {
    const pool = new BufferPool(16, 3);
    const a = pool.acquire();
    const b = pool.acquire();
    expect(a.length).toBe(16);
    a.fill(1);
    b.fill(2);
    expect(a[0]).toBe(1);
    expect(pool.available).toBe(1);
    pool.release(a);
    pool.release(b);
    expect(pool.available).toBe(3);
    pool.checkInvariants();
  });

  test('allocates instead of failing when empty, and ignores foreign buffers on release', () => {
    const pool = new BufferPool(8, 1);
    const a = pool.acquire();
    const extra = pool.acquire();
    expect(extra.length).toBe(8);
    expect(pool.fallbacks).toBe(1);
    pool.release(extra);
    pool.release(a);
    expect(pool.available).toBe(1);
    pool.checkInvariants();
  });

  test('keeps available + checked out == capacity under any sequence of operations', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 200 }), (ops) => {
        const pool = new BufferPool(4, 5);
        const held: Buffer[] = [];
        for (const take of ops) {
          if (take) held.push(pool.acquire());
          else {
            const b = held.pop();
            if (b) pool.release(b);
          }
          pool.checkInvariants();
        }
      }),
    );
  });
});
