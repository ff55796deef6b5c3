import { describe, expect, it } from 'vitest';
import { compile, compileError, dynamic, FakeTxn, ruleContext, run, StubEnv } from './fake-txn.test-suite.ts';
import { encodePath, encodeQuery, parseHostPort, parseUrlTarget, withQueryValue } from './url.ts';

describe('URL directives', () => {
  it('ua-req-url with an absolute URL sets host, port, path and query', () => {
    const txn = new FakeTxn({ path: '/old', query: '?q=1' });
    run(txn, 'ua-req-url', undefined, 'http://Stage.Example:8080/v2/a b?x=1#frag');
    expect(txn.requestHead).toMatchObject({
      host: 'stage.example',
      port: '8080',
      path: '/v2/a%20b',
      query: '?x=1',
    });
    expect(txn.request.headers.get('host')).toBe('stage.example:8080');
  });

  it('ua-req-url with a path keeps the host and drops the old query', () => {
    const txn = new FakeTxn({ host: 'a.example', path: '/old', query: '?q=1' });
    run(txn, 'ua-req-url', undefined, '/new/./x/../y');
    expect(txn.requestHead).toMatchObject({ host: 'a.example', path: '/new/y', query: '' });
  });

  it('ua-req-url refuses other schemes, user info and non-URLs at load time', () => {
    expect(compileError('ua-req-url', undefined, 'ftp://x/y')).toMatch(/scheme must be http or https/);
    expect(compileError('ua-req-url', undefined, 'http://u:p@x/')).toMatch(/user information/);
    expect(compileError('ua-req-url', undefined, 'not a url')).toMatch(/not a URL/);
    expect(compileError('ua-req-url', undefined, '//x/y')).toMatch(/neither a path nor/);
    expect(compileError('ua-req-url', undefined, true)).toMatch(/URL or a path/);
  });

  it('a bad URL from a per-transaction value throws at run time, naming the directive', () => {
    const txn = new FakeTxn();
    expect(() => {
      run(
        txn,
        'ua-req-url',
        undefined,
        dynamic(() => 'gopher://x'),
      );
    }).toThrow(/ua-req-url: the URL scheme/);
  });

  it('ua-req-host keeps the port unless given; host:port and IPv6 forms', () => {
    const txn = new FakeTxn({ host: 'a.example', port: '8080' });
    run(txn, 'ua-req-host', undefined, 'B.Example');
    expect(txn.requestHead).toMatchObject({ host: 'b.example', port: '8080' });
    run(txn, 'ua-req-host', undefined, 'c.example:9000');
    expect(txn.requestHead).toMatchObject({ host: 'c.example', port: '9000' });
    run(txn, 'ua-req-host', undefined, '[2001:db8::1]:443');
    expect(txn.requestHead).toMatchObject({ host: '[2001:db8::1]', port: '443' });
    expect(txn.request.headers.get('host')).toBe('[2001:db8::1]:443');
  });

  it('ua-req-host refuses a malformed host at load time', () => {
    expect(compileError('ua-req-host', undefined, 'a b')).toMatch(/host/);
    expect(compileError('ua-req-host', undefined, 'x:99999')).toMatch(/host/);
    expect(compileError('ua-req-host', undefined, null)).toMatch(/host/);
  });

  it('ua-req-port sets the port and keeps the host', () => {
    const txn = new FakeTxn({ host: 'a.example' });
    run(txn, 'ua-req-port', undefined, 8443);
    expect(txn.requestHead).toMatchObject({ host: 'a.example', port: '8443' });
    expect(compileError('ua-req-port', undefined, 0)).toMatch(/1 to 65535/);
    expect(compileError('ua-req-port', undefined, true)).toMatch(/1 to 65535/);
  });

  it('ua-req-path adds the leading slash and encodes what a path cannot hold', () => {
    const txn = new FakeTxn({ query: '?keep=1' });
    run(txn, 'ua-req-path', undefined, 'v1/video/search');
    expect(txn.requestHead).toMatchObject({ path: '/v1/video/search', query: '?keep=1' });
    run(txn, 'ua-req-path', undefined, '/a b/ü?#%41%zz');
    expect(txn.requestHead.path).toBe('/a%20b/%C3%BC%3F%23%41%25zz');
  });

  it('ua-req-query sets or (with null or empty) removes the query', () => {
    const txn = new FakeTxn({ query: '?a=1' });
    run(txn, 'ua-req-query', undefined, 'b=2&c=x y');
    expect(txn.requestHead.query).toBe('?b=2&c=x%20y');
    run(txn, 'ua-req-query', undefined, '?d=4');
    expect(txn.requestHead.query).toBe('?d=4');
    run(txn, 'ua-req-query', undefined, null);
    expect(txn.requestHead.query).toBe('');
    run(txn, 'ua-req-query', undefined, 'e');
    run(txn, 'ua-req-query', undefined, '');
    expect(txn.requestHead).toMatchObject({ query: '', target: '/' });
  });

  it('ua-req-query-value sets, adds and removes one parameter with proper encoding', () => {
    const txn = new FakeTxn({ query: '?a=1&Key=old&b=2;key=dup' });
    run(txn, 'ua-req-query-value', 'key', 'new value&more');
    expect(txn.requestHead.query).toBe('?a=1&Key=new%20value%26more&b=2');
    run(txn, 'ua-req-query-value', 'ünï', 'x');
    expect(txn.requestHead.query).toBe('?a=1&Key=new%20value%26more&b=2&%C3%BCn%C3%AF=x');
    run(txn, 'ua-req-query-value', 'KEY', null);
    expect(txn.requestHead.query).toBe('?a=1&b=2&%C3%BCn%C3%AF=x');
    expect(compileError('ua-req-query-value', undefined, 'x')).toMatch(/parameter name/);
  });

  it('proxy-req-* edit the same request after routing', () => {
    const txn = new FakeTxn({ hook: 'send-request', path: '/a' });
    run(txn, 'proxy-req-path', undefined, '/b');
    run(txn, 'proxy-req-query-value', 'v', 1);
    run(txn, 'proxy-req-host', undefined, 'backend.internal');
    expect(txn.requestHead).toMatchObject({ path: '/b', query: '?v=1', host: 'backend.internal' });
    expect(compileError('proxy-req-path', undefined, '/x', { hook: 'pre-remap' })).toMatch(/not valid/);
    expect(compileError('ua-req-path', undefined, '/x', { hook: 'read-response' })).toMatch(/not valid/);
  });
});

