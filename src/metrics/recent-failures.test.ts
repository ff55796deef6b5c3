import { describe, expect, it } from 'vitest';
import { mergeRecentFailures, RecentFailures } from './recent-failures.ts';

function fail(ring: RecentFailures, n: number): void {
  ring.record(1000 + n, `id-${n}`, 'main', 'r', 'c', 'b:1', 502, 'JCT_ERR_CONNECT_REFUSED');
}

describe('RecentFailures', () => {
  it('lists nothing before a failure', () => {
    expect(new RecentFailures(3).list()).toEqual([]);
  });

  it('lists the kept failures newest first, as recorded', () => {
    const ring = new RecentFailures(3);
    fail(ring, 1);
    fail(ring, 2);
    expect(ring.list().map((f) => f.requestId)).toEqual(['id-2', 'id-1']);
    expect(ring.list()[0]).toEqual({
      time: 1002,
      requestId: 'id-2',
      listener: 'main',
      route: 'r',
      cluster: 'c',
      upstream: 'b:1',
      status: 502,
      code: 'JCT_ERR_CONNECT_REFUSED',
    });
  });

  it('keeps only the last `capacity`, overwriting the oldest', () => {
    const ring = new RecentFailures(3);
    for (let n = 1; n <= 7; n++) fail(ring, n);
    expect(ring.list().map((f) => f.requestId)).toEqual(['id-7', 'id-6', 'id-5']);
    expect(ring.total).toBe(7);
  });

  it('hands out copies: a later failure does not change a list already taken', () => {
    const ring = new RecentFailures(1);
    fail(ring, 1);
    const before = ring.list();
    fail(ring, 2);
    expect(before[0]!.requestId).toBe('id-1');
  });

  it('counts 5xx answers and transactions that ended without an answer as failed, not 4xx', () => {
    expect(RecentFailures.failed(200, undefined)).toBe(false);
    expect(RecentFailures.failed(503, undefined)).toBe(true);
    expect(RecentFailures.failed(502, 'JCT_ERR_CONNECT_REFUSED')).toBe(true);
    expect(RecentFailures.failed(0, 'JCT_ERR_CLIENT_TIMEOUT')).toBe(true);
    expect(RecentFailures.failed(404, 'JCT_ERR_ROUTE_NOT_FOUND')).toBe(false);
    expect(RecentFailures.failed(400, 'JCT_ERR_HTTP_PARSE')).toBe(false);
  });

  it('refuses a capacity below one', () => {
    expect(() => new RecentFailures(0)).toThrow(RangeError);
  });
});

describe('mergeRecentFailures', () => {
  it("merges processes' lists newest first, each entry naming its pid, capped to the capacity", () => {
    const a = new RecentFailures(3);
    const b = new RecentFailures(3);
    fail(a, 1);
    fail(b, 2);
    fail(a, 3);
    fail(b, 4);
    const merged = mergeRecentFailures(
      [
        { pid: 11, value: a.list() },
        { pid: 22, value: b.list() },
      ],
      3,
    );
    expect(merged.map((f) => [f.requestId, f.pid])).toEqual([
      ['id-4', 22],
      ['id-3', 11],
      ['id-2', 22],
    ]);
  });
});
