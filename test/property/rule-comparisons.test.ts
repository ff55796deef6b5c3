/**
 * Property tests of the rule comparisons: each compiled comparison agrees with a straightforward
 * reference written here, on random strings, numbers, IP addresses and comparison trees. Time-boxed;
 * the seed is printed. Replay or widen a run with JUNCTION_FC_SEED=<seed> and JUNCTION_FC_RUNS=<n>.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compileTest, testContext } from '../../src/rules/comparisons/test-env.test-suite.ts';
import { Duration, IpAddress, type Feature } from '../../src/rules/types.ts';

const SEED = process.env['JUNCTION_FC_SEED'] ? Number(process.env['JUNCTION_FC_SEED']) : Date.now() % 2 ** 31;
const RUNS = process.env['JUNCTION_FC_RUNS'] ? Number(process.env['JUNCTION_FC_RUNS']) : 300;
/** Per property; a widened run (JUNCTION_FC_RUNS) gets as long as it needs. */
const TIME_LIMIT_MS = process.env['JUNCTION_FC_RUNS'] ? 10 * 60_000 : 1_500;
console.log(`[rule comparison properties] seed=${SEED} runs=${RUNS} (replay with JUNCTION_FC_SEED=${SEED})`);

function params<T>(numRuns = RUNS): fc.Parameters<T> {
  return { seed: SEED, numRuns, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS) as fc.Plugin<T>] };
}

// ---------------------------------------------------------------------------------------------------
// Generators. Small alphabets make matches common; the Unicode ones exercise case folding.

const chars = (alphabet: string) => fc.constantFrom(...alphabet.split(''));
const small = fc.string({ unit: chars('abAB./-'), maxLength: 8 });
const unicode = fc.string({ unit: 'grapheme', maxLength: 8 });
const text = fc.oneof(small, unicode);
/** A feature and a value that is often a piece of it. */
const featureAndValue = fc.oneof(
  fc.tuple(text, text),
  text.chain((feature) =>
    fc
      .tuple(fc.nat(feature.length), fc.nat(feature.length))
      .map(([a, b]) => [feature, feature.slice(Math.min(a, b), Math.max(a, b))] as const),
  ),
);
const label = fc.string({ unit: chars('abc'), minLength: 0, maxLength: 3 });
const hostName = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));

const ctx = () => testContext();
const run = (node: Record<string, unknown>, feature: Feature) => compileTest(node)(feature, ctx());

// ---------------------------------------------------------------------------------------------------

