import { describe, expect, it } from 'vitest';
import { compileError, dynamic, FakeTxn, run } from './fake-txn.test-suite.ts';

describe('status directives', () => {
  it('proxy-rsp-status sets the status with the standard reason, or [status, reason]', () => {
    const txn = new FakeTxn({ hook: 'send-response', response: { status: 200 } });
    run(txn, 'proxy-rsp-status', undefined, 403);
    expect(txn.responseHead).toMatchObject({ status: 403, reason: 'Forbidden' });
    run(txn, 'proxy-rsp-status', undefined, [404, 'Desk too messy']);
    expect(txn.responseHead).toMatchObject({ status: 404, reason: 'Desk too messy' });
    run(txn, 'proxy-rsp-status', undefined, '410');
    expect(txn.responseHead).toMatchObject({ status: 410, reason: 'Gone' });
  });

  it('upstream-rsp-status works at read-response only', () => {
    const txn = new FakeTxn({ hook: 'read-response', response: { status: 500 } });
    run(txn, 'upstream-rsp-status', undefined, 503);
    expect(txn.responseHead!.status).toBe(503);
    expect(compileError('upstream-rsp-status', undefined, 503, { hook: 'send-response' })).toMatch(
      /not valid/,
    );
    expect(compileError('proxy-rsp-status', undefined, 503, { hook: 'read-response' })).toMatch(/not valid/);
  });

  it('refuses bad statuses at load time', () => {
    const opts = { hook: 'send-response' } as const;
    expect(compileError('proxy-rsp-status', undefined, 99, opts)).toMatch(/200 to 599/);
    expect(compileError('proxy-rsp-status', undefined, 600, opts)).toMatch(/200 to 599/);
    expect(compileError('proxy-rsp-status', undefined, 204, opts)).toMatch(/other than 204 and 304/);
    expect(compileError('proxy-rsp-status', undefined, 'teapot', opts)).toMatch(/got 'teapot'/);
    expect(compileError('proxy-rsp-status', undefined, true, opts)).toMatch(/status/);
    expect(compileError('proxy-rsp-status', undefined, [404, 'a', 'b'], opts)).toMatch(/\[status, reason\]/);
    expect(compileError('proxy-rsp-status', undefined, [404, 'a\nb'], opts)).toMatch(/line break/);
    expect(
      compileError(
        'proxy-rsp-status',
        undefined,
        dynamic(() => true, 'boolean'),
        opts,
      ),
    ).toMatch(/always a boolean/);
  });

  it('a per-transaction status may be a tuple; a bad one throws at run time', () => {
    const txn = new FakeTxn({ hook: 'send-response', response: { status: 200 } });
    run(
      txn,
      'proxy-rsp-status',
      undefined,
      dynamic(() => [451, 'Unavailable']),
    );
    expect(txn.responseHead).toMatchObject({ status: 451, reason: 'Unavailable' });
    expect(() => {
      run(
        txn,
        'proxy-rsp-status',
        undefined,
        dynamic(() => 'x'),
      );
    }).toThrow(/proxy-rsp-status: the status must be/);
  });

  it('proxy-rsp-reason changes the reason only, and leaves a 204 alone', () => {
    const txn = new FakeTxn({ hook: 'send-response', response: { status: 418 } });
    run(txn, 'proxy-rsp-reason', undefined, 'Short and stout');
    expect(txn.responseHead).toMatchObject({ status: 418, reason: 'Short and stout' });
    const bodiless = new FakeTxn({ hook: 'send-response', response: { status: 204, reason: 'No Content' } });
    run(bodiless, 'proxy-rsp-reason', undefined, 'Nothing');
    expect(bodiless.responseHead).toMatchObject({ status: 204, reason: 'No Content' });
  });
});
