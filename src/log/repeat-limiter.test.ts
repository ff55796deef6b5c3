import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { capturedLogs } from '../../test/support/logs.ts';
import { RepeatLimiter } from './repeat-limiter.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

test('the first line of a key is written, repeats are counted into one summary per window', () => {
  const { logger, lines } = capturedLogs('info');
  const limiter = new RepeatLimiter(10_000);
  for (let i = 0; i < 500; i++) limiter.warn(logger, 'app|REFUSED', { cluster: 'app' }, 'refused');
  limiter.warn(logger, 'web|REFUSED', { cluster: 'web' }, 'refused');
  expect(lines.map((l) => l['cluster'])).toEqual(['app', 'web']);
  vi.advanceTimersByTime(10_000);
  expect(lines).toHaveLength(3);
  expect(lines[2]).toMatchObject({ cluster: 'app', suppressed: 499 });
  expect(lines[2]!.msg).toBe('refused (repeated 499 more times in 10 s)');
  // The flood goes on: still one line per window.
  for (let i = 0; i < 100; i++) limiter.warn(logger, 'app|REFUSED', { cluster: 'app' }, 'refused');
  expect(lines).toHaveLength(3);
  vi.advanceTimersByTime(10_000);
  expect(lines[3]).toMatchObject({ suppressed: 100 });
  // A quiet window closes silently; the next failure is written at once.
  vi.advanceTimersByTime(20_000);
  expect(lines).toHaveLength(4);
  limiter.warn(logger, 'app|REFUSED', { cluster: 'app' }, 'refused');
  expect(lines).toHaveLength(5);
  expect(lines[4]!['suppressed']).toBeUndefined();
});

test('close() writes what is pending and stops the timers', () => {
  const { logger, lines } = capturedLogs('info');
  const limiter = new RepeatLimiter();
  limiter.warn(logger, 'k', {}, 'x');
  limiter.warn(logger, 'k', {}, 'x');
  limiter.close();
  expect(lines.map((l) => l['suppressed'])).toEqual([undefined, 1]);
  expect(vi.getTimerCount()).toBe(0);
});