describe('string comparisons agree with the String methods', () => {
  test('match, prefix, suffix, contains ⇔ ===, startsWith, endsWith, includes', () => {
    fc.assert(
      fc.property(featureAndValue, ([feature, value]) => {
        expect(run({ match: value }, feature)).toBe(feature === value);
        expect(run({ prefix: value }, feature)).toBe(feature.startsWith(value));
        expect(run({ suffix: value }, feature)).toBe(feature.endsWith(value));
        expect(run({ contains: value }, feature)).toBe(feature.includes(value));
      }),
      params(),
    );
  });

  test('<nc> variants ⇔ the same on lower-cased feature and value', () => {
    fc.assert(
      fc.property(featureAndValue, fc.boolean(), ([feature, value], upper) => {
        const v = upper ? value.toUpperCase() : value;
        const [f, lv] = [feature.toLowerCase(), v.toLowerCase()];
        expect(run({ 'match<nc>': v }, feature)).toBe(f === lv);
        expect(run({ 'prefix<nc>': v }, feature)).toBe(f.startsWith(lv));
        expect(run({ 'suffix<nc>': v }, feature)).toBe(f.endsWith(lv));
        expect(run({ 'contains<nc>': v }, feature)).toBe(f.includes(lv));
      }),
      params(),
    );
  });

  test('a list of values ⇔ any of them alone', () => {
    fc.assert(
      fc.property(small, fc.array(small, { minLength: 1, maxLength: 4 }), (feature, values) => {
        for (const name of ['match', 'prefix', 'suffix', 'contains', 'tld', 'path']) {
          const alone = values.some((value) => run({ [name]: value }, feature));
          expect(run({ [name]: values }, feature)).toBe(alone);
        }
      }),
      params(),
    );
  });

  test('tld ⇔ the feature’s last labels are the value’s labels', () => {
    const tldArb = fc.oneof(
      fc.tuple(hostName, hostName),
      fc.tuple(hostName, hostName).map(([a, b]) => [`${a}.${b}`, b] as const),
      fc.tuple(label, hostName).map(([a, b]) => [`${a}${b}`, b] as const),
    );
    fc.assert(
      fc.property(tldArb, ([feature, value]) => {
        // A leading dot in the value is dropped (`.example.com` is `example.com`); see the row below.
        fc.pre(!value.startsWith('.'));
        const labels = feature.split('.');
        const wanted = value.split('.');
        const reference = labels.length >= wanted.length && labels.slice(-wanted.length).join('.') === value;
        expect(run({ tld: value }, feature)).toBe(reference);
        expect(run({ tld: `.${value}` }, feature)).toBe(reference);
        expect(run({ 'tld<nc>': value.toUpperCase() }, feature)).toBe(reference);
      }),
      params(),
    );
  });

  test('path ⇔ the value, or the value and one slash', () => {
    const segments = fc.array(fc.string({ unit: chars('ab'), maxLength: 2 }), { maxLength: 3 });
    const pathArb = fc
      .tuple(segments, segments, fc.constantFrom('', '/', '//', 'x'))
      .map(([a, b, end]) => [`/${a.join('/')}${end}`, `/${a.concat(b).join('/')}`] as const);
    fc.assert(
      fc.property(
        fc.oneof(
          pathArb,
          pathArb.map(([f, v]) => [v, f] as const),
        ),
        ([feature, value]) => {
          const bare = value.endsWith('/') ? value.slice(0, -1) : value;
          const reference = feature === bare || feature === `${bare}/`;
          expect(run({ path: value }, feature)).toBe(reference);
        },
      ),
      params(),
    );
  });

  test('rxp of an escaped literal ⇔ contains, with the match as capture 0; ^(…) ⇔ prefix', () => {
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    fc.assert(
      fc.property(featureAndValue, ([feature, value]) => {
        const c = ctx();
        const found = compileTest({ rxp: escape(value) })(feature, c);
        expect(found).toBe(feature.includes(value));
        if (found) expect(c.captures).toEqual([value]);
        const anchored = ctx();
        expect(compileTest({ rxp: `^(${escape(value)})` })(feature, anchored)).toBe(
          feature.startsWith(value),
        );
        if (feature.startsWith(value)) expect(anchored.captures).toEqual([value, value]);
      }),
      params(),
    );
  });
});

// ---------------------------------------------------------------------------------------------------

describe('numeric comparisons agree with the operators', () => {
  const int = fc.integer({ min: -1000, max: 1000 });
  /** The same number as an integer, a numeric string, or a duration. */
  const asFeature = (n: number, form: number): Feature =>
    form === 0 ? n : form === 1 ? String(n) : new Duration(n);

  test('eq ne lt le gt ge ⇔ === !== < <= > >= on integers, numeric strings and durations', () => {
    fc.assert(
      fc.property(int, int, fc.nat(2), (a, b, form) => {
        fc.pre(form !== 2 || a >= 0);
        const feature = asFeature(a, form);
        expect(run({ eq: b }, feature)).toBe(a === b);
        expect(run({ ne: b }, feature)).toBe(a !== b);
        expect(run({ lt: b }, feature)).toBe(a < b);
        expect(run({ le: b }, feature)).toBe(a <= b);
        expect(run({ gt: b }, feature)).toBe(a > b);
        expect(run({ ge: b }, feature)).toBe(a >= b);
        expect(run({ lt: String(b) }, feature)).toBe(a < b);
      }),
      params(),
    );
  });

  test('in [low, high] and "low-high" ⇔ low ≤ x ≤ high', () => {
    fc.assert(
      fc.property(int, int, int, (x, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(run({ in: [low, high] }, x)).toBe(low <= x && x <= high);
        expect(run({ in: `${low}-${high}` }, String(x))).toBe(low <= x && x <= high);
      }),
      params(),
    );
  });

  test('a string that is not a written integer matches no numeric comparison', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 6 }).filter((s) => !/^[+-]?\d+$/.test(s)),
        int,
        (feature, n) => {
          for (const name of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'])
            expect(run({ [name]: n }, feature)).toBe(false);
          expect(run({ in: [n, n + 10] }, feature)).toBe(false);
        },
      ),
      params(),
    );
  });
});

