import type { SelectionInput, Strategy, StrategyEnv, StrategyPlugin, Upstream } from '../types.ts';
import { roundRobin } from '../round-robin/round-robin.ts';
import { DEFAULT_HASH_SEED, isPrime } from '../shared/hash.ts';
import { checkOptionNames, readEnum, readInteger } from '../shared/options.ts';
import { KeyHasher, parseKey, type KeySpec } from './key.ts';
import { Maglev } from './maglev.ts';
import type { HashPicker } from './picker.ts';
import { Rendezvous } from './rendezvous.ts';
import { Ring } from './ring.ts';

export type HashAlgorithm = 'maglev' | 'rendezvous' | 'ring';

export interface ConsistentHashOptions {
  readonly key: KeySpec;
  /** Default `maglev`. */
  readonly algorithm: HashAlgorithm;
  /** Maglev: the smallest table size, a prime. Grown to a prime ≥ 100 × members when needed. */
  readonly tableSize: number;
  /** Ring: points per unit of weight. */
  readonly vnodes: number;
  /** Hash seed; every instance that must agree uses the same. */
  readonly seed: number;
}

const KIND = 'consistent-hash';
export const DEFAULT_TABLE_SIZE = 65537;
export const DEFAULT_VNODES = 160;

/**
 * Consistent hashing on a request key: a given key goes to the same upstream on every instance and
 * after restarts, and a membership change moves few keys (see each algorithm's file for how few).
 * A down or excluded owner is passed over for the key's next candidate, deterministically.
 * Requests without the key (no such header or cookie, an empty value) go round robin.
 */
class ConsistentHash implements Strategy {
  readonly #key: KeyHasher;
  readonly #picker: HashPicker;
  readonly #fallback: Strategy;

  constructor(options: ConsistentHashOptions, members: readonly Upstream[], env: StrategyEnv) {
    this.#key = new KeyHasher(options.key, options.seed);
    this.#picker =
      options.algorithm === 'rendezvous'
        ? new Rendezvous(options.seed)
        : options.algorithm === 'ring'
          ? new Ring(options.vnodes, options.seed)
          : new Maglev(options.tableSize, options.seed);
    this.#picker.rebuild(members);
    this.#fallback = roundRobin.create({}, members, env);
  }

  select(input: SelectionInput, exclude: ReadonlySet<Upstream> | undefined): Upstream | undefined {
    const keyHash = this.#key.hash(input);
    if (keyHash === -1) return this.#fallback.select(input, exclude);
    return this.#picker.pick(keyHash, exclude);
  }

  membersChanged(members: readonly Upstream[]): void {
    this.#picker.rebuild(members);
    this.#fallback.membersChanged?.(members);
  }
}

const OPTIONS_OF: Readonly<Record<HashAlgorithm, readonly string[]>> = {
  maglev: ['table_size'],
  rendezvous: [],
  ring: ['vnodes'],
};

export const consistentHash: StrategyPlugin<ConsistentHashOptions> = {
  kind: KIND,
  parseOptions(raw) {
    checkOptionNames(KIND, raw, ['key', 'algorithm', 'table_size', 'vnodes', 'seed']);
    const algorithm = readEnum<HashAlgorithm>(
      KIND,
      raw,
      'algorithm',
      ['maglev', 'rendezvous', 'ring'],
      'maglev',
    );
    for (const name of ['table_size', 'vnodes']) {
      if (raw[name] !== undefined && !OPTIONS_OF[algorithm].includes(name)) {
        const owner = name === 'vnodes' ? 'ring' : 'maglev';
        throw new Error(
          `${KIND}: option '${name}' applies only to algorithm: ${owner} (algorithm is ${algorithm})`,
        );
      }
    }
    const tableSize = readInteger(KIND, raw, 'table_size', 3, 16_777_259, DEFAULT_TABLE_SIZE);
    if (!isPrime(tableSize))
      throw new Error(`${KIND}: option 'table_size' must be a prime, got ${tableSize}`);
    return {
      key: parseKey(KIND, raw['key']),
      algorithm,
      tableSize,
      vnodes: readInteger(KIND, raw, 'vnodes', 1, 10_000, DEFAULT_VNODES),
      seed: readInteger(KIND, raw, 'seed', 0, 0xffffffff, DEFAULT_HASH_SEED),
    };
  },
  create(options, members, env) {
    return new ConsistentHash(options, members, env);
  },
};
