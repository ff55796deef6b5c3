import { describe, expect, test, vi } from 'vitest';
import type { TxnContext } from './context.ts';
import { HOOK_INDEX } from './hook-names.ts';
import { HOOKS_DONE, HOOKS_FAILED, HOOKS_PENDING, HookRunner, type HookFailure } from './hook-runner.ts';
import { HookTableBuilder, mergeHookTables, type HookEntry } from './hook-table.ts';
import { FlatHeaderFields, RequestHeadView, ResponseHeadView } from './views.ts';
import type { RequestHead, ResponseHead } from '../codec/types.ts';

const ctx = {} as TxnContext;

function entry(hook: HookEntry['hook'], owner = 'p', timeoutMs = 1000): HookEntry {
  return { hook, owner, timeoutMs };
}

class Host {
  answered = false;
  finished: { step: number; failure: HookFailure | undefined }[] = [];
  hooksFinished(step: number, failure: HookFailure | undefined): void {
    this.finished.push({ step, failure });
  }
}

describe('HookRunner', () => {
  test('synchronous hooks run in order, at once, and never make a promise', () => {
    const host = new Host();
    const runner = new HookRunner(host, ctx);
    const order: string[] = [];
    const thenSpy = vi.spyOn(Promise.prototype, 'then');
    const result = runner.run(
      'read-request',
      [entry(() => void order.push('a')), entry(() => void order.push('b'))],
      [entry(() => void order.push('added'))],
      7,
    );
    expect(thenSpy).not.toHaveBeenCalled();
    thenSpy.mockRestore();
    expect(result).toBe(HOOKS_DONE);
    expect(order).toEqual(['a', 'b', 'added']);
    expect(host.finished).toEqual([]);
  });

  test('an asynchronous hook pauses the run; the rest runs when it settles, then the host hears', async () => {
    const host = new Host();
    const runner = new HookRunner(host, ctx);
    const order: string[] = [];
    let release: () => void = () => undefined;
    const result = runner.run(
      'pre-remap',
      [
        entry(() => void order.push('sync')),
        entry(
          () =>
            new Promise<void>((resolve) => {
              order.push('async');
              release = resolve;
            }),
        ),
        entry(() => void order.push('after')),
      ],
      undefined,
      3,
    );
    expect(result).toBe(HOOKS_PENDING);
    expect(order).toEqual(['sync', 'async']);
    release();
    await vi.waitFor(() => {
      expect(host.finished).toEqual([{ step: 3, failure: undefined }]);
    });
    expect(order).toEqual(['sync', 'async', 'after']);
  });

  test('throws, rejections and time limits become failures naming the owner', async () => {
    const host = new Host();
    const runner = new HookRunner(host, ctx);
    expect(
      runner.run(
        'remap',
        [
          entry(() => {
            throw new Error('x');
          }, 'thrower'),
        ],
        undefined,
        1,
      ),
    ).toBe(HOOKS_FAILED);
    expect(runner.lastFailure).toMatchObject({ owner: 'thrower', kind: 'threw', hook: 'remap' });

    runner.run('remap', [entry(() => Promise.reject(new Error('y')), 'rejecter')], undefined, 2);
    await vi.waitFor(() => {
      expect(host.finished[0]?.failure).toMatchObject({ owner: 'rejecter', kind: 'rejected' });
    });

    vi.useFakeTimers();
    try {
      runner.run('remap', [entry(() => new Promise<void>(() => undefined), 'hanger', 50)], undefined, 3);
      vi.advanceTimersByTime(49);
      expect(host.finished).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(host.finished[1]).toMatchObject({ step: 3, failure: { owner: 'hanger', kind: 'timed-out' } });
    } finally {
      vi.useRealTimers();
    }
  });

  test('a cancelled or superseded run is never reported', async () => {
    const host = new Host();
    const runner = new HookRunner(host, ctx);
    let release: () => void = () => undefined;
    runner.run('remap', [entry(() => new Promise<void>((resolve) => (release = resolve)))], undefined, 1);
    runner.cancel();
    release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(host.finished).toEqual([]);
  });

  test('once a hook answered the client, the rest of the point is skipped', () => {
    const host = new Host();
    const runner = new HookRunner(host, ctx);
    const order: string[] = [];
    const result = runner.run(
      'read-request',
      [
        entry(() => {
          order.push('answers');
          host.answered = true;
        }),
        entry(() => void order.push('skipped')),
      ],
      undefined,
      1,
    );
    expect(result).toBe(HOOKS_DONE);
    expect(order).toEqual(['answers']);
  });
});