// ---------------------------------------------------------------------------------------------------

/** Random addresses: bytes, and a text form (IPv6 sometimes compressed, as URL hosts print it). */
interface Address {
  readonly family: 4 | 6;
  readonly bytes: number[];
}
const v4 = fc
  .array(fc.nat(255), { minLength: 4, maxLength: 4 })
  .map((bytes): Address => ({ family: 4, bytes }));
/** IPv6 with runs of zero groups, so `::` appears. */
const v6 = fc
  .array(fc.oneof(fc.constant(0), fc.nat(0xffff)), { minLength: 8, maxLength: 8 })
  .map((groups): Address => ({ family: 6, bytes: groups.flatMap((g) => [g >> 8, g & 0xff]) }));
const address = fc.oneof(v4, v6);

function textOf(a: Address, compress: boolean): string {
  if (a.family === 4) return a.bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) =>
    ((a.bytes[2 * i]! << 8) | a.bytes[2 * i + 1]!).toString(16),
  );
  const full = groups.join(':');
  return compress ? new URL(`http://[${full}]/`).hostname.slice(1, -1) : full;
}

function featureOf(a: Address, form: number): Feature {
  const t = textOf(a, form === 1);
  return form === 2 ? new IpAddress(a.family, Uint8Array.from(a.bytes), t) : t;
}

