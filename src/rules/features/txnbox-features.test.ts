/**
 * The TxnBox behaviour of features: paths, repeated fields, query values, random's range, durations
 * and tuples as text, as-bool, lists as tuples, and the modifiers filter, as-text-block, rxp-replace,
 * query-sort, query-filter and ip-space. Property tests for the small parsers (durations written and
 * read back, PCRE classes).
 */
import { fc, test as propertyTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { compileComparison } from '../comparisons/index.ts';
import { Duration, IpAddress, type CompileEnv, type CompiledComparison, type Feature } from '../types.ts';
import { parseDuration } from './duration.ts';
import { durationText, featureToString } from './feature.ts';
import { pcreSource } from './pcre.ts';
import { FakeResources, TestEnv, evaluate, type FakeOptions } from './test-context.test-suite.ts';

/** A TestEnv that compiles comparisons too (filter and query-filter take them). */
class FullEnv extends TestEnv {
  override at(key: string | number): FullEnv {
    return new FullEnv(this.hook, this.resources, [...this.path, key], this.disposers);
  }
  override comparison(node: unknown): CompiledComparison {
    return compileComparison(node, this);
  }
}

const run = (node: unknown, options: FakeOptions = {}, env: CompileEnv = new FullEnv()): Feature =>
  evaluate(node, options, env);

describe('extractors, as TxnBox reads them', () => {
  test('paths have no leading slash', () => {
    expect(run('{ua-req-path}', { request: { path: '/pix/charlotte' } })).toBe('pix/charlotte');
    expect(run('{ua-req-path}', { request: { path: '/' } })).toBe('');
  });

  test('a repeated field is a tuple, one element per field; as text, joined with ", "', () => {
    const request = { headers: ['X-Tag', 'a', 'x-tag', 'b', 'X-One', 'only'] };
    expect(run('{ua-req-field<X-Tag>}', { request })).toEqual(['a', 'b']);
    expect(run('{ua-req-field<X-One>}', { request })).toBe('only');
    expect(run('tags: {ua-req-field<X-Tag>}', { request })).toBe('tags: a, b');
  });

  test('query values: the name ignoring case, & and ; both separate', () => {
    const request = { query: '?parmA=bob;ParmB=dave&x=1' };
    expect(run('{ua-req-query-value<parmb>}', { request })).toBe('dave');
    expect(run('{ua-req-query-value<PARMA>}', { request })).toBe('bob');
    expect(run('{ua-req-query-value<nope>}', { request })).toBeNull();
  });

  test('random<N> is 0 to N and random<a,b> a to b, both ends included', () => {
    const seen = new Set<Feature>();
    for (let i = 0; i < 400; i++) seen.add(run('{random<2>}'));
    expect([...seen].sort()).toEqual([0, 1, 2]);
    for (let i = 0; i < 100; i++) expect(run('{random<5,6>}')).toBeGreaterThanOrEqual(5);
  });

  test('duration extractors and durations as text', () => {
    expect(run('{minutes<90>}')).toEqual(new Duration(5_400_000));
    expect(run('t={minutes<90>}')).toBe('t=1 h 30 m');
    expect(featureToString(new Duration(1500))).toBe('1 s 500 ms');
    expect(featureToString(new Duration(0))).toBe('');
  });

  test('the protocol stack, is-internal, ts-uuid', () => {
    const tls = { session: { scheme: 'https' } };
    expect(run('{inbound-protocol-stack}', tls)).toEqual(['ipv4', 'tcp', 'tls', 'http/1.1']);
    expect(run('{has-inbound-protocol-prefix<tls>}', tls)).toBe(true);
    expect(run('{has-inbound-protocol-prefix<tls>}')).toBe(false);
    expect(run('{inbound-protocol<http>}')).toBe('http/1.1');
    expect(run('{is-internal}')).toBe(false);
    expect(run('{ts-uuid}')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a list without modifiers is a tuple; [x] is x; [] is null', () => {
    expect(run(['{ua-req-method}', '{ua-req-path}'], { request: { path: '/a' } })).toEqual(['GET', 'a']);
    expect(run(['{ua-req-method}'])).toBe('GET');
    expect(run([])).toBeNull();
  });
});

describe('as-bool, as TxnBox', () => {
  test.each<[Feature, boolean]>([
    ['true', true],
    ['Yes', true],
    ['enable', true],
    ['Y', true],
    ['1', true],
    ['0', false],
    ['no', false],
    ['banana', false],
    ['', false],
    [0, false],
    [7, true],
    [null, false],
    [[], false],
    [['a'], true],
    [new Duration(0), false],
    [new Duration(5), true],
    [new IpAddress(4, new Uint8Array([10, 0, 0, 1]), '10.0.0.1'), true],
  ])('%j → %j', (value, expected) => {
    expect(run(['{var<v>}', { 'as-bool': null }], { vars: { v: value } })).toBe(expected);
  });
});

describe('filter', () => {
  test('drops, passes and replaces elements; no case matching drops', () => {
    const request = {
      headers: ['Set-Cookie', 'a=1; domain=127.0.0.1', 'Set-Cookie', 'b=2', 'Set-Cookie', 'c=3'],
    };
    const node = [
      '{ua-req-field<Set-Cookie>}',
      {
        filter: [
          { contains: '127.0.0.1', drop: null },
          { match: 'b=2', replace: 'B<{...}>' },
          { prefix: 'z' },
        ],
      },
    ];
    expect(run(node, { request })).toEqual(['B<b=2>']);
  });

  test('a single value is a list of one: kept, replaced, or null', () => {
    expect(run(['{ua-req-host}', { filter: [{ match: 'example.com', replace: 'enforce' }] }])).toBe(
      'enforce',
    );
    expect(run(['{ua-req-host}', { filter: [{ 'is-null': null, pass: null }] }])).toBeNull();
  });
});

describe('rxp-replace', () => {
  test('the first match, or every match with <g>; groups in the replacement', () => {
    const request = { headers: ['Bands', 'Nightwish,Delain Nightwish,Epica'] };
    expect(run(['{ua-req-field<Bands>}', { 'rxp-replace': ['Nightwish', 'Delain'] }], { request })).toBe(
      'Delain,Delain Nightwish,Epica',
    );
    expect(run(['{ua-req-field<Bands>}', { 'rxp-replace<g>': ['Nightwish', 'X'] }], { request })).toBe(
      'X,Delain X,Epica',
    );
    expect(
      run(['{ua-req-field<Bands>}', { 'rxp-replace': ['([[:alnum:]]+),([[:alnum:]]+)', '{2};{1}'] }], {
        request,
      }),
    ).toBe('Delain;Nightwish Nightwish,Epica');
  });
});

describe('query-sort and query-filter', () => {
  test('query-sort sorts by name (<nc>, <rev>)', () => {
    const request = { query: '?b=1&A=2&c=3' };
    expect(run(['{ua-req-query}', { 'query-sort': null }], { request })).toBe('A=2&b=1&c=3');
    expect(run(['{ua-req-query}', { 'query-sort<nc,rev>': null }], { request })).toBe('c=3&b=1&A=2');
  });

  test('query-filter drops, replaces with {name}/{value}, appends, and stops', () => {
    const request = { query: '?email=a%40base.ex&x-email=b&keep=1&rest=2' };
    const node = [
      '{ua-req-query}',
      {
        'query-filter': [
          { match: 'email', option: { value: { suffix: '%40base.ex' } }, drop: null },
          { match: 'x-email', replace: { name: 'email', value: '{value}!' } },
          { match: 'keep', option: { append: ['added', 'yes'], 'pass-rest': null } },
        ],
      },
    ];
    expect(run(node, { request })).toBe('email=b!&keep=1&added=yes&rest=2');
  });
});

describe('as-text-block and ip-space', () => {
  const resources = new FakeResources();
  resources.defineTextBlock('motd', () => 'hello');
  resources.defineIpSpace('acl', {
    columnNames: ['access'],
    lookup: (address: IpAddress) => (address.bytes[0] === 10 ? ['allow'] : ['deny']),
  } as never);
  const env = new FullEnv('read-request', resources);

  test('as-text-block: the block named by the feature, or the fallback', () => {
    const request = { headers: ['Block', 'motd'] };
    expect(run(['{ua-req-field<Block>}', { 'as-text-block': 'none' }], { request }, env)).toBe('hello');
    expect(run(['{ua-req-field<Other>}', { 'as-text-block': 'none' }], {}, env)).toBe('none');
  });

  test('ip-space<name>: the expression over the row, ip-col by name or number', () => {
    const request = { headers: ['addr', '10.1.2.3'] };
    expect(run(['{ua-req-field<addr>}', { 'ip-space<acl>': '{ip-col<access>}' }], { request }, env)).toBe(
      'allow',
    );
    expect(run(['{inbound-addr-remote}', { 'ip-space<acl>': '{ip-col<1>}' }], {}, env)).toBe('deny');
    expect(run(['{ua-req-field<addr>}', { 'ip-space<acl>': '{ip-col<0>}' }], { request }, env)).toEqual(
      expect.objectContaining({ text: '10.1.2.3' }),
    );
  });
});

describe('parsers', () => {
  propertyTest.prop([fc.integer({ min: 0, max: 2 ** 40 })])('a duration written as text reads back', (ms) => {
    const text = durationText(ms);
    expect(text === '' ? 0 : parseDuration(text)).toBe(ms);
  });

  propertyTest.prop([fc.string()])('pcreSource leaves patterns without POSIX classes alone', (pattern) => {
    fc.pre(!pattern.includes('[:'));
    expect(pcreSource(pattern)).toBe(pattern);
  });

  test('POSIX classes inside brackets are spelled out', () => {
    expect(new RegExp(pcreSource('^[[:alnum:]]+$')).test('abc123')).toBe(true);
    expect(new RegExp(pcreSource('^[[:digit:]]+$')).test('12a')).toBe(false);
  });
});

describe("the upstream connection's protocol (outbound-protocol*, proxy-req-scheme)", () => {
  class UpstreamEnv extends TestEnv {
    readonly upstreamScheme = (cluster: string): 'http' | 'https' =>
      cluster === 'secure' ? 'https' : 'http';
  }
  const env = new UpstreamEnv('send-request');
  const at = (cluster: string, upstream: string | undefined) => ({
    hook: 'send-request' as const,
    cluster,
    ...(upstream === undefined ? {} : { upstream }),
  });

  test('the stack is the address family, tcp, tls for an https backend, http/1.1', () => {
    expect(run('{outbound-protocol-stack}', at('plain', '10.0.0.1:80'), env)).toEqual([
      'ipv4',
      'tcp',
      'http/1.1',
    ]);
    expect(run('{outbound-protocol-stack}', at('secure', '[::1]:443'), env)).toEqual([
      'ipv6',
      'tcp',
      'tls',
      'http/1.1',
    ]);
    expect(run('{outbound-protocol<tls>}', at('secure', '10.0.0.2:443'), env)).toBe('tls');
    expect(run('{has-outbound-protocol-prefix<tls>}', at('plain', '10.0.0.1:80'), env)).toBe(false);
    expect(run('{outbound-protocol-stack}', at('plain', undefined), env)).toBeNull();
    expect(run('{proxy-req-scheme}', at('secure', '10.0.0.2:443'), env)).toBe('https');
  });
});
