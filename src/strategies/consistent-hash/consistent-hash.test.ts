import { describe, expect, test } from 'vitest';
import type { SelectionInput, Strategy, Upstream } from '../types.ts';
import {
  describeStrategyContract,
  makeInput,
  seededEnv,
  TestUpstream,
  upstreams,
} from '../contract.test-suite.ts';
import { DEFAULT_HASH_SEED, isPrime, nextPrime } from '../shared/hash.ts';
import { consistentHash, type HashAlgorithm } from './consistent-hash.ts';
import { Maglev } from './maglev.ts';

const ALGORITHMS: readonly HashAlgorithm[] = ['rendezvous', 'maglev', 'ring'];

// A small Maglev table (grown to ≥ 100 × members anyway) and few ring points keep the property
// runs, which rebuild tables on every membership change with weights up to 1000, fast. The
// distribution tests below use the defaults.
const CONTRACT_OPTIONS: Readonly<Record<HashAlgorithm, Record<string, unknown>>> = {
  rendezvous: {},
  maglev: { table_size: 1009 },
  ring: { vnodes: 8 },
};
for (const algorithm of ALGORITHMS) {
  describeStrategyContract({
    name: `consistent-hash ${algorithm}`,
    plugin: consistentHash,
    options: { key: 'header:x-user', algorithm, ...CONTRACT_OPTIONS[algorithm] },
  });
}
describeStrategyContract({
  name: 'consistent-hash cookie key',
  plugin: consistentHash,
  options: { key: 'cookie:session' },
});
describeStrategyContract({
  name: 'consistent-hash host key (ring)',
  plugin: consistentHash,
  options: { key: 'host', algorithm: 'ring', vnodes: 4 },
});

function create(algorithm: HashAlgorithm, members: readonly Upstream[], key = 'header:x-user'): Strategy {
  return consistentHash.create(consistentHash.parseOptions({ key, algorithm }), members, seededEnv());
}

const KEYS = 60_000;
const inputs: readonly SelectionInput[] = Array.from({ length: KEYS }, (_, i) =>
  makeInput({ headers: { 'x-user': `user-${i}` } }),
);

function owners(s: Strategy, exclude?: ReadonlySet<Upstream>): (Upstream | undefined)[] {
  return inputs.map((input) => s.select(input, exclude));
}

/** Weighted-share tolerance, absolute, over 60,000 keys. Ring shares vary with the ids' points. */
const SHARE_TOLERANCE: Readonly<Record<HashAlgorithm, number>> = {
  rendezvous: 0.02,
  maglev: 0.02,
  ring: 0.03,
};

describe.each(ALGORITHMS)('consistent-hash %s', (algorithm) => {
  test(`spreads keys in proportion to weight (1:2:3 over 60,000 keys, ±${SHARE_TOLERANCE[algorithm] * 100} %)`, () => {
    const members = [new TestUpstream('a', 1), new TestUpstream('b', 2), new TestUpstream('c', 3)];
    const counts = new Map<string, number>();
    for (const u of owners(create(algorithm, members))) counts.set(u!.id, (counts.get(u!.id) ?? 0) + 1);
    expect(Math.abs(counts.get('a')! / KEYS - 1 / 6)).toBeLessThan(SHARE_TOLERANCE[algorithm]);
    expect(Math.abs(counts.get('b')! / KEYS - 2 / 6)).toBeLessThan(SHARE_TOLERANCE[algorithm]);
    expect(Math.abs(counts.get('c')! / KEYS - 3 / 6)).toBeLessThan(SHARE_TOLERANCE[algorithm]);
  });

  test('when one of N=10 leaves, under 1.6/N of keys move, and the keys it did not own stay', () => {
    const ten = Array.from({ length: 10 }, (_, i) => new TestUpstream(`10.0.0.${i}:8080`));
    const before = owners(create(algorithm, ten));
    const after = owners(
      create(
        algorithm,
        ten.filter((_, i) => i !== 3),
      ),
    );
    let moved = 0;
    let otherMoved = 0;
    let other = 0;
    for (let k = 0; k < KEYS; k++) {
      if (before[k] !== after[k]) moved++;
      if (before[k] === ten[3]) continue;
      other++;
      if (before[k] !== after[k]) otherMoved++;
    }
    expect(moved / KEYS).toBeLessThan(1.6 / 10);
    // Rendezvous and the ring move only the removed member's keys; Maglev's table shifts ~0.3 %.
    if (algorithm === 'maglev') expect(otherMoved / other).toBeLessThan(0.02);
    else expect(otherMoved).toBe(0);
  });

  test('instances agree whatever the config order of members', () => {
    const members = upstreams('a', 'b', 'c', 'd', 'e');
    const forward = owners(create(algorithm, members)).slice(0, 5000);
    const backward = owners(create(algorithm, [...members].reverse())).slice(0, 5000);
    expect(backward).toEqual(forward);
  });

  test('an excluded or down owner is passed over for the same next candidate on every instance', () => {
    const members = upstreams('a', 'b', 'c', 'd', 'e');
    const one = create(algorithm, members);
    const two = create(algorithm, [...members].reverse());
    const firstChoice = owners(one);
    for (let k = 0; k < 2000; k++) {
      const exclude = new Set([firstChoice[k]!]);
      const retry = one.select(inputs[k]!, exclude);
      expect(retry).not.toBe(firstChoice[k]);
      expect(two.select(inputs[k]!, exclude)).toBe(retry);
    }
    if (algorithm === 'maglev') return;
    // Rendezvous and ring: the next candidate is the owner the key would have without that member.
    const withoutA = create(algorithm, members.slice(1));
    members[0]!.isUp = false;
    for (let k = 0; k < 2000; k++)
      expect(one.select(inputs[k]!, undefined)).toBe(withoutA.select(inputs[k]!, undefined));
  });

  test('requests without the key go round robin', () => {
    const s = create(algorithm, upstreams('a', 'b', 'c'));
    const keyless = makeInput();
    expect(Array.from({ length: 6 }, () => s.select(keyless, undefined)?.id)).toEqual([
      'a',
      'b',
      'c',
      'a',
      'b',
      'c',
    ]);
    const empty = makeInput({ headers: { 'x-user': '' } });
    expect(s.select(empty, undefined)?.id).toBe('a');
  });
});

