/**
 * Seeded, stable string hashing for strategies (consistent hashing, sticky-session ids).
 *
 * Why not a random per-process seed (as hash tables use against flooding): several Junction
 * workers and instances behind one address, and the same instance after a restart, must send a
 * given key to the same backend and must read each other's sticky cookies. So the seed is a
 * constant (or an operator-chosen option), and the hash uses only 32-bit integer arithmetic
 * (Math.imul, shifts), which is bit-identical on every platform and Node version.
 *
 * Why not crypto: select() is on the hot path and the keys are not secrets. These hashes are not
 * collision-resistant against an adversary choosing keys; an attacker can at worst aim their own
 * requests at one backend, which they could do anyway with sticky cookies.
 *
 * The string hash is FNV-1a over UTF-16 code units (identical to byte-wise FNV-1a for ASCII),
 * followed by a murmur3-style avalanche finaliser, because FNV-1a alone mixes its low bits poorly
 * and Maglev and rendezvous reduce hashes modulo small numbers.
 */

/** The default seed: any fixed constant works; all instances must use the same one. */
export const DEFAULT_HASH_SEED = 0x6a756e63; // 'junc'

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** A bijective avalanche on 32 bits: every input bit flips each output bit with probability ~1/2. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes `str[start, end)` to an unsigned 32-bit integer. Allocates nothing. */
export function hashRange(str: string, start: number, end: number, seed: number): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ str.charCodeAt(i), FNV_PRIME);
  }
  return mix32(h ^ (end - start));
}

/** Like hashRange, with ASCII letters folded to lower case (host names are case-insensitive). */
export function hashRangeFolded(str: string, start: number, end: number, seed: number): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = start; i < end; i++) {
    let c = str.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 0x20;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return mix32(h ^ (end - start));
}

/** Hashes a whole string to an unsigned 32-bit integer. */
export function hashString(str: string, seed: number): number {
  return hashRange(str, 0, str.length, seed);
}

/** Combines two 32-bit hashes into one, order-sensitively (rendezvous: key × member). */
export function combine32(a: number, b: number): number {
  return mix32(a ^ Math.imul(b ^ 0x9e3779b9, 0x27d4eb2d));
}

/** The smallest prime ≥ n (n small enough for trial division: table sizes up to a few million). */
export function nextPrime(n: number): number {
  let candidate = Math.max(2, Math.ceil(n));
  while (!isPrime(candidate)) candidate++;
  return candidate;
}

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}
