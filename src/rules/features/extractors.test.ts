import { afterEach, describe, expect, test, vi } from 'vitest';
import { TXN_HOOKS, type TxnHookName } from '../../hooks/index.ts';
import { Duration, IpAddress, type Feature } from '../types.ts';
import { EXTRACTORS, cookieValue, queryValue } from './extractors.ts';
import { parseIpAddress } from './ip-address.ts';
import { compileExpression } from './compile-expression.ts';
import {
  FakeResources,
  TestEnv,
  compileError,
  evaluate,
  fakeContext,
  type FakeOptions,
} from './test-context.test-suite.ts';

const REQUEST: FakeOptions = {
  request: {
    method: 'POST',
    host: 'shop.example',
    port: '8443',
    path: '/cart/items',
    query: '?id=42&q=a+b%20c&flag&empty=&id=43&bad=%zz',
    headers: [
      'Host',
      'shop.example:8443',
      'X-User',
      'ada',
      'Accept',
      'text/html',
      'accept',
      'application/json',
      'X-Empty',
      '',
      'Cookie',
      'theme=dark; session="abc=1"',
      'Cookie',
      'lang=en;theme=light',
    ],
  },
  session: { scheme: 'https' },
};

/** Evaluates one extractor expression at a hook where it is valid. */
function extract(
  expression: string,
  options: FakeOptions = REQUEST,
  hook: TxnHookName = 'send-response',
): Feature {
  return evaluate(expression, { ...options, hook });
}

describe('client request extractors (ua-req-*)', () => {
  test.each<[string, Feature]>([
    ['{ua-req-method}', 'POST'],
    ['{ua-req-scheme}', 'https'],
    ['{ua-req-host}', 'shop.example'],
    ['{ua-req-port}', 8443],
    ['{ua-req-loc}', 'shop.example:8443'],
    ['{ua-req-path}', 'cart/items'],
    ['{ua-req-query}', 'id=42&q=a+b%20c&flag&empty=&id=43&bad=%zz'],
    ['{ua-req-url}', 'https://shop.example:8443/cart/items?id=42&q=a+b%20c&flag&empty=&id=43&bad=%zz'],
    ['{ua-req-query-value<id>}', '42'],
    ['{ua-req-query-value<q>}', 'a b c'],
    ['{ua-req-query-value<flag>}', ''],
    ['{ua-req-query-value<empty>}', ''],
    ['{ua-req-query-value<bad>}', '%zz'],
    ['{ua-req-query-value<missing>}', null],
    ['{ua-req-field<x-user>}', 'ada'],
    ['{ua-req-field<ACCEPT>}', ['text/html', 'application/json']],
    ['{ua-req-field<X-Empty>}', ''],
    ['{ua-req-field<X-Missing>}', null],
    ['{ua-req-cookie<theme>}', 'dark'],
    ['{ua-req-cookie<session>}', '"abc=1"'],
    ['{ua-req-cookie<lang>}', 'en'],
    ['{ua-req-cookie<none>}', null],
  ])('%s → %j', (expression, value) => {
    expect(extract(expression)).toEqual(value);
  });

  test('the port defaults by scheme; the URL leaves a default port out', () => {
    const plain: FakeOptions = { request: { host: 'a.example', path: '/x' }, session: { scheme: 'http' } };
    expect(extract('{ua-req-port}', plain)).toBe(80);
    expect(extract('{ua-req-port}', { ...plain, session: { scheme: 'https' } })).toBe(443);
    expect(extract('{ua-req-url}', plain)).toBe('http://a.example/x');
    expect(extract('{ua-req-query}', plain)).toBe('');
  });

  test('an IPv6 host is bracketed in the location and URL', () => {
    const v6: FakeOptions = { request: { host: '::1', port: '8080', path: '/' } };
    expect(extract('{ua-req-loc}', v6)).toBe('[::1]:8080');
    expect(extract('{ua-req-url}', v6)).toBe('http://[::1]:8080/');
  });

  test('the extractors read the request as rewritten so far', () => {
    const ctx = fakeContext({ request: { path: '/old' } });
    const path = compileExpression('{ua-req-path}', new TestEnv());
    ctx.txn.request.setPath('/new');
    expect(path.evaluate(ctx)).toBe('new');
  });

  test('queryValue and cookieValue directly', () => {
    expect(queryValue('', 'a')).toBeNull();
    expect(queryValue('?a', 'a')).toBe('');
    expect(queryValue('a%5Bb%5D=1', 'a[b]')).toBe('1');
    expect(queryValue('x=1&&a=2', 'a')).toBe('2');
    expect(cookieValue([], 'a')).toBeNull();
    expect(cookieValue(['a'], 'a')).toBeNull();
    expect(cookieValue([' a = 1 '], 'a')).toBe('1');
  });
});

