import { describe, expect, test } from 'vitest';
import type { Strategy } from '../types.ts';
import type { TestUpstream } from '../contract.test-suite.ts';
import {
  cookieFrom,
  describeStrategyContract,
  makeInput,
  seededEnv,
  upstreams,
} from '../contract.test-suite.ts';
import { stickyCookie, stickyId } from './sticky-cookie.ts';

describeStrategyContract({ name: 'sticky-cookie', plugin: stickyCookie, options: {} });
describeStrategyContract({
  name: 'sticky-cookie (least-connections fallback)',
  plugin: stickyCookie,
  options: { fallback: { kind: 'least-connections', ties: 'random' }, cookie: 'lb' },
});

function create(members: TestUpstream[], options: Record<string, unknown> = {}): Strategy {
  return stickyCookie.create(stickyCookie.parseOptions(options), members, seededEnv());
}
const withCookie = (value: string) =>
  makeInput({ headers: { cookie: `theme=dark; JUNCTIONID=${value}; x=1` } });

describe('sticky-cookie', () => {
  test('no cookie: the fallback picks, and the response sets a cookie naming that upstream', () => {
    const members = upstreams('a', 'b', 'c');
    const s = create(members);
    const input = makeInput();
    expect([s.select(input, undefined)?.id, s.select(input, undefined)?.id]).toEqual(['a', 'b']); // round robin
    expect(s.responseHeaders!(members[1]!, input)).toEqual([
      'Set-Cookie',
      `JUNCTIONID=${stickyId('b')}; Path=/; HttpOnly`,
    ]);
  });

  test('a cookie naming a live upstream sticks, and no new cookie is set', () => {
    const members = upstreams('a', 'b', 'c');
    const s = create(members);
    const input = withCookie(stickyId('c'));
    for (let i = 0; i < 20; i++) expect(s.select(input, undefined)?.id).toBe('c');
    expect(s.responseHeaders!(members[2]!, input)).toBeUndefined();
  });

  test('the cookie value is opaque: it does not contain the id or address', () => {
    const id = stickyId('10.0.0.7:8080');
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(stickyId('10.0.0.7:8080')).toBe(id); // stable: every instance and restart agrees
    expect(stickyId('10.0.0.7:8080', 42)).not.toBe(id);
  });

  test('a cookie naming a removed upstream re-sticks elsewhere, with a new Set-Cookie', () => {
    const members = upstreams('a', 'b', 'c');
    const s = create(members);
    const input = withCookie(stickyId('b'));
    expect(s.select(input, undefined)?.id).toBe('b');
    s.membersChanged!([members[0]!, members[2]!]);
    const picked = s.select(input, undefined)!;
    expect(['a', 'c']).toContain(picked.id);
    const set = s.responseHeaders!(picked, input);
    expect(cookieFrom(set)).toBe(`JUNCTIONID=${stickyId(picked.id)}`);
    // The client sends the new cookie back: it sticks, and nothing more is set.
    const next = makeInput({ headers: { cookie: cookieFrom(set)! } });
    expect(s.select(next, undefined)).toBe(picked);
    expect(s.responseHeaders!(picked, next)).toBeUndefined();
  });

  test('a cookie naming a down or already tried upstream falls back (and re-sticks) for this request', () => {
    const members = upstreams('a', 'b', 'c');
    const s = create(members);
    const input = withCookie(stickyId('a'));
    members[0]!.isUp = false;
    const picked = s.select(input, undefined)!;
    expect(picked.id).not.toBe('a');
    expect(cookieFrom(s.responseHeaders!(picked, input))).toBe(`JUNCTIONID=${stickyId(picked.id)}`);
    members[0]!.isUp = true;
    expect(s.select(input, new Set([members[0]!]))?.id).not.toBe('a');
    expect(s.select(input, undefined)?.id).toBe('a');
  });

  test('forged or malformed cookies fall back', () => {
    const members = upstreams('a', 'b');
    const s = create(members);
    for (const bad of [
      '',
      'zzzzzzzzzzzzzzzz',
      stickyId('nobody'),
      `${stickyId('a')}0`,
      stickyId('a').slice(1),
    ]) {
      const input = withCookie(bad);
      const picked = s.select(input, undefined)!;
      expect(s.responseHeaders!(picked, input)).toBeDefined();
    }
  });

  test('cookie attributes follow the options', () => {
    const [a] = upstreams('a');
    const s = create([a!], {
      cookie: 'srv',
      path: '/app',
      http_only: false,
      secure: true,
      max_age: 3600,
      same_site: 'none',
    });
    expect(s.responseHeaders!(a!, makeInput())).toEqual([
      'Set-Cookie',
      `srv=${stickyId('a')}; Path=/app; Max-Age=3600; Secure; SameSite=None`,
    ]);
  });

  test('a seed changes every id, and cookies follow it', () => {
    const members = upstreams('a', 'b');
    const s = create(members, { seed: 7 });
    expect(s.select(withCookie(stickyId('b', 7)), undefined)?.id).toBe('b');
  });

  test('validates options', () => {
    expect(() => stickyCookie.parseOptions({ cookies: 'x' })).toThrow(
      /unknown option 'cookies'; did you mean 'cookie'\?/,
    );
    expect(() => stickyCookie.parseOptions({ cookie: 'a b' })).toThrow(/valid cookie name/);
    expect(() => stickyCookie.parseOptions({ path: '/x; Domain=evil' })).toThrow(/option 'path'/);
    expect(() => stickyCookie.parseOptions({ same_site: 'none' })).toThrow(/needs 'secure: true'/);
    expect(() => stickyCookie.parseOptions({ same_site: 'lex' })).toThrow(/did you mean 'lax'/);
    expect(() => stickyCookie.parseOptions({ max_age: -1 })).toThrow(/'max_age' must be a whole number/);
    expect(() => stickyCookie.parseOptions({ fallback: 'sticky-cookie' })).toThrow(
      /other than sticky-cookie/,
    );
    expect(() => stickyCookie.parseOptions({ fallback: 'least-connection' })).toThrow(
      /did you mean 'least-connections'/,
    );
    expect(() => stickyCookie.parseOptions({ fallback: { kind: 'random', weigted: true } })).toThrow(
      /sticky-cookie: fallback: random: unknown option 'weigted'; did you mean 'weighted'/,
    );
    expect(
      stickyCookie.parseOptions({ fallback: { kind: 'random', weighted: false } }).fallback.options,
    ).toEqual({ weighted: false });
  });
});
