import { describe, expect, test } from 'vitest';
import { DiskIndex, type DiskEntry } from './disk-index.ts';

function entry(file: string, bytes: number, lastUse = 0, key = file, variant = ''): DiskEntry {
  return { file, dir: '00', key, vary: '', variant, bytes, lastUse };
}

const files = (entries: readonly DiskEntry[]) => entries.map((e) => e.file);

describe('DiskIndex', () => {
  test('evicts the least recently used by bytes; a touch saves an entry', () => {
    const index = new DiskIndex(1000);
    index.add(entry('a', 400));
    index.add(entry('b', 400));
    index.touch(index.get('a')!, 1);
    expect(files(index.add(entry('c', 300)))).toEqual(['b']);
    expect(index.stats).toMatchObject({ bytes: 700, objects: 2, evictions: 1 });
  });

  test('scanned entries are evicted oldest first by their time, before anything used since', () => {
    const index = new DiskIndex(1000);
    // Directory order is not age order.
    index.add(entry('s3', 200, 300), true);
    index.add(entry('s1', 200, 100), true);
    index.add(entry('s2', 200, 200), true);
    index.add(entry('new', 200));
    index.touch(index.get('s1')!, 5_000); // used again: now the newest
    expect(files(index.add(entry('n2', 400)))).toEqual(['s2']);
    expect(files(index.add(entry('n3', 200)))).toEqual(['s3']);
    expect(files(index.add(entry('n4', 200)))).toEqual(['new']);
    expect(files(index.add(entry('n5', 200)))).toEqual(['s1']);
  });

  test('the scan does not replace a file written since start-up', () => {
    const index = new DiskIndex(1000);
    const written = entry('a', 100, 10);
    index.add(written);
    expect(index.add(entry('a', 100, 1), true)).toEqual([]);
    expect(index.get('a')).toBe(written);
    expect(index.stats.bytes).toBe(100);
  });

  test('a file over the bound is refused; a smaller bound evicts at once', () => {
    const index = new DiskIndex(1000);
    const big = entry('big', 1001);
    expect(index.add(big)).toEqual([big]);
    expect(index.get('big')).toBeUndefined();
    for (const name of ['a', 'b', 'c']) index.add(entry(name, 300));
    expect(files(index.resize(500))).toEqual(['a', 'b']);
  });

  test('alternates by key; purge by key, prefix and clear', () => {
    const index = new DiskIndex(10_000);
    index.add(entry('x1', 10, 0, 'http://h/x', 'v1'));
    index.add(entry('x2', 10, 0, 'http://h/x', 'v2'));
    index.add(entry('y', 10, 0, 'http://h/y'));
    index.add(entry('z', 10, 0, 'http://g/z'));
    expect(index.find('http://h/x', (e) => e.variant === 'v2')?.file).toBe('x2');
    expect(files(index.removeKey('http://h/x'))).toEqual(['x1', 'x2']);
    expect(files(index.removePrefix('http://h/'))).toEqual(['y']);
    expect(files(index.clear())).toEqual(['z']);
    expect(index.stats).toMatchObject({ bytes: 0, objects: 0 });
  });

  test('a removed scanned entry is skipped by eviction', () => {
    const index = new DiskIndex(250);
    index.add(entry('s1', 100, 1), true);
    index.add(entry('s2', 100, 2), true);
    index.remove(index.get('s1')!);
    index.add(entry('n', 100));
    expect(files(index.add(entry('m', 100)))).toEqual(['s2']);
  });
});
