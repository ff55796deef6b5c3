import { describe, expect, it } from 'vitest';
import { compileError, dynamic, FakeTxn, run } from './fake-txn.test-suite.ts';

describe('proxy-reply', () => {
  it('a status alone answers with no body', () => {
    const txn = new FakeTxn();
    run(txn, 'proxy-reply', undefined, 503);
    expect(txn.calls).toEqual([['respond', { status: 503 }]]);
  });

  it('the mapping form answers with body and headers, and sets the reason on the way out', async () => {
    const txn = new FakeTxn({ hook: 'pre-remap' });
    run(txn, 'proxy-reply', undefined, {
      status: 503,
      reason: 'Down for maintenance',
      body: 'back soon\n',
      headers: { 'Retry-After': 120, 'Content-Type': 'text/plain' },
    });
    expect(txn.calls).toEqual([
      [
        'respond',
        { status: 503, body: 'back soon\n', headers: { 'Retry-After': '120', 'Content-Type': 'text/plain' } },
      ],
      ['addHook', 'send-response'],
    ]);
    txn.setResponse({ status: 503, reason: 'Service Unavailable' });
    await txn.runAdded('send-response');
    expect(txn.responseHead).toMatchObject({ status: 503, reason: 'Down for maintenance' });
  });

  it('the added reason hook leaves a status changed meanwhile alone', async () => {
    const txn = new FakeTxn();
    run(txn, 'proxy-reply', undefined, [503, 'Later']);
    txn.setResponse({ status: 500, reason: 'Internal Server Error' });
    await txn.runAdded('send-response');
    expect(txn.responseHead).toMatchObject({ status: 500, reason: 'Internal Server Error' });
  });

  it('at send-response it answers without adding a hook', () => {
    const txn = new FakeTxn({ hook: 'send-response', response: { status: 200 } });
    run(txn, 'proxy-reply', undefined, [503, 'Later']);
    expect(txn.calls).toEqual([['respond', { status: 503 }]]);
  });

  it('refuses what cannot be answered at load time', () => {
    expect(compileError('proxy-reply', undefined, 700)).toMatch(/200 to 599/);
    expect(compileError('proxy-reply', undefined, null)).toMatch(/needs a status/);
    expect(compileError('proxy-reply', undefined, { body: 'x' })).toMatch(/needs a status/);
    expect(compileError('proxy-reply', undefined, { status: 200, colour: 'red' })).toMatch(
      /does not take 'colour'/,
    );
    expect(
      compileError('proxy-reply', undefined, { status: 200, headers: { 'Content-Length': '1' } }),
    ).toMatch(/set by Junction/);
    expect(compileError('proxy-reply', undefined, { status: 200, headers: { Connection: 'close' } })).toMatch(
      /set by Junction/,
    );
    expect(compileError('proxy-reply', undefined, { status: 200, headers: ['x'] })).toMatch(/mapping/);
    expect(compileError('proxy-reply', undefined, 200, { hook: 'txn-close' })).toMatch(/not valid/);
  });
});

describe('redirect', () => {
  it("a location alone is a 301 (TxnBox's default)", () => {
    const txn = new FakeTxn();
    run(txn, 'redirect', undefined, 'https://example.com/new');
    expect(txn.calls).toEqual([['redirect', 'https://example.com/new', 301]]);
  });

  it('{this::location} in the body is the location', () => {
    const txn = new FakeTxn();
    run(txn, 'redirect', undefined, { to: '/there', status: 302, body: 'see {this::location}!' });
    expect(txn.calls).toEqual([
      ['respond', { status: 302, headers: { location: '/there' }, body: 'see /there!' }],
    ]);
  });

  it('[status, location] and { location | to, status }', () => {
    const txn = new FakeTxn();
    run(txn, 'redirect', undefined, [301, '/moved']);
    run(txn, 'redirect', undefined, { location: '/a', status: 308 });
    run(txn, 'redirect', undefined, { to: '/b', status: '307' });
    expect(txn.calls).toEqual([
      ['redirect', '/moved', 301],
      ['redirect', '/a', 308],
      ['redirect', '/b', 307],
    ]);
  });

  it('with a body it answers through respond() with the location field', () => {
    const txn = new FakeTxn();
    run(txn, 'redirect', undefined, { location: '/x', status: 301, body: 'moved\n' });
    expect(txn.calls).toEqual([['respond', { status: 301, headers: { location: '/x' }, body: 'moved\n' }]]);
  });

  it('the location may come from the transaction', () => {
    const txn = new FakeTxn({ path: '/p' });
    run(
      txn,
      'redirect',
      undefined,
      dynamic((ctx) => `https://new.example${ctx.txn.request.path}`),
    );
    expect(txn.calls).toEqual([['redirect', 'https://new.example/p', 301]]);
  });

  it('refuses non-redirect statuses, empty locations and line breaks', () => {
    expect(compileError('redirect', undefined, [200, '/x'])).toMatch(/301, 302, 303, 307 and 308/);
    expect(compileError('redirect', undefined, { location: '/x', status: 305 })).toMatch(/301, 302/);
    expect(compileError('redirect', undefined, '')).toMatch(/non-empty/);
    expect(compileError('redirect', undefined, '/x\r\nSet-Cookie: a')).toMatch(/line breaks/);
    expect(compileError('redirect', undefined, { location: '/a', to: '/b' })).toMatch(/not both/);
    expect(compileError('redirect', undefined, { status: 301 })).toMatch(/needs a location/);
    expect(compileError('redirect', undefined, null)).toMatch(/needs a location/);
  });
});

describe('deny', () => {
  it('answers 403 with no value, or the status given', () => {
    const txn = new FakeTxn();
    run(txn, 'deny', undefined, null);
    run(txn, 'deny', undefined, true);
    run(txn, 'deny', undefined, 451);
    run(txn, 'deny', undefined, { body: 'no\n' });
    expect(txn.calls).toEqual([
      ['respond', { status: 403 }],
      ['respond', { status: 403 }],
      ['respond', { status: 451 }],
      ['respond', { status: 403, body: 'no\n' }],
    ]);
  });

  it('refuses a status that is not an error, and false', () => {
    expect(compileError('deny', undefined, 200)).toMatch(/400 to 599/);
    expect(compileError('deny', undefined, false)).toMatch(/does nothing/);
  });

  it('is valid until send-response', () => {
    const txn = new FakeTxn({ hook: 'send-response', response: { status: 200 } });
    run(txn, 'deny', undefined, null);
    expect(txn.answer).toEqual({ status: 403 });
  });
});