describe('proxy request extractors (proxy-req-*)', () => {
  test.each<[string, Feature]>([
    ['{proxy-req-method}', 'POST'],
    ['{proxy-req-host}', 'shop.example'],
    ['{proxy-req-port}', 8443],
    ['{proxy-req-loc}', 'shop.example:8443'],
    ['{proxy-req-path}', 'cart/items'],
    ['{proxy-req-query}', 'id=42&q=a+b%20c&flag&empty=&id=43&bad=%zz'],
    ['{proxy-req-url}', 'https://shop.example:8443/cart/items?id=42&q=a+b%20c&flag&empty=&id=43&bad=%zz'],
    ['{proxy-req-field<X-User>}', 'ada'],
    ['{proxy-req-field<X-Missing>}', null],
  ])('%s → %j', (expression, value) => {
    expect(extract(expression, REQUEST, 'send-request')).toEqual(value);
  });
});

describe('response extractors', () => {
  const RESPONSE: FakeOptions = {
    response: {
      status: 503,
      reason: 'Service Unavailable',
      headers: ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'],
    },
  };

  test.each<[string, Feature]>([
    ['{upstream-rsp-status}', 503],
    ['{upstream-rsp-reason}', 'Service Unavailable'],
    ['{upstream-rsp-field<set-cookie>}', ['a=1', 'b=2']],
    ['{upstream-rsp-field<x-none>}', null],
    ['{proxy-rsp-status}', 503],
    ['{proxy-rsp-reason}', 'Service Unavailable'],
    ['{proxy-rsp-field<Set-Cookie>}', ['a=1', 'b=2']],
  ])('%s → %j', (expression, value) => {
    expect(extract(expression, RESPONSE, 'send-response')).toEqual(value);
  });

  test('without a response (a transaction that ended early), null', () => {
    for (const name of ['upstream-rsp-status', 'proxy-rsp-reason', 'proxy-rsp-field<x>']) {
      expect(extract(`{${name}}`, {}, 'txn-close')).toBeNull();
    }
  });
});

describe('session extractors (inbound-*)', () => {
  test.each<[string, Feature]>([
    ['{inbound-addr-remote}', parseIpAddress('192.0.2.7')!],
    ['{inbound-port-remote}', 51234],
    ['{inbound-addr-local}', parseIpAddress('198.51.100.1')!],
    ['{inbound-port-local}', 8080],
    ['{inbound-sni}', ''],
    ['{inbound-protocol}', 'http/1.1'],
    ['{inbound-txn-count}', 3],
  ])('%s → %s', (expression, value) => {
    expect(extract(expression, {})).toEqual(value);
  });

  test('an IPv4-mapped client address is the IPv4 address; one that is no address is null', () => {
    const mapped = extract('{inbound-addr-remote}', { session: { clientAddress: '::ffff:10.1.2.3' } });
    expect(mapped).toBeInstanceOf(IpAddress);
    expect(String(mapped)).toBe('10.1.2.3');
    expect(extract('{inbound-addr-remote}', { session: { clientAddress: '' } })).toBeNull();
  });

  test('the address follows the session across transactions (the parse is only cached per text)', () => {
    const compiled = compileExpression('{inbound-addr-remote}', new TestEnv());
    const first = compiled.evaluate(fakeContext({ session: { clientAddress: '10.0.0.1' } }));
    const again = compiled.evaluate(fakeContext({ session: { clientAddress: '10.0.0.1' } }));
    const other = compiled.evaluate(fakeContext({ session: { clientAddress: '2001:db8::2' } }));
    expect(String(first)).toBe('10.0.0.1');
    expect(again).toBe(first);
    expect(String(other)).toBe('2001:db8::2');
  });

  test('SNI and the TLS scheme', () => {
    expect(extract('{inbound-sni}', { session: { sni: 'api.example', scheme: 'https' } })).toBe(
      'api.example',
    );
  });
});