describe('URL helpers', () => {
  it('encodePath keeps valid escapes and reserved characters', () => {
    expect(encodePath("/a:b@c!$&'()*+,;=-._~%2F")).toBe("/a:b@c!$&'()*+,;=-._~%2F");
    expect(encodePath('x')).toBe('/x');
    expect(encodePath('/\u{1F600}')).toBe('/%F0%9F%98%80');
  });

  it('encodeQuery keeps ? and / but encodes # and spaces', () => {
    expect(encodeQuery('?a=/x?y#z w')).toBe('?a=/x?y%23z%20w');
    expect(encodeQuery('?')).toBe('');
  });

  it('parseHostPort forms', () => {
    expect(parseHostPort('Example.COM.')).toEqual({ host: 'example.com', port: undefined });
    expect(parseHostPort('::1')).toEqual({ host: '[::1]', port: undefined });
    expect(parseHostPort('x:080')).toEqual({ host: 'x', port: '80' });
    expect(parseHostPort('x:')).toBeUndefined();
    expect(parseHostPort('[zz]')).toBeUndefined();
  });

  it('parseUrlTarget keeps the scheme, drops the default port and the fragment', () => {
    expect(parseUrlTarget('https://x.example:443/p?q#f')).toEqual({
      scheme: 'https',
      host: 'x.example',
      port: '',
      path: '/p',
      query: '?q',
    });
    expect(parseUrlTarget('/p')).toEqual({ path: '/p', query: '' });
  });

  it('an absolute URL sets the scheme the rules read; its backend speaking the other gets a 502', () => {
    const txn = new FakeTxn({ path: '/a' });
    const ctx = ruleContext(txn);
    const schemes = (): 'http' => 'http';
    compile('ua-req-url', undefined, 'https://x.example/b', new StubEnv({ upstreamScheme: schemes }))(ctx);
    expect(ctx.scheme).toBe('https');
    txn.cluster = 'plain';
    void txn.added[0]![1](txn);
    expect(txn.answer).toEqual({ status: 502 });
  });

  it('withQueryValue keeps separators and bare keys', () => {
    expect(withQueryValue('', 'a', '1')).toBe('?a=1');
    expect(withQueryValue('?flag;a=0', 'a', '1')).toBe('?flag;a=1');
    expect(withQueryValue('?a=0;b', 'a', undefined)).toBe('?b');
    expect(withQueryValue('?a', 'a', undefined)).toBe('');
    expect(withQueryValue('?x+y=1', 'x y', '2')).toBe('?x+y=2');
  });
});