describe('consistent-hash keys', () => {
  const members = Array.from({ length: 20 }, (_, i) => new TestUpstream(`u${i}`));
  const s = (key: string) => create('rendezvous', members, key);

  test('host is case-insensitive', () => {
    const strategy = s('host');
    for (let i = 0; i < 50; i++) {
      expect(strategy.select(makeInput({ host: `Site${i}.Example.COM` }), undefined)).toBe(
        strategy.select(makeInput({ host: `site${i}.example.com` }), undefined),
      );
    }
  });

  test('path and uri are the same key; client-address; header names are case-insensitive', () => {
    const path = s('path');
    const uri = s('uri');
    const client = s('client-address');
    const header = s('header:X-User');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const input = makeInput({
        path: `/p${i}`,
        clientAddress: `10.1.0.${i}`,
        headers: { 'x-user': `x${i}` },
      });
      expect(uri.select(input, undefined)).toBe(path.select(input, undefined));
      const again = makeInput({
        path: `/other`,
        clientAddress: `10.1.0.${i}`,
        headers: { 'x-user': `x${i}` },
      });
      expect(client.select(again, undefined)).toBe(client.select(input, undefined));
      expect(header.select(again, undefined)).toBe(header.select(input, undefined));
      seen.add(client.select(input, undefined)!.id);
    }
    expect(seen.size).toBeGreaterThan(15);
  });

  test('cookie: found among others, quotes ignored, missing cookie falls back', () => {
    const strategy = s('cookie:sid');
    const plain = strategy.select(makeInput({ headers: { cookie: 'sid=abc123' } }), undefined);
    expect(
      strategy.select(makeInput({ headers: { cookie: 'theme=dark; sid="abc123"; x=1' } }), undefined),
    ).toBe(plain);
    expect(strategy.select(makeInput({ headers: { cookie: 'xsid=abc123' } }), undefined)?.id).toBe('u0');
  });
});

describe('consistent-hash options', () => {
  test('defaults and validation', () => {
    const parsed = consistentHash.parseOptions({ key: 'uri' });
    expect(parsed).toMatchObject({ key: { source: 'path' }, algorithm: 'maglev', tableSize: 65537 });
    expect(() => consistentHash.parseOptions({})).toThrow(/option 'key' is required/);
    expect(() => consistentHash.parseOptions({ key: 'hots' })).toThrow(/did you mean 'host'/);
    expect(() => consistentHash.parseOptions({ key: 'headr:x' })).toThrow(/did you mean 'header:<name>'/);
    expect(() => consistentHash.parseOptions({ key: 'header:' })).toThrow(/must be one of/);
    expect(() => consistentHash.parseOptions({ key: 'host', algoritm: 'ring' })).toThrow(
      /did you mean 'algorithm'/,
    );
    expect(() => consistentHash.parseOptions({ key: 'host', algorithm: 'magelv' })).toThrow(
      /did you mean 'maglev'/,
    );
    expect(() => consistentHash.parseOptions({ key: 'host', table_size: 65536 })).toThrow(/must be a prime/);
    expect(() => consistentHash.parseOptions({ key: 'host', vnodes: 10 })).toThrow(
      /'vnodes' applies only to algorithm: ring/,
    );
    expect(() => consistentHash.parseOptions({ key: 'host', algorithm: 'ring', table_size: 7 })).toThrow(
      /'table_size' applies only to algorithm: maglev/,
    );
  });

  test('the Maglev table grows to a prime ≥ 100 × members', () => {
    const many = Array.from({ length: 700 }, (_, i) => new TestUpstream(`m${i}`));
    const maglev = new Maglev(101, DEFAULT_HASH_SEED);
    maglev.rebuild(many);
    expect(maglev.tableSize).toBe(nextPrime(70_000));
    expect(isPrime(maglev.tableSize)).toBe(true);
    maglev.rebuild(many.slice(0, 3));
    expect(maglev.tableSize).toBe(307); // the smallest prime ≥ 300
  });
});
