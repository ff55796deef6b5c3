import { describe, expect, test } from 'vitest';
import CachePolicy from 'http-cache-semantics';
import type { RequestHead } from '../codec/types.ts';
import { variantOf, type CachedObject, type CacheLookup, type CacheRequest } from '../cache/index.ts';
import { HookError } from '../errors/index.ts';
import type { TxnHookName } from '../hooks/index.ts';
import {
  applyLookupStatus,
  bestAlternate,
  checkedKey,
  DEFAULT_ROUTE_CACHE,
  lookupStatusOf,
  mayChangeLookup,
  TxnCacheState,
  type CacheHooksHost,
} from './cache-hooks.ts';

const request: CacheRequest = {
  key: 'http://a.test/x',
  policyRequest: { url: '/x', method: 'GET', headers: { host: 'a.test' } },
};

function stored(fields: Record<string, string>, vary = '', variant = ''): CachedObject {
  const policy = new CachePolicy(request.policyRequest, { status: 200, headers: fields }, { shared: true });
  return {
    key: request.key,
    vary,
    variant,
    policy,
    status: 200,
    reason: 'OK',
    body: Buffer.from('b'),
    cookies: [],
    size: 1,
  };
}

function host(hook: TxnHookName, registered: TxnHookName[] = []): CacheHooksHost & { hook: TxnHookName } {
  const head = { host: 'a.test', port: '8080', path: '/p', query: '?q=1' } as RequestHead;
  return {
    hook,
    get currentHook() {
      return this.hook;
    },
    has: (name) => registered.includes(name),
    runSynchronous: () => undefined,
    requestHead: head,
    scheme: 'http',
    routeCache: { setCookie: false, collapse: false },
    outcome: undefined,
  };
}

describe('the lookup status', () => {
  test('as Traffic Server reports it, and which changes a hook may make', () => {
    const object = stored({ 'cache-control': 'max-age=60' });
    expect(lookupStatusOf({ kind: 'miss' })).toBe('miss');
    expect(lookupStatusOf({ kind: 'fresh', object, headers: {} })).toBe('hit-fresh');
    expect(lookupStatusOf({ kind: 'stale', object, conditional: {} })).toBe('hit-stale');
    expect(mayChangeLookup('hit-fresh', 'hit-stale')).toBe(true);
    expect(mayChangeLookup('hit-fresh', 'miss')).toBe(true);
    expect(mayChangeLookup('hit-stale', 'miss')).toBe(true);
    expect(mayChangeLookup('hit-stale', 'hit-fresh')).toBe(false);
    expect(mayChangeLookup('miss', 'hit-stale')).toBe(false);
    expect(mayChangeLookup('skipped', 'miss')).toBe(false);
  });

  test('a fresh hit made stale revalidates with the stored validators; made a miss, nothing is used', () => {
    const object = stored({ 'cache-control': 'max-age=60', etag: '"e"' });
    const fresh: CacheLookup = { kind: 'fresh', object, headers: {} };
    expect(applyLookupStatus(fresh, 'hit-fresh', request)).toBe(fresh);
    const stale = applyLookupStatus(fresh, 'hit-stale', request);
    expect(stale.kind).toBe('stale');
    expect(stale.kind === 'stale' && stale.conditional['if-none-match']).toBe('"e"');
    expect(applyLookupStatus(fresh, 'miss', request)).toEqual({ kind: 'miss' });
  });
});

test('the best alternate: the highest score above 0, the first on a tie; none above 0 is none', () => {
  const score = (n: number) => n;
  expect(bestAlternate([0.5, 0.9, 0.9], score)).toBe(0.9);
  expect(bestAlternate([1, 1], (n) => n)).toBe(1);
  expect(bestAlternate([0, -1, Number.NaN], score)).toBeUndefined();
  expect(bestAlternate([], score)).toBeUndefined();
});

