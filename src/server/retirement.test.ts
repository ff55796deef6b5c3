import { describe, expect, test } from 'vitest';
import type { UpstreamState } from '../router/index.ts';
import type { RuntimeSnapshot } from '../transaction/index.ts';
import { Retirement } from './retirement.ts';

/** Only what Retirement reads of a snapshot and a backend. */
const snapshot = (version: number) => ({ version }) as unknown as RuntimeSnapshot;

function upstream(inFlight: number) {
  const pool = {
    connectingCount: 0,
    closed: 0,
    closeIdle() {
      this.closed++;
    },
  };
  return { inFlight, pool } as unknown as UpstreamState & { pool: typeof pool };
}

describe('Retirement', () => {
  test('disposes an old snapshot once no transaction holds it, exactly once', () => {
    const errors: unknown[] = [];
    const retirement = new Retirement((e) => errors.push(e));
    const old = snapshot(1);
    let disposed = 0;
    retirement.retireSnapshot(old, () => {
      disposed++;
    });
    retirement.sweep(new Set([old]), new Set());
    expect(disposed).toBe(0);
    expect(retirement.pending).toBe(1);
    retirement.sweep(new Set(), new Set());
    retirement.sweep(new Set(), new Set());
    expect(disposed).toBe(1);
    expect(retirement.pending).toBe(0);
    expect(errors).toEqual([]);
  });

  test("closes a removed backend's idle connections after its attempts and the old snapshots are done", () => {
    const retirement = new Retirement(() => undefined);
    const old = snapshot(1);
    const busy = upstream(1);
    const shared = upstream(0);
    retirement.retireSnapshot(old, () => undefined);
    retirement.retireUpstreams([busy, shared]);
    // The old snapshot is still in use: a retry there may pick the removed backend.
    retirement.sweep(new Set([old]), new Set());
    expect(busy.pool.closed + shared.pool.closed).toBe(0);
    retirement.sweep(new Set(), new Set([shared.pool]));
    // Still in flight: kept; idle but its pool serves a live cluster: dropped without closing.
    expect(busy.pool.closed).toBe(0);
    expect(shared.pool.closed).toBe(0);
    expect(retirement.pending).toBe(1);
    (busy as { inFlight: number }).inFlight = 0;
    retirement.sweep(new Set(), new Set());
    expect(busy.pool.closed).toBe(1);
    expect(retirement.pending).toBe(0);
  });

  test('a backend that came back in a later config is not retired', () => {
    const retirement = new Retirement(() => undefined);
    const back = upstream(0);
    retirement.retireUpstreams([back]);
    retirement.keep(new Set([back]));
    retirement.sweep(new Set(), new Set());
    expect(back.pool.closed).toBe(0);
  });

  test('a dispose that throws or rejects is reported, and the others still run', async () => {
    const errors: unknown[] = [];
    const retirement = new Retirement((e) => errors.push(e));
    let ran = 0;
    retirement.retireSnapshot(snapshot(1), () => {
      throw new Error('sync');
    });
    retirement.retireSnapshot(snapshot(2), () => Promise.reject(new Error('async')));
    retirement.retireSnapshot(snapshot(3), () => {
      ran++;
    });
    retirement.sweep(new Set(), new Set());
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toBe(1);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(['async', 'sync']);
  });
});