describe('transaction extractors', () => {
  const TXN: FakeOptions = {
    vars: { user: 'ada', n: 5, list: ['a', 'b'], gone: undefined },
    route: 'shop',
    cluster: 'shop-backends',
    upstream: '10.0.0.5:8080',
    elapsedMs: 12.7,
  };

  test.each<[string, Feature]>([
    ['{var<user>}', 'ada'],
    ['{var<n>}', 5],
    ['{var<list>}', ['a', 'b']],
    ['{var<gone>}', null],
    ['{var<missing>}', null],
    ['{route}', 'shop'],
    ['{cluster}', 'shop-backends'],
    ['{upstream}', '10.0.0.5:8080'],
    ['{txn-elapsed}', new Duration(12)],
  ])('%s → %j', (expression, value) => {
    expect(extract(expression, TXN)).toEqual(value);
  });

  test('route, cluster and upstream are null before they are chosen', () => {
    for (const name of ['route', 'cluster', 'upstream'])
      expect(extract(`{${name}}`, {}, 'read-request')).toBeNull();
  });
});

describe('utility extractors', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('random: 0..99 by default, random<N> 0..N, random<min-max> and random<min,max> inclusive', () => {
    const random = vi.spyOn(Math, 'random');
    const at = (expression: string, r: number) => {
      random.mockReturnValue(r);
      return extract(expression, {});
    };
    expect([at('{random}', 0), at('{random}', 0.999999)]).toEqual([0, 99]);
    expect([at('{random<10>}', 0), at('{random<10>}', 0.999999)]).toEqual([0, 10]);
    expect([at('{random<5-7>}', 0), at('{random<5-7>}', 0.5), at('{random<5-7>}', 0.999999)]).toEqual([
      5, 6, 7,
    ]);
    expect([at('{random<1,100>}', 0), at('{random<1,100>}', 0.999999)]).toEqual([1, 100]);
  });

  test('random draws anew each time', () => {
    const compiled = compileExpression('{random<1000000>}', new TestEnv());
    const ctx = fakeContext();
    const draws = new Set(Array.from({ length: 20 }, () => compiled.evaluate(ctx)));
    expect(draws.size).toBeGreaterThan(1);
    expect(compiled.constant).toBeUndefined();
  });

  test('now in seconds, now<ms> in milliseconds, from the context clock', () => {
    expect(extract('{now}', { nowMs: 1_700_000_000_999 })).toBe(1_700_000_000);
    expect(extract('{now<s>}', { nowMs: 1_700_000_000_999 })).toBe(1_700_000_000);
    expect(extract('{now<ms>}', { nowMs: 1_700_000_000_999 })).toBe(1_700_000_000_999);
  });

  test('env<NAME> is read once, at load time; a missing variable is null', () => {
    vi.stubEnv('JUNCTION_FEATURE_TEST', 'blue');
    const compiled = compileExpression('{env<JUNCTION_FEATURE_TEST>}', new TestEnv());
    vi.stubEnv('JUNCTION_FEATURE_TEST', 'green');
    expect(compiled.constant).toBe('blue');
    expect(compiled.evaluate(fakeContext())).toBe('blue');
    expect(extract('{env<JUNCTION_FEATURE_TEST_UNSET>}', {})).toBeNull();
    vi.unstubAllEnvs();
  });

  test('duration<…> is a constant duration', () => {
    const compiled = compileExpression('{duration<1h 30m>}', new TestEnv());
    expect(compiled.constant).toEqual(new Duration(5_400_000));
    expect(compiled.type).toBe('duration');
  });

  test('capture groups and the with: feature', () => {
    const options: FakeOptions = { captures: ['mail.example.com', 'mail', 'example.com'], active: 7 };
    expect(extract('{0}', options)).toBe('mail.example.com');
    expect(extract('{2}', options)).toBe('example.com');
    expect(extract('{3}', options)).toBeNull();
    expect(extract('{...}', options)).toBe(7);
    expect(extract('from {2}!', options)).toBe('from example.com!');
  });
});

