import { describe, expect, expectTypeOf, test } from 'vitest';
import { BUILTIN_STRATEGIES, defineStrategy, stickyId, type Strategy } from './index.ts';
import { makeInput, seededEnv, upstreams } from './contract.test-suite.ts';

describe('strategies index', () => {
  test('registers every built-in by kind', () => {
    expect([...BUILTIN_STRATEGIES.keys()].sort()).toEqual([
      'consistent-hash',
      'failover',
      'first-available',
      'least-connections',
      'power-of-two',
      'random',
      'round-robin',
      'sticky-cookie',
      'weighted-round-robin',
    ]);
    for (const [kind, plugin] of BUILTIN_STRATEGIES) expect(plugin.kind).toBe(kind);
  });

  test('defineStrategy ties parseOptions to create and returns the plugin unchanged', () => {
    const plugin = defineStrategy({
      kind: 'always-last',
      parseOptions: (raw) => ({ skip: raw['skip'] === true }),
      create(options, members): Strategy {
        expectTypeOf(options).toEqualTypeOf<{ skip: boolean }>();
        return { select: () => (options.skip ? undefined : members.at(-1)) };
      },
    });
    const members = upstreams('a', 'b');
    expect(plugin.create(plugin.parseOptions({}), members, seededEnv()).select(makeInput(), undefined)).toBe(
      members[1],
    );
  });

  test('sticky ids are stable across versions (golden value)', () => {
    expect(stickyId('10.0.0.1:8080')).toBe('0cbfe80e796dc3f9');
  });
});