describe('hook tables', () => {
  test('an empty builder builds null; merging keeps global hooks first', () => {
    expect(new HookTableBuilder().build()).toBeNull();
    const a = new HookTableBuilder();
    const b = new HookTableBuilder();
    const first = entry(() => undefined, 'global');
    const second = entry(() => undefined, 'route');
    a.add('send-response', first);
    b.add('send-response', second);
    const merged = mergeHookTables(a.build(), b.build())!;
    expect(merged[HOOK_INDEX['send-response']]).toEqual([first, second]);
    expect(merged[0]).toBeUndefined();
    expect(mergeHookTables(null, null)).toBeNull();
  });
});

describe('views', () => {
  const head = (): RequestHead => ({
    method: 'GET',
    target: '/a?x=1',
    host: 'example.com',
    port: '',
    path: '/a',
    query: '?x=1',
    versionMinor: 1,
    headers: ['Host', 'example.com', 'Accept', 'a', 'accept', 'b'],
    bodyKind: 'none',
    contentLength: -1,
    keepAlive: true,
    connectionTokens: [],
    expectContinue: false,
    upgrade: false,
  });

  test('header fields: case-insensitive reads, set replaces, delete removes every value', () => {
    const list = ['Accept', 'a', 'accept', 'b', 'X-One', '1'];
    const fields = new FlatHeaderFields(list);
    expect(fields.get('ACCEPT')).toBe('a');
    expect(fields.getAll('accept')).toEqual(['a', 'b']);
    fields.set('Accept', 'c');
    expect(fields.getAll('accept')).toEqual(['c']);
    fields.append('accept', 'd');
    expect(fields.delete('accept')).toBe(true);
    expect(fields.has('accept')).toBe(false);
    expect(fields.entries()).toEqual([['X-One', '1']]);
  });

  test('framing fields, bad names and line breaks are refused', () => {
    const fields = new FlatHeaderFields([]);
    expect(() => {
      fields.set('Content-Length', '0');
    }).toThrow(/framing/);
    expect(() => fields.delete('transfer-encoding')).toThrow(/framing/);
    expect(() => {
      fields.set('bad name', 'x');
    }).toThrow(/not a valid header field name/);
    expect(() => {
      fields.set('x', 'a\r\nInjected: 1');
    }).toThrow(/line break/);
  });

  test('request rewrites change what is forwarded and what routing sees', () => {
    const h = head();
    const view = new RequestHeadView(h);
    view.setPath('/b');
    view.setQuery('');
    view.setHost('api.internal', '8080');
    expect([h.path, h.query, h.target, h.host, h.port]).toEqual(['/b', '', '/b', 'api.internal', '8080']);
    expect(view.headers.getAll('host')).toEqual(['api.internal:8080']);
    expect(() => {
      view.setPath('no-slash');
    }).toThrow();
    expect(() => {
      view.setQuery('x=1');
    }).toThrow();
  });

  test('a response view changes the status and its standard reason', () => {
    const response: ResponseHead = {
      status: 200,
      reason: 'OK',
      versionMinor: 1,
      headers: [],
      bodyKind: 'none',
      contentLength: -1,
      keepAlive: true,
      connectionTokens: [],
    };
    const view = new ResponseHeadView(response);
    view.setStatus(404);
    expect([response.status, response.reason]).toEqual([404, 'Not Found']);
    expect(() => {
      view.setStatus(99);
    }).toThrow(RangeError);
  });
});