describe('resource extractors', () => {
  function resources(): FakeResources {
    const defined = new FakeResources();
    defined.defineIpSpace('geo', {
      lookup: (address) => (address.text.startsWith('192.0.2.') ? ['EU', 'paris'] : undefined),
    });
    defined.defineTextBlock('motd', () => 'hello');
    defined.defineStat('hits', 41);
    return defined;
  }

  const at = (
    expression: string,
    options: FakeOptions = {},
    hook: TxnHookName | 'post-load' = 'read-request',
  ) => compileExpression(expression, new TestEnv(hook, resources())).evaluate(fakeContext(options));

  test('ip-space<name,column> looks up the client address; no column: the whole row', () => {
    expect(at('{ip-space<geo,1>}')).toBe('EU');
    expect(at('{ip-space<geo, 2>}')).toBe('paris');
    expect(at('{ip-space<geo,3>}')).toBeNull();
    expect(at('{ip-space<geo>}')).toEqual(['EU', 'paris']);
    expect(at('{ip-space<geo,1>}', { session: { clientAddress: '10.0.0.1' } })).toBeNull();
  });

  test('text-block<name> and stat<name> read the current value', () => {
    const defined = resources();
    const env = new TestEnv('send-response', defined);
    const stat = compileExpression('{stat<hits>}', env);
    expect(compileExpression('{text-block<motd>}', env).evaluate(fakeContext())).toBe('hello');
    expect(stat.evaluate(fakeContext())).toBe(41);
    defined.stat('hits')!.value++;
    expect(stat.evaluate(fakeContext())).toBe(42);
  });

  test('an unknown resource is a load-time error, with a suggestion when there is one', () => {
    const env = new TestEnv('read-request', resources());
    expect(compileError('{ip-space<nope,1>}', env).message).toContain("no ip-space named 'nope' is defined");
    expect(compileError('{text-block<nope>}', env).message).toContain("no text-block named 'nope'");
    expect(compileError('{stat<hitz>}', env).message).toContain("did you mean 'hits'?");
  });

  test('at post-load, a resource defined later (by an earlier post-load directive) is found on first use', () => {
    const defined = new FakeResources();
    const env = new TestEnv('post-load', defined);
    const block = compileExpression('{text-block<later>}', env);
    const stat = compileExpression('{stat<later>}', env);
    expect(block.evaluate(fakeContext())).toBeNull();
    defined.defineTextBlock('later', () => 'now defined');
    defined.defineStat('later', 3);
    expect(block.evaluate(fakeContext())).toBe('now defined');
    expect(stat.evaluate(fakeContext())).toBe(3);
  });

  test('bad arguments', () => {
    const env = new TestEnv('read-request', resources());
    expect(compileError('{ip-space<geo,0>}', env).message).toContain('columns are numbered from 1');
    expect(compileError('{ip-space<geo,x>}', env).message).toBe(
      "ip-space 'geo' has no column named 'x' (its columns have no names: use a number from 1)",
    );
    expect(compileError('{ip-space<,1>}', env).message).toContain('write ip-space<name>');
    expect(compileError('{ip-space<geo,>}', env).message).toContain('write ip-space<name>');
    expect(compileError('{ip-space<a,1,2>}', env).message).toContain('write ip-space<name>');
    expect(compileError('{text-block< >}', env).message).toContain('text-block needs a name');
    expect(compileError('{stat<>}', env).message).toContain('stat needs a counter name');
  });

  test('columns by name, when the space names them', () => {
    const defined = new FakeResources();
    const space = {
      columnNames: ['region', undefined, 'city'],
      lookup: (address: IpAddress) => (address.family === 4 ? ['EU', 'x', 'paris'] : undefined),
    };
    defined.defineIpSpace('geo', space);
    const env = new TestEnv('read-request', defined);
    expect(compileExpression('{ip-space<geo,city>}', env).evaluate(fakeContext())).toBe('paris');
    expect(compileExpression('{ip-space<geo, region>}', env).evaluate(fakeContext())).toBe('EU');
    expect(compileError('{ip-space<geo,cty>}', env).message).toBe(
      "ip-space 'geo' has no column named 'cty'; did you mean 'city'? (columns: region, city)",
    );
  });
});

