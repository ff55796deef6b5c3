/**
 * The contract every strategy honours, run from each strategy's own test file:
 *
 *   describeStrategyContract({ name: 'random', plugin: random, options: {} });
 *
 * A strategy that legitimately cannot meet one check lists it in `skip` with a reason. Also
 * exports the helpers strategy tests share: mutable upstreams, inputs, a seeded env, fast-check
 * settings that print their seed and honour JUNCTION_FC_SEED / JUNCTION_FC_RUNS.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Outcome, SelectionInput, Strategy, StrategyEnv, StrategyPlugin, Upstream } from './types.ts';

/** An Upstream whose state tests may change, as the Router's UpstreamState does. */
export class TestUpstream implements Upstream {
  readonly id: string;
  readonly host = '127.0.0.1';
  readonly port: number;
  weight: number;
  isUp: boolean;
  inFlight: number;

  constructor(id: string, weight = 1, isUp = true, inFlight = 0) {
    this.id = id;
    this.port = 8000 + (id.length % 1000);
    this.weight = weight;
    this.isUp = isUp;
    this.inFlight = inFlight;
  }
}

export function upstreams(...ids: string[]): TestUpstream[] {
  return ids.map((id) => new TestUpstream(id));
}

export interface InputSpec {
  readonly method?: string;
  readonly host?: string;
  readonly path?: string;
  readonly clientAddress?: string;
  /** Lower-case names. */
  readonly headers?: Readonly<Record<string, string>>;
}

export function makeInput(spec: InputSpec = {}): SelectionInput {
  const headers = spec.headers ?? {};
  return {
    method: spec.method ?? 'GET',
    host: spec.host ?? 'example.com',
    path: spec.path ?? '/',
    clientAddress: spec.clientAddress ?? '192.0.2.1',
    header: (name) => (Object.hasOwn(headers, name) ? headers[name] : undefined),
  };
}

/** A few inputs that differ in every field a strategy might key on. */
export function variedInputs(count: number): SelectionInput[] {
  return Array.from({ length: count }, (_, i) =>
    makeInput({
      host: `h${i % 7}.example.com`,
      path: `/p/${i}`,
      clientAddress: `10.0.${i % 256}.${(i * 7) % 256}`,
      headers: { 'x-user': `user-${i}`, cookie: `session=s${i}; theme=dark` },
    }),
  );
}

export interface TestEnv extends StrategyEnv {
  /** Moves env.now() forward. */
  advance(ms: number): void;
}

/** A deterministic env: mulberry32 for random(), a manual clock for now(). */
export function seededEnv(seed = 1): TestEnv {
  let state = seed >>> 0;
  let time = 0;
  return {
    random() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    now: () => time,
    advance(ms) {
      time += ms;
    },
  };
}

/** fast-check settings for one property: logs the seed so that a failure can be replayed. */
export function fcSettings(label: string, defaultRuns = 100): { seed: number; numRuns: number } {
  const fromEnv = process.env['JUNCTION_FC_SEED'];
  const seed = fromEnv === undefined ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(fromEnv);
  const numRuns = Number(process.env['JUNCTION_FC_RUNS'] ?? defaultRuns);
  console.info(`[fast-check] ${label}: seed=${seed} runs=${numRuns} (replay with JUNCTION_FC_SEED=${seed})`);
  return { seed, numRuns };
}

/** Counts picks by id over `count` selections, cycling through `inputs`. */
export function countPicks(
  strategy: Strategy,
  count: number,
  inputs: readonly SelectionInput[] = [makeInput()],
  exclude?: ReadonlySet<Upstream>,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const picked = strategy.select(inputs[i % inputs.length]!, exclude);
    const id = picked?.id ?? '(none)';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** The Cookie header a client would send back after receiving `pairs` from responseHeaders(). */
export function cookieFrom(pairs: readonly string[] | undefined): string | undefined {
  if (pairs === undefined) return undefined;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    if (pairs[i]!.toLowerCase() === 'set-cookie') return pairs[i + 1]!.split(';')[0];
  }
  return undefined;
}

export const CONTRACT_TESTS = [
  'skips-down-and-excluded',
  'undefined-when-empty',
  'undefined-when-all-down',
  'undefined-when-all-excluded',
  'single-member',
  'members-changed',
  'is-up-read-live',
  'never-throws',
] as const;
export type ContractTest = (typeof CONTRACT_TESTS)[number];

