import { describe, expect, it } from 'vitest';
import { TXN_HOOKS } from '../../hooks/index.ts';
import { compile, FakeTxn, ruleContext, StubEnv } from './fake-txn.test-suite.ts';
import { DIRECTIVES } from './index.ts';
import { createRuleResources } from './resources.ts';

/** A valid `[arg, value]` for each run-time directive. */
const SAMPLES: Readonly<Record<string, readonly [string | undefined, unknown]>> = {
  'ua-req-field': ['X-A', 'a'],
  'cache-key': [undefined, 'http://example.com/k'],
  'cache-lookup-status': [undefined, 'miss'],
  'ua-req-field-append': ['X-A', 'a'],
  'proxy-req-field': ['X-A', 'a'],
  'proxy-req-field-append': ['X-A', 'a'],
  'upstream-rsp-field': ['X-A', 'a'],
  'upstream-rsp-field-append': ['X-A', 'a'],
  'proxy-rsp-field': ['X-A', 'a'],
  'proxy-rsp-field-append': ['X-A', 'a'],
  'ua-req-url': [undefined, 'http://b.example/x?y'],
  'proxy-req-url': [undefined, '/x'],
  'ua-req-host': [undefined, 'b.example'],
  'ua-req-url-host': [undefined, 'c.example'],
  'proxy-req-url-host': [undefined, 'c.example'],
  'ua-req-loc': [undefined, 'd.example:8081'],
  'proxy-req-loc': [undefined, 'd.example:8081'],
  'ua-req-url-loc': [undefined, 'e.example'],
  'proxy-req-url-loc': [undefined, 'e.example'],
  'ua-req-url-port': [undefined, 8082],
  'proxy-req-url-port': [undefined, 8082],
  'txn-error': [undefined, false],
  'upstream-rsp-body': [undefined, 'replaced'],
  'proxy-rsp-body': [undefined, 'replaced'],
  'txn-conf': ['proxy.config.http.transaction_no_activity_timeout_out', 3],
  'txn-debug': [undefined, true],
  'ua-req-scheme': [undefined, 'https'],
  'remap-redirect': [undefined, null],
  'upstream-reason': [undefined, 'Fine'],
  'proxy-req-host': [undefined, 'b.example'],
  'ua-req-port': [undefined, 81],
  'proxy-req-port': [undefined, 81],
  'ua-req-path': [undefined, '/p'],
  'proxy-req-path': [undefined, '/p'],
  'ua-req-query': [undefined, 'a=1'],
  'proxy-req-query': [undefined, 'a=1'],
  'ua-req-query-value': ['a', '1'],
  'proxy-req-query-value': ['a', '1'],
  'proxy-rsp-status': [undefined, [404, 'Nope']],
  'upstream-rsp-status': [undefined, 502],
  'proxy-rsp-reason': [undefined, 'Fine'],
  'proxy-reply': [undefined, { status: 503, reason: 'Later', body: 'x' }],
  redirect: [undefined, { location: '/x', reason: 'Moved' }],
  deny: [undefined, null],
  route: [undefined, 'r'],
  cluster: [undefined, 'c'],
  strategy: [undefined, 's'],
  upstream: [undefined, 'u'],
  timeout: ['backend-body', '1s'],
  var: ['v', 1],
  debug: [undefined, 'm'],
  note: [undefined, 'm'],
  warning: [undefined, 'm'],
  error: [undefined, 'm'],
  'stat-update': ['n', 1],
};

describe('DIRECTIVES', () => {
  it('holds every directive under its own name', () => {
    for (const [name, spec] of DIRECTIVES) expect(spec.name).toBe(name);
    expect([...DIRECTIVES.keys()].sort()).toEqual(
      [
        'ua-req-field',
        'ua-req-field-append',
        'proxy-req-field',
        'proxy-req-field-append',
        'upstream-rsp-field',
        'upstream-rsp-field-append',
        'proxy-rsp-field',
        'proxy-rsp-field-append',
        'ua-req-url',
        'proxy-req-url',
        'ua-req-host',
        'proxy-req-host',
        'ua-req-port',
        'proxy-req-port',
        'ua-req-path',
        'proxy-req-path',
        'ua-req-query',
        'proxy-req-query',
        'ua-req-query-value',
        'proxy-req-query-value',
        'proxy-rsp-status',
        'upstream-rsp-status',
        'proxy-rsp-reason',
        'proxy-reply',
        'redirect',
        'deny',
        'route',
        'cluster',
        'strategy',
        'upstream',
        'timeout',
        'var',
        'debug',
        'note',
        'warning',
        'error',
        'stat-define',
        'stat-update',
        'ip-space-define',
        'text-block-define',
        'ua-req-url-host',
        'proxy-req-url-host',
        'ua-req-url-port',
        'proxy-req-url-port',
        'ua-req-loc',
        'proxy-req-loc',
        'ua-req-url-loc',
        'proxy-req-url-loc',
        'txn-error',
        'upstream-rsp-body',
        'proxy-rsp-body',
        'txn-conf',
        'txn-debug',
        'ua-req-scheme',
        'remap-redirect',
        'upstream-reason',
        'cache-key',
        'cache-lookup-status',
      ].sort(),
    );
  });

  it('declares hooks for every directive: load-time ones at post-load only, logging also there', () => {
    const loadTime = new Set(['stat-define', 'ip-space-define', 'text-block-define']);
    const logging = new Set(['debug', 'note', 'warning', 'error']);
    for (const [name, spec] of DIRECTIVES) {
      expect(spec.hooks, name).toBeDefined();
      if (loadTime.has(name)) expect([...spec.hooks!], name).toEqual(['post-load']);
      else expect(spec.hooks!.has('post-load'), name).toBe(logging.has(name));
    }
  });

  it('lists hooks in transaction order (a contiguous span for each directive)', () => {
    for (const [name, spec] of DIRECTIVES) {
      const hooks = [...spec.hooks!].filter((h) => h !== 'post-load');
      if (hooks.length === 0) continue;
      const first = TXN_HOOKS.indexOf(hooks[0]!);
      expect(hooks, name).toEqual(TXN_HOOKS.slice(first, first + hooks.length));
    }
  });

  it('every run-time directive runs at every hook it declares, within the TxnContext limits', () => {
    const resources = createRuleResources();
    resources.defineStat('n', 0);
    for (const [name, spec] of DIRECTIVES) {
      if (spec.hooks!.has('post-load')) continue;
      const sample = SAMPLES[name];
      expect(sample, name).toBeDefined();
      for (const hook of spec.hooks!) {
        if (hook === 'post-load') continue;
        const txn = new FakeTxn({ hook });
        if (hook === 'read-response' || hook === 'send-response' || hook === 'txn-close')
          txn.setResponse({ status: 200 });
        const directive = compile(name, sample![0], sample![1], new StubEnv({ hook, resources }));
        expect(() => {
          directive(ruleContext(txn));
        }, `${name} at ${hook}`).not.toThrow();
      }
    }
  });
});