describe('arguments and hooks, checked at load time', () => {
  test.each([
    ['{ua-req-field}', 'ua-req-field needs an argument: {ua-req-field<field name>}'],
    ['{ua-req-host<x>}', 'ua-req-host takes no argument; write {ua-req-host}'],
    ['{ua-req-field<bad name>}', "'bad name' is not a header field name"],
    ['{upstream-rsp-field<a:b>}', "'a:b' is not a header field name"],
    ['{ua-req-cookie<a=b>}', "'a=b' is not a cookie name"],
    ['{ua-req-query-value<>}', 'ua-req-query-value needs a parameter name'],
    ['{var<>}', 'var needs a variable name'],
    ['{random<x>}', 'random<x>: write random<N>'],
    ['{random<9-3>}', 'is an empty or too large range'],
    ['{now<h>}', 'now<h>: write now'],
    ['{env<>}', 'env needs a variable name'],
    ['{duration<soon>}', 'duration<soon>: the argument must be a duration'],
    ['{1<x>}', 'a capture group takes no argument'],
    ['{...<x>}', '{...} takes no argument'],
  ])('%s: %s', (expression, message) => {
    expect(compileError(expression, new TestEnv('send-response')).message).toContain(message);
  });

  test('an extractor outside its hooks names the hooks where it is valid', () => {
    const error = compileError('{upstream-rsp-status}', new TestEnv('read-request'));
    expect(error.message).toBe(
      'upstream-rsp-status is not available at ua-req; it is valid at upstream-rsp, proxy-rsp, txn-close',
    );
    expect(compileError('{proxy-req-host}', new TestEnv('remap')).message).toContain(
      'valid at post-remap, select-alt, cache-rsp, cache-lookup, os-dns, proxy-req, upstream-rsp, proxy-rsp, txn-close',
    );
    expect(compileError('{proxy-rsp-field<x>}', new TestEnv('read-response')).message).toContain(
      'valid at proxy-rsp, txn-close',
    );
    expect(compileError('{ua-req-host}', new TestEnv('post-load')).message).toContain(
      'ua-req-host is not available at post-load',
    );
  });

  test('the declared hooks of each family', () => {
    const hooksOf = (name: string) => {
      const hooks = EXTRACTORS.get(name)!.hooks;
      return hooks === undefined ? 'any' : [...hooks];
    };
    expect(hooksOf('ua-req-host')).toEqual([...TXN_HOOKS]);
    expect(hooksOf('inbound-addr-remote')).toEqual([...TXN_HOOKS]);
    expect(hooksOf('proxy-req-url')).toEqual([
      'post-remap',
      'select-alternate',
      'read-cache-header',
      'cache-lookup-complete',
      'os-dns',
      'send-request',
      'read-response',
      'send-response',
      'txn-close',
    ]);
    expect(hooksOf('upstream-rsp-status')).toEqual(['read-response', 'send-response', 'txn-close']);
    expect(hooksOf('proxy-rsp-status')).toEqual(['send-response', 'txn-close']);
    expect(hooksOf('cache-lookup-status')).toEqual([
      'cache-lookup-complete',
      'os-dns',
      'send-request',
      'read-response',
      'send-response',
      'txn-close',
    ]);
    expect(hooksOf('cache-rsp-field')).toEqual([
      'read-cache-header',
      'cache-lookup-complete',
      'os-dns',
      'send-request',
      'read-response',
      'send-response',
      'txn-close',
    ]);
    for (const name of ['random', 'now', 'env', 'duration', 'text-block', 'stat'])
      expect(hooksOf(name)).toBe('any');
  });

  test('constant and utility extractors work at post-load', () => {
    vi.stubEnv('JUNCTION_FEATURE_TEST', 'x');
    expect(
      compileExpression('{env<JUNCTION_FEATURE_TEST>}-{duration<2s>}', new TestEnv('post-load')).constant,
    ).toBe('x-2 s');
    vi.unstubAllEnvs();
  });

  test('every extractor has a name, a type, an argument kind, and a description of its argument', () => {
    for (const [name, spec] of EXTRACTORS) {
      expect(spec.name).toBe(name);
      expect(spec.type).toBeTruthy();
      if (spec.arg !== 'none') expect(spec.argName, name).toBeTruthy();
    }
  });
});