export interface StrategyContractCase<Options> {
  readonly name: string;
  readonly plugin: StrategyPlugin<Options>;
  /** Raw options, as a config would give them (snake_case); parsed with plugin.parseOptions. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly skip?: readonly { readonly reason: string; readonly tests: readonly ContractTest[] }[];
}

export function describeStrategyContract<Options>(c: StrategyContractCase<Options>): void {
  const skipped = new Map<ContractTest, string>();
  for (const s of c.skip ?? []) for (const t of s.tests) skipped.set(t, s.reason);
  const create = (members: readonly Upstream[], env: StrategyEnv = seededEnv()): Strategy =>
    c.plugin.create(c.plugin.parseOptions(c.options), members, env);
  const contractTest = (name: ContractTest, fn: () => void): void => {
    const reason = skipped.get(name);
    if (reason === undefined) test(name, fn);
    else test.skip(`${name} (skipped: ${reason})`, fn);
  };
  const inputs = variedInputs(50);

  describe(`${c.name}: strategy contract`, () => {
    contractTest('skips-down-and-excluded', () => {
      const [a, b, cc, d, e, f] = upstreams('a', 'b', 'c', 'd', 'e', 'f') as [
        TestUpstream,
        ...TestUpstream[],
      ];
      b!.isUp = false;
      d!.isUp = false;
      const s = create([a, b!, cc!, d!, e!, f!]);
      const exclude = new Set<Upstream>([a, e!]);
      // Inputs that carry whatever the strategy would stick to `a` (a cookie, for sticky-cookie).
      const stuckToA = cookieFrom(s.responseHeaders?.(a, makeInput()));
      const all = stuckToA === undefined ? inputs : [...inputs, makeInput({ headers: { cookie: stuckToA } })];
      for (let i = 0; i < 300; i++) {
        expect(['c', 'f']).toContain(s.select(all[i % all.length]!, exclude)?.id);
      }
      cc!.isUp = false;
      for (const input of all) expect(s.select(input, exclude)?.id).toBe('f');
    });

    contractTest('undefined-when-empty', () => {
      const s = create([]);
      for (const input of inputs) expect(s.select(input, undefined)).toBeUndefined();
      expect(s.select(makeInput(), new Set())).toBeUndefined();
      s.report?.(new TestUpstream('stranger'), { status: 200, errorCode: undefined, durationMs: 1 });
    });

    contractTest('undefined-when-all-down', () => {
      const members = upstreams('a', 'b', 'c');
      for (const m of members) m.isUp = false;
      const s = create(members);
      for (const input of inputs) expect(s.select(input, undefined)).toBeUndefined();
    });

    contractTest('undefined-when-all-excluded', () => {
      const members = upstreams('a', 'b', 'c');
      const s = create(members);
      for (const input of inputs) expect(s.select(input, new Set(members))).toBeUndefined();
      members[0]!.isUp = false;
      for (const input of inputs) expect(s.select(input, new Set(members.slice(1)))).toBeUndefined();
    });

    contractTest('single-member', () => {
      const only = new TestUpstream('only', 3);
      const s = create([only]);
      for (const input of inputs) expect(s.select(input, undefined)).toBe(only);
      only.isUp = false;
      expect(s.select(makeInput(), undefined)).toBeUndefined();
      only.isUp = true;
      expect(s.select(makeInput(), new Set([only]))).toBeUndefined();
      expect(s.select(makeInput(), new Set())).toBe(only);
    });

    contractTest('members-changed', () => {
      const [a, b, cc, d] = upstreams('a', 'b', 'c', 'd') as [
        TestUpstream,
        TestUpstream,
        TestUpstream,
        TestUpstream,
      ];
      const s = create([a, b, cc]);
      for (const input of inputs) s.select(input, undefined);
      s.membersChanged?.([a, b, cc, d]);
      for (const input of inputs) {
        expect(['b', 'd']).toContain(s.select(input, new Set([a, cc]))?.id);
      }
      s.membersChanged?.([d]);
      for (const input of inputs) expect(s.select(input, undefined)).toBe(d);
      expect(s.select(makeInput(), new Set([d]))).toBeUndefined();
      s.membersChanged?.([]);
      expect(s.select(makeInput(), undefined)).toBeUndefined();
      s.membersChanged?.([a, b]);
      for (const input of inputs) expect(s.select(input, new Set([b]))).toBe(a);
    });

    // The Router flips isUp without membersChanged() while a backend on trial has its one request out.
    contractTest('is-up-read-live', () => {
      const members = upstreams('a', 'b', 'c');
      const [a, b, cc] = members as [TestUpstream, TestUpstream, TestUpstream];
      const s = create(members);
      for (const input of inputs) s.select(input, undefined);
      b.isUp = false;
      for (let i = 0; i < 200; i++) expect(s.select(inputs[i % inputs.length]!, undefined)).not.toBe(b);
      a.isUp = false;
      cc.isUp = false;
      for (const input of inputs) expect(s.select(input, undefined)).toBeUndefined();
      b.isUp = true;
      for (const input of inputs) expect(s.select(input, undefined)).toBe(b);
    });

    contractTest('never-throws', () => {
      checkNeverThrows(c.name, create);
    });
  });
}

const inputArb = fc.record({
  host: fc.string({ maxLength: 12 }),
  path: fc.string({ maxLength: 20 }),
  clientAddress: fc.string({ maxLength: 15 }),
  cookie: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
  header: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  sticky: fc.boolean(),
});

const memberArb = fc.record({
  weight: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, -1, Number.NaN, 1000)),
  isUp: fc.boolean(),
  inFlight: fc.integer({ min: 0, max: 6 }),
});

const opArb = fc.oneof(
  fc.record({ op: fc.constant('select' as const), input: inputArb, exclude: fc.nat() }),
  fc.record({
    op: fc.constant('report' as const),
    member: fc.nat(),
    status: fc.constantFrom(0, 200, 404, 502),
    failed: fc.boolean(),
    durationMs: fc.oneof(fc.nat({ max: 5000 }), fc.constant(-1)),
  }),
  fc.record({
    op: fc.constant('mutate' as const),
    member: fc.nat(),
    isUp: fc.boolean(),
    inFlight: fc.nat({ max: 9 }),
  }),
  fc.record({
    op: fc.constant('change' as const),
    keep: fc.nat(),
    add: fc.array(memberArb, { maxLength: 4 }),
  }),
  fc.record({ op: fc.constant('time' as const), ms: fc.nat({ max: 60_000 }) }),
);

/**
 * Random membership, up/down flips, in-flight counts, reports, membership changes and inputs:
 * select() never throws, returns a usable member whenever one exists and undefined otherwise, and
 * responseHeaders() returns undefined or name/value string pairs.
 */
function checkNeverThrows(
  name: string,
  create: (m: readonly Upstream[], env: StrategyEnv) => Strategy,
): void {
  let next = 0;
  const toUpstream = (spec: { weight: number; isUp: boolean; inFlight: number }): TestUpstream =>
    new TestUpstream(`m${next++}`, spec.weight, spec.isUp, spec.inFlight);
  fc.assert(
    fc.property(
      fc.array(memberArb, { maxLength: 10 }),
      fc.array(opArb, { minLength: 1, maxLength: 40 }),
      fc.integer(),
      (initial, ops, envSeed) => {
        const env = seededEnv(envSeed);
        let members = initial.map(toUpstream);
        const s = create(members, env);
        let stickyCookie: string | undefined;
        for (const op of ops) {
          const pick =
            members.length === 0 ? undefined : members[('member' in op ? op.member : 0) % members.length];
          switch (op.op) {
            case 'select': {
              const exclude = new Set<Upstream>(members.filter((_, i) => ((op.exclude >>> i) & 1) === 1));
              const i = op.input;
              const cookie = i.sticky && stickyCookie !== undefined ? stickyCookie : i.cookie;
              const headers: Record<string, string> = {};
              if (cookie !== undefined) headers['cookie'] = cookie;
              if (i.header !== undefined) headers['x-user'] = i.header;
              const input = makeInput({
                host: i.host,
                path: i.path,
                clientAddress: i.clientAddress,
                headers,
              });
              const picked = s.select(input, exclude);
              const anyUsable = members.some((m) => m.isUp && !exclude.has(m));
              if (!anyUsable) expect(picked).toBeUndefined();
              else {
                expect(picked).toBeDefined();
                expect(members.some((m) => m === picked)).toBe(true);
                expect(picked!.isUp).toBe(true);
                expect(exclude.has(picked!)).toBe(false);
                const extra = s.responseHeaders?.(picked!, input);
                if (extra !== undefined) {
                  expect(extra.length % 2).toBe(0);
                  for (const v of extra) expect(typeof v).toBe('string');
                  stickyCookie = cookieFrom(extra) ?? stickyCookie;
                }
              }
              break;
            }
            case 'report': {
              if (pick === undefined) break;
              const outcome: Outcome = {
                status: op.status,
                errorCode: op.failed ? 'UPSTREAM_RESET' : undefined,
                durationMs: op.durationMs,
              };
              s.report?.(pick, outcome);
              break;
            }
            case 'mutate':
              if (pick === undefined) break;
              pick.isUp = op.isUp;
              pick.inFlight = op.inFlight;
              break;
            case 'change':
              members = [...members.filter((_, i) => ((op.keep >>> i) & 1) === 1), ...op.add.map(toUpstream)];
              s.membersChanged?.(members);
              break;
            case 'time':
              env.advance(op.ms);
              break;
          }
        }
      },
    ),
    fcSettings(`${name} never-throws`, 60),
  );
}
