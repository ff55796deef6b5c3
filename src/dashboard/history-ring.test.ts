import { describe, expect, it } from 'vitest';
import { HistoryRing } from './history-ring.ts';

describe('HistoryRing', () => {
  it('keeps the last `capacity` readings, oldest first', () => {
    const ring = new HistoryRing<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i * 1000, i);
    expect(ring.all().map((r) => r.value)).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
    expect(ring.latest()).toEqual({ at: 5000, value: 5 });
  });

  it('finds the oldest reading inside a window, else the newest', () => {
    const ring = new HistoryRing<number>(10);
    expect(ring.since(0)).toBeUndefined();
    for (let i = 1; i <= 5; i++) ring.push(i * 1000, i);
    expect(ring.since(2500)?.value).toBe(3);
    expect(ring.since(0)?.value).toBe(1);
    expect(ring.since(9000)?.value).toBe(5);
  });

  it('refuses a capacity below two (a rate needs two readings)', () => {
    expect(() => new HistoryRing(1)).toThrow(RangeError);
  });
});
