import { describe, expect, test } from 'vitest';
import { describeStrategyContract, makeInput, seededEnv, upstreams } from '../contract.test-suite.ts';
import { firstAvailable } from './first-available.ts';

describeStrategyContract({ name: 'first-available', plugin: firstAvailable, options: {} });

describe('first-available', () => {
  const input = makeInput();

  test('sends everything to the first upstream while it is up, then the next in config order', () => {
    const [a, b, c] = upstreams('a', 'b', 'c');
    const s = firstAvailable.create({}, [a!, b!, c!], seededEnv());
    expect(Array.from({ length: 5 }, () => s.select(input, undefined)?.id)).toEqual([
      'a',
      'a',
      'a',
      'a',
      'a',
    ]);
    a!.isUp = false;
    expect(s.select(input, undefined)?.id).toBe('b');
    a!.isUp = true;
    expect(s.select(input, new Set([a!]))?.id).toBe('b');
    expect(s.select(input, new Set([a!, b!]))?.id).toBe('c');
  });

  test('rejects options', () => {
    expect(() => firstAvailable.parseOptions({ order: 'id' })).toThrow(/takes no options \(got 'order'\)/);
  });
});
