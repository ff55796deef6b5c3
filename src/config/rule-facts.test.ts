import { describe, expect, test } from 'vitest';
import { ruleConfigFacts } from './rule-facts.ts';

describe('ruleConfigFacts', () => {
  const facts = ruleConfigFacts({
    routes: [
      { name: 'one', match: { host: 'One.EX.', path: '/path/' }, cluster: 'a' },
      { match: { host: ['*.ex'], path: { exact: '/x' } }, cluster: 'b' },
      { name: 'list', match: { host: ['a.ex', 'b.ex'] }, cluster: 'a' },
      { name: 'any', cluster: 'a' },
    ],
    clusters: {
      a: { backends: ['127.0.0.1:1'], pool: { max_total: 500 } },
      b: { backends: ['127.0.0.1:2'] },
    },
  });

  test("a route's target: its one literal host, its path without the leading slash", () => {
    expect(facts.routeTarget('one')).toEqual({ host: 'one.ex', path: 'path/' });
    expect(facts.routeTarget('route-2')).toEqual({ host: undefined, path: 'x' });
    expect(facts.routeTarget('list')).toEqual({ host: undefined, path: '' });
    expect(facts.routeTarget('any')).toEqual({ host: undefined, path: '' });
    expect(facts.routeTarget('nope')).toBeUndefined();
  });

  test("a cluster's connection limit, and the shared one only when every cluster has it", () => {
    expect(facts.poolMaxTotal('a')).toBe(500);
    expect(facts.poolMaxTotal('b')).toBe(0);
    expect(facts.poolMaxTotal(undefined)).toBeUndefined();
    const same = ruleConfigFacts({
      clusters: { a: { pool: { max_total: 7 } }, b: { pool: { max_total: 7 } } },
    });
    expect(same.poolMaxTotal(undefined)).toBe(7);
    expect(same.backgroundFillThreshold()).toBe(0.5);
    expect(
      ruleConfigFacts({ cache: { background_fill: { threshold: 0.4 } } }).backgroundFillThreshold(),
    ).toBe(0.4);
  });
});
