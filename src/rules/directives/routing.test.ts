import { describe, expect, it } from 'vitest';
import { compileError, dynamic, FakeTxn, run } from './fake-txn.test-suite.ts';

describe('routing directives', () => {
  it('route, cluster, strategy and upstream call the TxnContext', () => {
    const txn = new FakeTxn({ hook: 'pre-remap' });
    run(txn, 'route', undefined, 'canary');
    run(txn, 'cluster', undefined, 'blue');
    run(txn, 'strategy', undefined, 'least-connections');
    run(txn, 'upstream', undefined, 'b-2');
    expect(txn.calls).toEqual([
      ['setRoute', 'canary'],
      ['setCluster', 'blue'],
      ['setStrategy', 'least-connections'],
      ['setUpstream', 'b-2'],
    ]);
  });

  it('a name may come from the transaction; an empty one throws at run time', () => {
    const txn = new FakeTxn({ hook: 'post-remap', headers: [['X-Cluster', 'green']] });
    run(
      txn,
      'cluster',
      undefined,
      dynamic((ctx) => ctx.txn.request.headers.get('x-cluster') ?? null),
    );
    expect(txn.calls).toEqual([['setCluster', 'green']]);
    expect(() => {
      run(
        txn,
        'cluster',
        undefined,
        dynamic(() => ''),
      );
    }).toThrow(/cluster: the cluster must be a non-empty name/);
  });

  it('declares the hooks until which each choice takes effect', () => {
    expect(compileError('route', undefined, 'r', { hook: 'remap' })).toMatch(/not valid/);
    expect(compileError('cluster', undefined, 'c', { hook: 'send-request' })).toMatch(/not valid/);
    expect(compileError('upstream', undefined, 'u', { hook: 'read-response' })).toMatch(/not valid/);
    expect(compileError('strategy', undefined, '', { hook: 'remap' })).toMatch(/non-empty name/);
    expect(compileError('route', undefined, null, { hook: 'read-request' })).toMatch(/non-empty name/);
  });
});

describe('timeout', () => {
  it('sets connect and backend-response timeouts from durations or milliseconds', () => {
    const txn = new FakeTxn({ hook: 'post-remap' });
    run(txn, 'timeout', 'connect', '2s');
    run(txn, 'timeout', 'backend-response', 1500);
    txn.hook = 'send-request';
    run(txn, 'timeout', 'backend-response', '1m');
    txn.hook = 'read-response';
    run(txn, 'timeout', 'backend-body', '1h');
    expect(txn.calls).toEqual([
      ['setTimeout', 'connectMs', 2000],
      ['setTimeout', 'backendResponseMs', 1500],
      ['setTimeout', 'backendResponseMs', 60000],
      ['setTimeout', 'backendBodyMs', 3_600_000],
    ]);
  });

  it('refuses unknown timeouts, bad durations, and connect after post-remap', () => {
    expect(compileError('timeout', 'idle', '1s')).toMatch(/<connect>, <backend-response> or <backend-body>/);
    expect(compileError('timeout', undefined, '1s')).toMatch(
      /<connect>, <backend-response> or <backend-body>/,
    );
    expect(compileError('timeout', 'connect', '3 fortnights')).toMatch(/duration/);
    expect(compileError('timeout', 'connect', 0)).toMatch(/from 1 ms to 2147483647 ms, got 0/);
    expect(compileError('timeout', 'connect', true)).toMatch(/duration/);
    expect(compileError('timeout', 'connect', '1s', { hook: 'send-request' })).toMatch(/until post-remap/);
    expect(compileError('timeout', 'backend-response', '1s', { hook: 'read-response' })).toMatch(
      /until send-request/,
    );
    expect(compileError('timeout', 'backend-body', '1s', { hook: 'send-response' })).toMatch(/not valid/);
  });
});
