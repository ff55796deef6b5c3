import { describe, expect, test } from 'vitest';
import type { HostMatch, RouteConfig } from '../config/index.ts';
import { RouteTable, type RouteRequest } from './route-table.ts';

function pattern(text: string): HostMatch {
  return text.startsWith('*.') ? { kind: 'wildcard', suffix: text.slice(1) } : { kind: 'exact', host: text };
}

function route(name: string, sni: readonly string[], hosts: readonly string[] = []): RouteConfig {
  return {
    name,
    cluster: name,
    maxBodyBytes: undefined,
    match: { hosts: hosts.map(pattern), path: undefined, methods: [], headers: [], sni: sni.map(pattern) },
    strategy: undefined,
    plugins: [],
    upgrade: true,
  };
}

function request(host: string, sni: string | undefined): RouteRequest {
  return { host, path: '/', method: 'GET', header: () => undefined, ...(sni === undefined ? {} : { sni }) };
}

describe('routes matching on SNI', () => {
  const table = new RouteTable([
    route('any-tls-b', ['*.b.example']),
    route('exact-sni', ['a.example', 'c.example']),
    route('host-and-sni', ['a.example'], ['api.example']),
    route('fallback', []),
  ]);
  const chosen = (host: string, sni: string | undefined): string | undefined =>
    table.match(request(host, sni))?.name;

  test('exact and wildcard names (one or more labels, as hosts), never on plain connections', () => {
    expect(chosen('whatever', 'a.example')).toBe('exact-sni');
    expect(chosen('whatever', 'c.example')).toBe('exact-sni');
    expect(chosen('whatever', 'x.b.example')).toBe('any-tls-b');
    expect(chosen('whatever', 'y.x.b.example')).toBe('any-tls-b');
    expect(chosen('whatever', 'b.example')).toBe('fallback');
    expect(chosen('whatever', '')).toBe('fallback');
    expect(chosen('whatever', undefined)).toBe('fallback');
  });

  test('an SNI condition counts as one more condition within a host bucket', () => {
    expect(chosen('api.example', 'a.example')).toBe('host-and-sni');
    expect(chosen('api.example', 'x.b.example')).toBe('any-tls-b');
    expect(chosen('api.example', undefined)).toBe('fallback');
  });

  test('between two any-host routes, the one with an SNI condition wins when it holds', () => {
    const ordered = new RouteTable([route('plain', []), route('tls-only', ['a.example'])]);
    expect(ordered.match(request('h', 'a.example'))?.name).toBe('tls-only');
    expect(ordered.match(request('h', 'z.example'))?.name).toBe('plain');
  });
});
