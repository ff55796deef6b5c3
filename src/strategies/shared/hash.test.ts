import { describe, expect, test } from 'vitest';
import {
  combine32,
  DEFAULT_HASH_SEED,
  hashRange,
  hashRangeFolded,
  hashString,
  isPrime,
  mix32,
  nextPrime,
} from './hash.ts';

describe('hash', () => {
  // Golden values: every Junction instance and version must compute these, or consistent-hash
  // keys move and sticky cookies break across a rolling upgrade. Change them only deliberately.
  test.each([
    ['', DEFAULT_HASH_SEED, 3776314333],
    ['10.0.0.1:8080', DEFAULT_HASH_SEED, 213903374],
    ['user-42', 0, 3553768866],
    ['é☃', 1, 3543768847],
  ])('hashString(%j, %i) is %i on every platform', (text, seed, expected) => {
    expect(hashString(text, seed)).toBe(expected);
  });

  test('ranges hash like the substring; folding ignores ASCII case only', () => {
    const text = 'xxAPI.Example.comyy';
    expect(hashRange(text, 2, 17, 9)).toBe(hashString('API.Example.com', 9));
    expect(hashRangeFolded(text, 2, 17, 9)).toBe(hashString('api.example.com', 9));
    expect(hashRangeFolded('É', 0, 1, 9)).toBe(hashString('É', 9));
  });

  test('the seed changes the hash; results are unsigned 32-bit', () => {
    expect(hashString('a', 1)).not.toBe(hashString('a', 2));
    for (const v of [hashString('a', -1), mix32(-1), combine32(0xffffffff, 0xffffffff)]) {
      expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
    }
  });

  test('low bits are well mixed (Maglev and rendezvous reduce modulo small numbers)', () => {
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) buckets[hashString(`key-${i}`, 0) % 16]!++;
    for (const b of buckets) expect(Math.abs(b - 1000)).toBeLessThan(150);
  });

  test('primes', () => {
    expect([nextPrime(0), nextPrime(100), nextPrime(65_536), nextPrime(65_537)]).toEqual([
      2, 101, 65_537, 65_537,
    ]);
    expect([isPrime(1), isPrime(2), isPrime(9), isPrime(65_537), isPrime(2.5)]).toEqual([
      false,
      true,
      false,
      true,
      false,
    ]);
  });
});
