import { describe, expect, it } from 'vitest';
import { IpAddress } from '../types.ts';
import { compile, compileError, dynamic, FakeTxn, ruleContext, run, StubEnv } from './fake-txn.test-suite.ts';

describe('var', () => {
  it('stores the feature value, typed, in txn.vars', () => {
    const txn = new FakeTxn();
    const address = new IpAddress(4, new Uint8Array([10, 0, 0, 1]), '10.0.0.1');
    run(txn, 'var', 'Best-Band', 'Delain');
    run(txn, 'var', 'count', 3);
    run(
      txn,
      'var',
      'addr',
      dynamic(() => address),
    );
    run(txn, 'var', 'none', null);
    expect([...txn.vars]).toEqual([
      ['Best-Band', 'Delain'],
      ['count', 3],
      ['addr', address],
      ['none', null],
    ]);
  });

  it('needs a plain name and is valid at every transaction hook but not at load time', () => {
    expect(compileError('var', undefined, 'x')).toMatch(/needs a name/);
    expect(compileError('var', 'a b', 'x')).toMatch(/needs a name/);
    expect(compileError('var', 'x', 'y', { hook: 'post-load' })).toMatch(/not valid/);
    const txn = new FakeTxn({ hook: 'txn-close' });
    run(txn, 'var', 'late', 1);
    expect(txn.vars.get('late')).toBe(1);
  });
});

describe('logging directives', () => {
  it('debug, note, warning and error log at their level with rule: true', () => {
    const txn = new FakeTxn();
    run(txn, 'debug', undefined, 'a');
    run(txn, 'note', undefined, 'b');
    run(txn, 'warning', undefined, 'c');
    run(txn, 'error', undefined, 42);
    expect(txn.logLines.map((l) => [l['level'], l['rule'], l['msg']])).toEqual([
      [20, true, 'a'],
      [30, true, 'b'],
      [40, true, 'c'],
      [50, true, '42'],
    ]);
  });

  it('[tag, message] adds the tag; the message may come from the transaction', () => {
    const txn = new FakeTxn({ path: '/x' });
    run(txn, 'note', undefined, ['canary', dynamic((ctx) => `path ${ctx.txn.request.path}`)]);
    expect(txn.logLines[0]).toMatchObject({ tag: 'canary', msg: 'path /x', rule: true });
  });

  it('needs a message', () => {
    expect(compileError('debug', undefined, null)).toMatch(/needs a message/);
  });
});

describe('logging below the level', () => {
  it('does not build the message', () => {
    const txn = new FakeTxn();
    txn.log.level = 'info';
    let built = 0;
    run(
      txn,
      'debug',
      undefined,
      dynamic(() => String(++built)),
    );
    expect(built).toBe(0);
    expect(txn.logLines).toEqual([]);
  });
});

describe('txn-debug', () => {
  it("writes this transaction's debug lines whatever the log level, until turned off", () => {
    const txn = new FakeTxn();
    txn.log.level = 'info';
    const ctx = ruleContext(txn);
    const env = new StubEnv({ hook: txn.hook });
    const debug = (text: string) => {
      compile('debug', undefined, text, env)(ctx);
    };
    debug('before');
    compile('txn-debug', undefined, true, env)(ctx);
    debug('during');
    compile('note', undefined, 'note', env)(ctx);
    compile(
      'txn-debug',
      undefined,
      dynamic(() => false),
      env,
    )(ctx);
    debug('after');
    expect(txn.logLines.map((l) => [l['level'], l['msg']])).toEqual([
      [20, 'during'],
      [30, 'note'],
    ]);
  });

  it('is valid at transaction hooks only', () => {
    expect(compileError('txn-debug', undefined, true, { hook: 'post-load' })).toMatch(/not valid/);
  });
});
