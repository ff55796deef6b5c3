import CachePolicy from 'http-cache-semantics';
import { describe, expect, test } from 'vitest';
import type { CachedObject } from './cached-object.ts';
import { MemoryStore } from './memory-store.ts';

const POLICY = new CachePolicy(
  { url: '/', headers: {} },
  { status: 200, headers: { 'cache-control': 'max-age=60' } },
);

function object(key: string, size: number, variant = ''): CachedObject {
  return {
    key,
    vary: variant === '' ? '' : 'accept',
    variant,
    policy: POLICY,
    status: 200,
    reason: 'OK',
    body: Buffer.alloc(0),
    cookies: [],
    size,
  };
}

describe('MemoryStore', () => {
  test('evicts the least recently used objects by bytes, not by count', () => {
    const store = new MemoryStore(1000);
    store.put(object('a', 400));
    store.put(object('b', 400));
    store.touch(store.alternates('a')[0]!);
    store.put(object('c', 300));
    expect(store.alternates('a')).toHaveLength(1);
    expect(store.alternates('b')).toHaveLength(0);
    expect(store.alternates('c')).toHaveLength(1);
    expect(store.stats).toMatchObject({ bytes: 700, objects: 2, evictions: 1 });
  });

  test('one large object may evict several small ones; one over the bound is refused', () => {
    const store = new MemoryStore(1000);
    for (const key of ['a', 'b', 'c', 'd']) store.put(object(key, 200));
    expect(store.put(object('big', 900))).toBe(true);
    expect(store.stats).toMatchObject({ bytes: 900, objects: 1, evictions: 4 });
    expect(store.put(object('huge', 1001))).toBe(false);
    expect(store.alternates('big')).toHaveLength(1);
  });

  test('keeps one alternate per variant of a key and replaces the same variant', () => {
    const store = new MemoryStore(10_000);
    store.put(object('k', 100, 'en'));
    store.put(object('k', 100, 'fr'));
    store.put(object('k', 150, 'en'));
    const alternates = store.alternates('k');
    expect(alternates.map((o) => o.variant).sort()).toEqual(['en', 'fr']);
    expect(alternates.find((o) => o.variant === 'en')!.size).toBe(150);
    expect(store.stats).toMatchObject({ bytes: 250, objects: 2 });
  });

  test('deletes a key with its alternates, by prefix, and everything', () => {
    const store = new MemoryStore(10_000);
    store.put(object('http://h/a', 10, 'en'));
    store.put(object('http://h/a', 10, 'fr'));
    store.put(object('http://h/b/1', 10));
    store.put(object('http://h/b/2', 10));
    store.put(object('http://other/b', 10));
    expect(store.deleteKey('http://h/a')).toBe(2);
    expect(store.deletePrefix('http://h/b/')).toBe(2);
    expect(store.stats).toMatchObject({ bytes: 10, objects: 1 });
    expect(store.clear()).toBe(1);
    expect(store.stats).toMatchObject({ bytes: 0, objects: 0 });
  });

  test('resize shrinks at once', () => {
    const store = new MemoryStore(1000);
    for (const key of ['a', 'b', 'c']) store.put(object(key, 300));
    store.resize(500);
    expect(store.stats).toMatchObject({ bytes: 300, objects: 1 });
    expect(store.alternates('c')).toHaveLength(1);
  });
});