const bit = (bytes: readonly number[], i: number) => (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
const compare = (a: readonly number[], b: readonly number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
};
/** IPv4-mapped IPv6 as IPv4, so a reference can compare like with like. */
const unmapped = (a: Address): Address =>
  a.family === 6 && a.bytes.slice(0, 10).every((b) => b === 0) && a.bytes[10] === 0xff && a.bytes[11] === 0xff
    ? { family: 4, bytes: a.bytes.slice(12) }
    : a;

describe('IP ranges agree with a bit-by-bit reference', () => {
  /** A network near the address half of the time, so membership is common. */
  const cidrCase = address.chain((a) =>
    fc.tuple(
      fc.constant(a),
      fc.oneof(fc.constant(a), a.family === 4 ? v4 : v6),
      fc.nat(a.family === 4 ? 32 : 128),
      fc.nat(2),
      fc.boolean(),
    ),
  );

  test('CIDR membership ⇔ the first prefix-length bits are equal', () => {
    fc.assert(
      fc.property(cidrCase, ([a, network, bits, form, compress]) => {
        let reference = true;
        for (let i = 0; i < bits; i++) if (bit(a.bytes, i) !== bit(network.bytes, i)) reference = false;
        expect(run({ in: `${textOf(network, compress)}/${bits}` }, featureOf(a, form))).toBe(reference);
      }),
      params(),
    );
  });

  test('a range low-high ⇔ low ≤ address ≤ high byte by byte', () => {
    fc.assert(
      fc.property(fc.oneof(fc.tuple(v4, v4, v4), fc.tuple(v6, v6, v6)), fc.nat(2), ([a, x, y], form) => {
        const [low, high] = compare(x.bytes, y.bytes) <= 0 ? [x, y] : [y, x];
        const reference = compare(low.bytes, a.bytes) <= 0 && compare(a.bytes, high.bytes) <= 0;
        const node = { in: `${textOf(low, true)}-${textOf(high, false)}` };
        expect(run(node, featureOf(a, form))).toBe(reference);
      }),
      params(),
    );
  });

  test('an address of the other family is a member only through its IPv4-mapped form', () => {
    fc.assert(
      fc.property(v4, v6, fc.nat(32), (a, network, bits) => {
        // An unmapped IPv6 address is never in an IPv4 network.
        fc.pre(unmapped(network).family === 6);
        expect(run({ in: `${textOf(a, false)}/${bits}` }, textOf(network, true))).toBe(false);
        // The mapped form of a is in any IPv4 network that holds a.
        const mapped = `::ffff:${textOf(a, false)}`;
        expect(run({ in: `${textOf(a, false)}/${bits}` }, mapped)).toBe(true);
        expect(run({ eq: textOf(a, false) }, mapped)).toBe(true);
      }),
      params(),
    );
  });

  test('eq on addresses ⇔ the same bytes, whatever the spelling', () => {
    fc.assert(
      fc.property(address, address, fc.boolean(), fc.nat(2), (a, b, compress, form) => {
        const same = compare(unmapped(a).bytes, unmapped(b).bytes) === 0;
        const reference = unmapped(a).family === unmapped(b).family && same;
        expect(run({ eq: textOf(b, compress) }, featureOf(a, form))).toBe(reference);
        expect(run({ eq: textOf(a, !compress) }, featureOf(a, form))).toBe(true);
      }),
      params(),
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Random comparison trees against a reference evaluator, captures included.

type Tree =
  | {
      readonly kind: 'leaf';
      readonly name: 'match' | 'prefix' | 'suffix' | 'contains';
      readonly value: string;
    }
  | { readonly kind: 'rxp'; readonly value: string }
  | { readonly kind: 'is-empty' | 'is-null' }
  | { readonly kind: 'lt' | 'eq'; readonly value: number }
  | { readonly kind: 'any-of' | 'all-of' | 'none-of'; readonly list: readonly Tree[] }
  | { readonly kind: 'for-any' | 'for-all' | 'for-none'; readonly each: Tree };

const piece = fc.string({ unit: chars('ab'), maxLength: 2 });
const { tree } = fc.letrec<{ tree: Tree; leaf: Tree }>((tie) => ({
  leaf: fc.oneof(
    fc.record({
      kind: fc.constant('leaf' as const),
      name: fc.constantFrom('match' as const, 'prefix' as const, 'suffix' as const, 'contains' as const),
      value: piece,
    }),
    fc.record({ kind: fc.constant('rxp' as const), value: piece }),
    fc.record({ kind: fc.constantFrom('is-empty' as const, 'is-null' as const) }),
    fc.record({
      kind: fc.constantFrom('lt' as const, 'eq' as const),
      value: fc.integer({ min: -2, max: 2 }),
    }),
  ),
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.record({
      kind: fc.constantFrom('any-of' as const, 'all-of' as const, 'none-of' as const),
      list: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({
      kind: fc.constantFrom('for-any' as const, 'for-all' as const, 'for-none' as const),
      each: tie('tree'),
    }),
  ),
}));

function toNode(t: Tree): Record<string, unknown> {
  switch (t.kind) {
    case 'leaf':
      return { [t.name]: t.value };
    case 'rxp':
      return { rxp: `(${t.value})` };
    case 'is-empty':
    case 'is-null':
      return { [t.kind]: null };
    case 'lt':
    case 'eq':
      return { [t.kind]: t.value };
    case 'any-of':
    case 'all-of':
    case 'none-of':
      return { [t.kind]: t.list.map(toNode) };
    case 'for-any':
    case 'for-all':
    case 'for-none':
      return { [t.kind]: toNode(t.each) };
  }
}

/** The reference: [matched, captures after]. A comparison that does not match keeps the captures. */
function reference(t: Tree, f: Feature, captures: readonly string[]): [boolean, readonly string[]] {
  const asText = typeof f === 'string' ? f : typeof f === 'number' ? String(f) : undefined;
  const asNumber =
    typeof f === 'number' ? f : typeof f === 'string' && /^[+-]?\d+$/.test(f) ? Number(f) : undefined;
  switch (t.kind) {
    case 'leaf': {
      if (asText === undefined) return [false, captures];
      const ok =
        t.name === 'match'
          ? asText === t.value
          : t.name === 'prefix'
            ? asText.startsWith(t.value)
            : t.name === 'suffix'
              ? asText.endsWith(t.value)
              : asText.includes(t.value);
      return [ok, captures];
    }
    case 'rxp': {
      if (asText === undefined) return [false, captures];
      const at = asText.indexOf(t.value);
      return at === -1 ? [false, captures] : [true, [t.value, t.value]];
    }
    case 'is-empty':
      return [f === null || f === '' || (Array.isArray(f) && f.length === 0), captures];
    case 'is-null':
      return [f === null, captures];
    case 'lt':
      return [asNumber !== undefined && asNumber < t.value, captures];
    case 'eq':
      return [asNumber !== undefined && asNumber === t.value, captures];
    case 'any-of': {
      for (const member of t.list) {
        const [ok, after] = reference(member, f, captures);
        if (ok) return [true, after];
      }
      return [false, captures];
    }
    case 'all-of': {
      let now = captures;
      for (const member of t.list) {
        const [ok, after] = reference(member, f, now);
        if (!ok) return [false, captures];
        now = after;
      }
      return [true, now];
    }
    case 'none-of':
      return [t.list.every((member) => !reference(member, f, captures)[0]), captures];
    case 'for-any':
    case 'for-all':
    case 'for-none': {
      const elements: readonly Feature[] = Array.isArray(f) ? (f as readonly Feature[]) : [f];
      let now = captures;
      let any = false;
      let all = true;
      for (const element of elements) {
        const [ok, after] = reference(t.each, element, now);
        if (ok && t.kind === 'for-any') return [true, after];
        if (ok) now = after;
        any ||= ok;
        all &&= ok;
      }
      if (t.kind === 'for-any') return [false, captures];
      if (t.kind === 'for-all') return all ? [true, now] : [false, captures];
      return any ? [false, captures] : [true, captures];
    }
  }
}

const scalar: fc.Arbitrary<Feature> = fc.oneof(piece, fc.integer({ min: -3, max: 3 }), fc.constant(null));
const feature: fc.Arbitrary<Feature> = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));

describe('comparison trees agree with a reference evaluator', () => {
  test('the same answer and the same captures, starting from any captures', () => {
    fc.assert(
      fc.property(tree, feature, (t, f) => {
        const c = ctx();
        c.captures = ['start'];
        const [expected, captures] = reference(t, f, ['start']);
        expect(compileTest(toNode(t))(f, c)).toBe(expected);
        expect(c.captures).toEqual(captures);
      }),
      params(),
    );
  });

  test('none-of [x] ⇔ not x, and the for- comparisons on a scalar ⇔ the comparison itself', () => {
    fc.assert(
      fc.property(tree, scalar, (t, f) => {
        const alone = compileTest(toNode(t))(f, ctx());
        expect(compileTest({ 'none-of': [toNode(t)] })(f, ctx())).toBe(!alone);
        expect(compileTest({ 'for-any': toNode(t) })(f, ctx())).toBe(alone);
        expect(compileTest({ 'for-all': toNode(t) })(f, ctx())).toBe(alone);
        expect(compileTest({ 'for-none': toNode(t) })(f, ctx())).toBe(!alone);
      }),
      params(),
    );
  });
});