test('a key is text of 1 to 8192 characters without line breaks', () => {
  expect(checkedKey('http://a/b')).toBe('http://a/b');
  expect(() => checkedKey('')).toThrow(RangeError);
  expect(() => checkedKey('a\nb')).toThrow(/line break/);
  expect(() => checkedKey('x'.repeat(8193))).toThrow(RangeError);
  expect(() => checkedKey(3)).toThrow(RangeError);
});

describe('TxnCacheState', () => {
  test('the key is the request as it is now, until one is set; settable until post-remap', () => {
    const h = host('read-request');
    const state = new TxnCacheState(h);
    expect(state.key).toBe('http://a.test:8080/p?q=1');
    state.setKey('custom');
    expect(state.key).toBe('custom');
    expect(state.keyFor('computed')).toBe('custom');
    h.hook = 'cache-lookup-complete';
    expect(() => {
      state.setKey('late');
    }).toThrow(HookError);
  });

  test('on or off: the route decides unless set; on without a route cache is the defaults', () => {
    const h = host('post-remap');
    const state = new TxnCacheState(h);
    const route = { setCookie: true, collapse: true };
    expect(state.enabled).toBe(true);
    expect(state.settings(route)).toBe(route);
    state.setEnabled(false);
    expect(state.enabled).toBe(false);
    expect(state.settings(route)).toBeUndefined();
    state.setEnabled(true);
    expect(state.settings(undefined)).toBe(DEFAULT_ROUTE_CACHE);
  });

  test('lookedUp names the first point with hooks, once per transaction', () => {
    const object = stored({ 'cache-control': 'max-age=60' });
    const fresh: CacheLookup = { kind: 'fresh', object, headers: {} };
    expect(new TxnCacheState(host('post-remap')).lookedUp(fresh)).toBeUndefined();
    const both = new TxnCacheState(host('post-remap', ['read-cache-header', 'cache-lookup-complete']));
    expect(both.lookedUp(fresh)).toBe('read-cache-header');
    expect(both.cachedResponse?.headers.get('cache-control')).toBe('max-age=60');
    expect(() => {
      both.cachedResponse!.headers.set('x', 'y');
    }).toThrow(HookError);
    expect(both.lookedUp(fresh)).toBeUndefined();
    const complete = new TxnCacheState(host('post-remap', ['read-cache-header', 'cache-lookup-complete']));
    expect(complete.lookedUp({ kind: 'miss' })).toBe('cache-lookup-complete');
    expect(complete.lookupStatus).toBe('miss');
    const skipped = new TxnCacheState(host('post-remap', ['cache-lookup-complete']));
    expect(skipped.lookedUp('skipped')).toBe('cache-lookup-complete');
    expect(skipped.decided(request)).toBeUndefined();
  });

  test('setLookupStatus only in cache-lookup-complete, within what Traffic Server allows', () => {
    const object = stored({ 'cache-control': 'max-age=60' });
    const h = host('post-remap', ['cache-lookup-complete']);
    const state = new TxnCacheState(h);
    state.lookedUp({ kind: 'fresh', object, headers: {} });
    expect(() => {
      state.setLookupStatus('miss');
    }).toThrow(/only for cache-lookup-complete/);
    h.hook = 'cache-lookup-complete';
    state.setLookupStatus('hit-stale');
    expect(state.lookupStatus).toBe('hit-stale');
    expect(state.decided(request)?.kind).toBe('stale');
  });

  test('select-alternate scores: matching alternates start at 1, others at 0', () => {
    // The request has no Accept-Language: the alternate stored for none matches it.
    const none = variantOf('accept-language', request.policyRequest.headers)!;
    const en = stored({ vary: 'accept-language' }, 'accept-language', none);
    const fr = stored({ vary: 'accept-language' }, 'accept-language', 'fr');
    const h = host('post-remap', ['select-alternate']);
    let scores: number[] = [];
    h.runSynchronous = () => {
      scores = state.alternates!.map((a) => a.score);
      state.alternates![1]!.score = 5;
      return undefined;
    };
    const state = new TxnCacheState(h);
    expect(state.selectAlternate([en, fr], request)).toBe(fr);
    expect(scores).toEqual([1, 0]);
    expect(state.alternates).toBeUndefined();
  });
});
