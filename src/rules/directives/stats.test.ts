import { describe, expect, it } from 'vitest';
import { createRuleResources } from './resources.ts';
import { compile, compileError, dynamic, FakeTxn, ruleContext, StubEnv } from './fake-txn.test-suite.ts';

describe('stats', () => {
  it('stat-define creates a counter (0 by default); stat-update adds 1 or its value', () => {
    const resources = createRuleResources();
    compile('stat-define', undefined, { name: 'hits' }, new StubEnv({ hook: 'post-load', resources }));
    compile(
      'stat-define',
      undefined,
      { name: 'bytes', value: 10 },
      new StubEnv({ hook: 'post-load', resources }),
    );
    const env = new StubEnv({ hook: 'read-request', resources });
    const ctx = ruleContext(new FakeTxn());
    compile('stat-update', 'hits', null, env)(ctx);
    compile('stat-update', 'hits', null, env)(ctx);
    compile('stat-update', 'bytes', -4, env)(ctx);
    compile(
      'stat-update',
      'bytes',
      dynamic(() => '100'),
      env,
    )(ctx);
    expect(resources.stats().map((s) => [s.name, s.value])).toEqual([
      ['hits', 2],
      ['bytes', 106],
    ]);
  });

  it('a name alone is a counter from 0', () => {
    const resources = createRuleResources();
    compile('stat-define', undefined, 'plain', new StubEnv({ hook: 'post-load', resources }));
    expect(resources.stat('plain')).toEqual({ name: 'plain', value: 0 });
  });

  it('a counter defined again by the next rule set keeps its value', () => {
    const first = createRuleResources();
    first.defineStat('hits', 0).value = 7;
    const second = createRuleResources({ previous: first });
    compile(
      'stat-define',
      undefined,
      { name: 'hits', value: 0 },
      new StubEnv({ hook: 'post-load', resources: second }),
    );
    expect(second.stat('hits')?.value).toBe(7);
    expect(second.stat('hits')).toBe(first.stat('hits'));
  });

  it('a non-integer increment from the transaction is logged and skipped', () => {
    const resources = createRuleResources();
    resources.defineStat('n', 0);
    const txn = new FakeTxn();
    compile(
      'stat-update',
      'n',
      dynamic(() => 'many'),
      new StubEnv({ resources }),
    )(ruleContext(txn));
    expect(resources.stat('n')?.value).toBe(0);
    expect(txn.logLines[0]).toMatchObject({ level: 40, rule: true });
  });

  it("reports a counter with a prefix as 'prefix.name', and rules still name it by name", () => {
    const resources = createRuleResources();
    const load = { hook: 'post-load', resources } as const;
    compile('stat-define', undefined, { name: 'hits', value: 100, prefix: 'plugin.test' }, new StubEnv(load));
    expect(resources.stats()).toEqual([{ name: 'plugin.test.hits', value: 100 }]);
    const txn = new FakeTxn();
    compile('stat-update', 'hits', 2, new StubEnv({ resources }))(ruleContext(txn));
    expect(resources.stat('hits')).toEqual({ name: 'plugin.test.hits', value: 102 });
    // Reloaded with another prefix: the value stays, the reported name follows the new config.
    const next = createRuleResources({ previous: resources });
    compile(
      'stat-define',
      undefined,
      { name: 'hits', prefix: 'other' },
      new StubEnv({ ...load, resources: next }),
    );
    expect(next.stat('hits')).toEqual({ name: 'other.hits', value: 102 });
  });

  it('refuses unknown stats, duplicates, bad values and wrong hooks', () => {
    const resources = createRuleResources();
    resources.defineStat('taken', 0);
    const load = { hook: 'post-load', resources } as const;
    expect(compileError('stat-update', 'nope', null, { resources })).toMatch(/no stat named 'nope'/);
    expect(compileError('stat-update', 'taken', '1.5', { resources })).toMatch(
      /increment must be an integer/,
    );
    expect(compileError('stat-update', 'taken', 'x', { resources })).toMatch(/integer/);
    expect(compileError('stat-update', 'taken', true, { resources })).toMatch(/integer/);
    expect(compileError('stat-define', undefined, { name: 'taken' }, load)).toMatch(/already defined/);
    expect(compileError('stat-define', undefined, { name: 'x', value: 'ten' }, load)).toMatch(/integer/);
    expect(compileError('stat-define', undefined, { name: 'x', prefix: 'a b' }, load)).toMatch(/stat prefix/);
    expect(compileError('stat-define', undefined, { name: 'x', prefix: 'p.' }, load)).toMatch(/stat prefix/);
    expect(compileError('stat-define', undefined, { name: 'a b' }, load)).toMatch(/stat name/);
    expect(compileError('stat-define', undefined, { name: 'x' }, { hook: 'read-request' })).toMatch(
      /not valid/,
    );
    expect(compileError('stat-update', 'taken', null, { hook: 'post-load', resources })).toMatch(/not valid/);
  });
});
