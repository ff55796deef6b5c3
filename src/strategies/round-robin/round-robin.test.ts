import { describe, expect, test } from 'vitest';
import type { SelectionInput, Upstream } from '../types.ts';
import { roundRobin } from './round-robin.ts';
import { describeStrategyContract } from '../contract.test-suite.ts';

const input: SelectionInput = {
  method: 'GET',
  host: 'example.com',
  path: '/',
  header: () => undefined,
  clientAddress: '127.0.0.1',
};
const env = { random: Math.random, now: () => 0 };

function upstream(id: string, isUp = true): Upstream {
  return { id, host: '127.0.0.1', port: 1, weight: 1, isUp, inFlight: 0 };
}

describe('round-robin', () => {
  test('takes each upstream in turn', () => {
    const members = [upstream('a'), upstream('b'), upstream('c')];
    const s = roundRobin.create({}, members, env);
    const picks = Array.from({ length: 6 }, () => s.select(input, undefined)?.id);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  test('skips upstreams that are down or excluded, and returns undefined when none is left', () => {
    const a = upstream('a');
    const b = upstream('b', false);
    const c = upstream('c');
    const s = roundRobin.create({}, [a, b, c], env);
    expect(s.select(input, new Set([a]))?.id).toBe('c');
    expect(s.select(input, new Set([a, c]))).toBeUndefined();
  });

  test('keeps working after membership changes', () => {
    const s = roundRobin.create({}, [upstream('a'), upstream('b'), upstream('c')], env);
    s.select(input, undefined);
    s.select(input, undefined);
    s.membersChanged?.([upstream('x')]);
    expect(s.select(input, undefined)?.id).toBe('x');
    s.membersChanged?.([]);
    expect(s.select(input, undefined)).toBeUndefined();
  });

  test('rejects options it does not know', () => {
    expect(() => roundRobin.parseOptions({ foo: 1 })).toThrow(/no options/);
  });
});

describeStrategyContract({ name: 'round-robin', plugin: roundRobin, options: {} });
