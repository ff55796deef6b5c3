import { expect, test, vi } from 'vitest';
import { CollapseTable } from './collapse.ts';

test('one filler per key; waiters wake with its outcome, or at the timeout', () => {
  vi.useFakeTimers();
  try {
    const table = new CollapseTable(() => 100);
    expect(table.tryLock('k')).toBe(true);
    expect(table.tryLock('k')).toBe(false);
    const woken: string[] = [];
    expect(table.wait('k', (outcome) => woken.push(`a:${outcome}`))).toBe(true);
    vi.advanceTimersByTime(50);
    expect(table.wait('k', (outcome) => woken.push(`b:${outcome}`))).toBe(true);
    vi.advanceTimersByTime(60);
    expect(woken).toEqual(['a:timeout']);
    table.unlock('k', 'stored');
    expect(woken).toEqual(['a:timeout', 'b:stored']);
    vi.advanceTimersByTime(1000);
    expect(woken).toHaveLength(2);
    expect(table.filling).toBe(0);
    expect(table.wait('k', () => woken.push('c'))).toBe(false);
  } finally {
    vi.useRealTimers();
  }
});
