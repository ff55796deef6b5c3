import { describe, expect, it } from 'vitest';
import { compileError, dynamic, FakeTxn, run } from './fake-txn.test-suite.ts';

describe('field directives', () => {
  it('ua-req-field sets a field, replacing every value', () => {
    const txn = new FakeTxn({
      headers: [
        ['X-Swoc', 'a'],
        ['x-swoc', 'b'],
      ],
    });
    run(txn, 'ua-req-field', 'X-Swoc', 'Potzrebie');
    expect(txn.request.headers.getAll('x-swoc')).toEqual(['Potzrebie']);
  });

  it('a null value removes the field', () => {
    const txn = new FakeTxn({
      headers: [
        ['Cookie', 'a=1'],
        ['Cookie', 'b=2'],
      ],
    });
    run(txn, 'ua-req-field', 'Cookie', null);
    expect(txn.request.headers.has('cookie')).toBe(false);
  });

  it('a tuple gives one field per element, null elements skipped', () => {
    const txn = new FakeTxn({ headers: [['Via', 'old']] });
    run(txn, 'ua-req-field', 'Via', ['1.1 a', null, '1.1 b']);
    expect(txn.request.headers.getAll('via')).toEqual(['1.1 a', '1.1 b']);
  });

  it('an empty tuple removes the field; an empty string sets an empty value', () => {
    const txn = new FakeTxn({
      headers: [
        ['A', '1'],
        ['B', '2'],
      ],
    });
    run(txn, 'ua-req-field', 'A', []);
    run(txn, 'ua-req-field', 'B', '');
    expect(txn.request.headers.has('a')).toBe(false);
    expect(txn.request.headers.getAll('b')).toEqual(['']);
  });

  it('integers and booleans are written as text', () => {
    const txn = new FakeTxn();
    run(txn, 'ua-req-field', 'X-N', 42);
    run(txn, 'ua-req-field', 'X-B', true);
    expect(txn.request.headers.get('x-n')).toBe('42');
    expect(txn.request.headers.get('x-b')).toBe('true');
  });

  it('a per-transaction value is evaluated each run (tuple or string)', () => {
    const txn = new FakeTxn();
    run(
      txn,
      'ua-req-field',
      'X-Dyn',
      dynamic(() => ['x', 'y']),
    );
    expect(txn.request.headers.getAll('x-dyn')).toEqual(['x', 'y']);
    run(
      txn,
      'ua-req-field',
      'X-Dyn',
      dynamic(() => null),
    );
    expect(txn.request.headers.has('x-dyn')).toBe(false);
  });

  it('append variants add after existing values; null adds nothing', () => {
    const txn = new FakeTxn({ hook: 'send-request', headers: [['Via', 'a']] });
    run(txn, 'proxy-req-field-append', 'Via', 'b');
    run(txn, 'proxy-req-field-append', 'Via', ['c', 'd']);
    run(txn, 'proxy-req-field-append', 'Via', null);
    expect(txn.request.headers.getAll('via')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('proxy-req-field edits the same request view at post-remap and send-request', () => {
    const txn = new FakeTxn({ hook: 'post-remap' });
    run(txn, 'proxy-req-field', 'Accept-Encoding', 'identity');
    expect(txn.request.headers.get('accept-encoding')).toBe('identity');
  });

  it('upstream-rsp-field and proxy-rsp-field edit the response view', () => {
    const txn = new FakeTxn({ hook: 'read-response', response: { status: 200, headers: [['Server', 'x']] } });
    run(txn, 'upstream-rsp-field', 'Server', null);
    run(txn, 'upstream-rsp-field-append', 'Vary', 'Cookie');
    txn.hook = 'send-response';
    run(txn, 'proxy-rsp-field', 'Best-Band', 'Delain');
    expect(txn.response!.headers.entries()).toEqual([
      ['Vary', 'Cookie'],
      ['Best-Band', 'Delain'],
    ]);
  });

  it('refuses framing fields at load time, whatever their case', () => {
    expect(compileError('ua-req-field', 'Content-Length', '1')).toMatch(/framing/);
    expect(compileError('proxy-rsp-field', 'transfer-encoding', null, { hook: 'send-response' })).toMatch(
      /framing/,
    );
    expect(compileError('ua-req-field-append', 'TRANSFER-ENCODING', 'chunked')).toMatch(/framing/);
  });

  it('refuses Host on the request, pointing to the host directives', () => {
    expect(compileError('ua-req-field', 'Host', 'x')).toMatch(/use ua-req-host/);
    expect(compileError('proxy-req-field-append', 'host', 'x', { hook: 'send-request' })).toMatch(
      /use proxy-req-host/,
    );
  });

  it('refuses a bad field name, a missing name and a line break in a literal value', () => {
    expect(compileError('ua-req-field', 'Bad Name', 'x')).toMatch(/not a valid header field name/);
    expect(compileError('ua-req-field', undefined, 'x')).toMatch(/needs a field name/);
    expect(compileError('ua-req-field', 'X', 'a\r\nInjected: 1')).toMatch(/line break/);
  });

  it('a line break from a per-transaction value is refused by the view at run time', () => {
    const txn = new FakeTxn();
    expect(() => {
      run(
        txn,
        'ua-req-field',
        'X',
        dynamic(() => 'a\nb'),
      );
    }).toThrow(/line break/);
  });

  it('declares the hooks of its message', () => {
    expect(compileError('ua-req-field', 'X', 'y', { hook: 'read-response' })).toMatch(
      /not valid at read-response/,
    );
    expect(compileError('proxy-req-field', 'X', 'y', { hook: 'read-request' })).toMatch(/not valid/);
    expect(compileError('upstream-rsp-field', 'X', 'y', { hook: 'send-response' })).toMatch(/not valid/);
    expect(compileError('proxy-rsp-field', 'X', 'y', { hook: 'read-response' })).toMatch(/not valid/);
  });
});
