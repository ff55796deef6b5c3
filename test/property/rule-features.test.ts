/**
 * Property tests of feature expressions: a random feature string of literals and extractors
 * evaluates to the concatenation of its parts (escapes and formats included); `hash` stays in range
 * and is stable; parseIpAddress round-trips IPv4 and IPv6 text and agrees with the WHATWG URL
 * serialiser on the canonical form; parseDuration sums its pairs. Time-boxed; the seed is printed.
 * Replay or widen a run with JUNCTION_FC_SEED=<seed> and JUNCTION_FC_RUNS=<n>.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  compileExpression,
  featureToString,
  parseDuration,
  parseIpAddress,
  ipAddressFromBytes,
} from '../../src/rules/features/index.ts';
import { TestEnv, fakeContext, type FakeOptions } from '../../src/rules/features/test-context.test-suite.ts';
import { RuleError, type CompiledFeature } from '../../src/rules/types.ts';

const SEED = process.env['JUNCTION_FC_SEED'] ? Number(process.env['JUNCTION_FC_SEED']) : Date.now() % 2 ** 31;
const RUNS = process.env['JUNCTION_FC_RUNS'] ? Number(process.env['JUNCTION_FC_RUNS']) : 300;
/** Per property; a widened run (JUNCTION_FC_RUNS) gets as long as it needs. */
const TIME_LIMIT_MS = process.env['JUNCTION_FC_RUNS'] ? 10 * 60_000 : 1_500;
console.log(`[rule feature properties] seed=${SEED} runs=${RUNS} (replay with JUNCTION_FC_SEED=${SEED})`);

function params<T>(numRuns = RUNS): fc.Parameters<T> {
  return { seed: SEED, numRuns, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS) as fc.Plugin<T>] };
}

const chars = (alphabet: string) => fc.constantFrom(...alphabet.split(''));

// ---------------------------------------------------------------------------------------------------
// Feature strings: literals (braces included, escaped by doubling) and extractors with known values.

/** What the fake transaction holds; each extractor below reads one of these. */
interface Values {
  host: string;
  path: string;
  field: string;
  variable: string;
  capture: string;
  port: number;
}

const fieldText = fc.string({ unit: chars('abc XYZ-_/:;,.{}<>'), maxLength: 12 }).map((v) => v.trim());
const values: fc.Arbitrary<Values> = fc.record({
  host: fc.string({ unit: chars('abcxyz0123.-'), minLength: 1, maxLength: 12 }).map((h) => h.toLowerCase()),
  path: fc.string({ unit: chars('abc/_-.%'), maxLength: 12 }).map((p) => `/${p}`),
  field: fieldText,
  variable: fc.string({ unit: 'grapheme', maxLength: 8 }),
  capture: fc.string({ maxLength: 8 }),
  port: fc.integer({ min: 1, max: 65535 }),
});

function options(v: Values): FakeOptions {
  return {
    request: { host: v.host, port: String(v.port), path: v.path, headers: ['X-Test', v.field] },
    vars: { v: v.variable },
    captures: ['whole', v.capture],
  };
}

/** An extractor, and the text it must render given the values. */
const EXTRACTORS: readonly (readonly [string, (v: Values) => string])[] = [
  ['ua-req-host', (v) => v.host],
  ['ua-req-path', (v) => v.path.slice(1)], // TxnBox's path: no leading slash
  ['ua-req-port', (v) => String(v.port)],
  ['ua-req-loc', (v) => `${v.host}:${v.port}`],
  ['ua-req-field<x-test>', (v) => v.field],
  ['ua-req-field<x-absent>', () => ''],
  ['var<v>', (v) => v.variable],
  ['1', (v) => v.capture],
  ['9', () => ''],
];

interface Format {
  align: '<' | '>' | '^' | '';
  fill: string;
  width: number;
  precision: number | undefined;
}

type Part =
  { kind: 'literal'; text: string } | { kind: 'extractor'; index: number; format: Format | undefined };

const format: fc.Arbitrary<Format> = fc.record({
  align: fc.constantFrom('<', '>', '^', '' as const),
  fill: chars('*.-0'),
  width: fc.nat(20),
  precision: fc.option(fc.nat(10), { nil: undefined }),
});

const part: fc.Arbitrary<Part> = fc.oneof(
  fc.record({
    kind: fc.constant('literal' as const),
    text: fc.string({ unit: chars('ab {}<>:|'), maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant('extractor' as const),
    index: fc.nat(EXTRACTORS.length - 1),
    format: fc.option(format, { nil: undefined }),
  }),
);

const escape = (text: string) => text.replaceAll('{', '{{').replaceAll('}', '}}');

function source(parts: readonly Part[]): string {
  return parts
    .map((p) => {
      if (p.kind === 'literal') return escape(p.text);
      const name = EXTRACTORS[p.index]![0];
      if (p.format === undefined) return `{${name}}`;
      const { align, fill, width, precision } = p.format;
      const spec = `${align === '' ? '' : fill + align}${width === 0 ? '' : width}${precision === undefined ? '' : `.${precision}`}`;
      return `{${name}:${spec}}`;
    })
    .join('');
}

/** The reference: Python-style padding, written with padStart/padEnd. */
function reference(parts: readonly Part[], v: Values): string {
  return parts
    .map((p) => {
      if (p.kind === 'literal') return p.text;
      const [name, render] = EXTRACTORS[p.index]!;
      let text = render(v);
      if (p.format === undefined) return text;
      const { align, fill, width, precision } = p.format;
      if (precision !== undefined) text = text.slice(0, precision);
      const pad = Math.max(0, width - text.length);
      const padWith = align === '' ? ' ' : fill;
      const effective = align === '' ? (name === 'ua-req-port' ? '>' : '<') : align;
      if (effective === '<') return text.padEnd(text.length + pad, padWith);
      if (effective === '>') return text.padStart(text.length + pad, padWith);
      const left = Math.floor(pad / 2);
      return padWith.repeat(left) + text + padWith.repeat(pad - left);
    })
    .join('');
}

describe('feature strings', () => {
  test('evaluate to the concatenation of their parts', () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 8 }), values, (parts, v) => {
        const compiled = compileExpression(source(parts), new TestEnv('send-response'));
        const result = compiled.evaluate(fakeContext(options(v)));
        // One unformatted extractor alone keeps its type; anything else is a string.
        const written = parts.filter((p) => p.kind === 'extractor' || p.text !== '');
        const only =
          written.length === 1 && written[0]!.kind === 'extractor' && written[0]!.format === undefined;
        if (!only) expect(typeof result).toBe('string');
        expect(featureToString(result)).toBe(reference(parts, v));
      }),
      params(),
    );
  });

  test('any text with its braces doubled is that text, as a constant', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        const compiled = compileExpression(escape(text), new TestEnv());
        expect(compiled.constant).toBe(text);
      }),
      params(),
    );
  });

  test('braces and letters either fail with a RuleError or are literal text with the escapes undone', () => {
    fc.assert(
      fc.property(fc.string({ unit: chars('ab{}'), maxLength: 10 }), (text) => {
        let compiled: CompiledFeature;
        try {
          compiled = compileExpression(text, new TestEnv());
        } catch (error) {
          expect(error).toBeInstanceOf(RuleError);
          return;
        }
        // No extractor is called a, b or ab: what compiles is text with doubled braces only.
        expect(compiled.constant).toBe(text.replaceAll('{{', '{').replaceAll('}}', '}'));
      }),
      params(),
    );
  });
});

// ---------------------------------------------------------------------------------------------------

describe('hash', () => {
  test('stays in [0, N), is stable across compilations, and is the same for a constant and a field', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }).filter((s) => !/[\r\n\0]/.test(s) && s.trim() === s),
        fc.integer({ min: 1, max: 2 ** 32 }),
        (key, buckets) => {
          const constant = compileExpression([escape(key), { hash: buckets }], new TestEnv());
          const again = compileExpression([escape(key), { hash: buckets }], new TestEnv());
          const field = compileExpression(['{ua-req-field<x-key>}', { hash: buckets }], new TestEnv());
          const value = constant.constant;
          expect(Number.isSafeInteger(value)).toBe(true);
          expect(value as number).toBeGreaterThanOrEqual(0);
          expect(value as number).toBeLessThan(buckets);
          expect(again.constant).toBe(value);
          const ctx = fakeContext({ request: { headers: key === '' ? ['X-Key', ''] : ['X-Key', key] } });
          expect(field.evaluate(ctx)).toBe(value);
          expect(field.evaluate(ctx)).toBe(value);
        },
      ),
      params(),
    );
  });
});

// ---------------------------------------------------------------------------------------------------

const hexGroup = fc.integer({ min: 0, max: 0xffff });

/** Some spelling of the 16 bytes: full, leading zeros, mixed case, `::` somewhere valid. */
function ipv6Spellings(groups: readonly number[]): fc.Arbitrary<string> {
  const full = fc.tuple(fc.boolean(), fc.boolean()).map(([upper, padded]) =>
    groups
      .map((g) => {
        const hex = padded ? g.toString(16).padStart(4, '0') : g.toString(16);
        return upper ? hex.toUpperCase() : hex;
      })
      .join(':'),
  );
  // Any run of zero groups may be written '::' (the canonical form picks the longest).
  const zeroRuns: [number, number][] = [];
  for (let i = 0; i < 8; i++) {
    for (let j = i + 1; j <= 8; j++) {
      if (groups.slice(i, j).every((g) => g === 0)) zeroRuns.push([i, j]);
    }
  }
  if (zeroRuns.length === 0) return full;
  const compressed = fc.constantFrom(...zeroRuns).map(
    ([i, j]) =>
      `${groups
        .slice(0, i)
        .map((g) => g.toString(16))
        .join(':')}::${groups
        .slice(j)
        .map((g) => g.toString(16))
        .join(':')}`,
  );
  return fc.oneof(full, compressed);
}

/** Groups with many zeros, so `::` runs of every length appear. */
const ipv6Groups = fc.array(fc.oneof(fc.constant(0), fc.constant(0), hexGroup), {
  minLength: 8,
  maxLength: 8,
});

describe('parseIpAddress', () => {
  test('IPv4 text round-trips through the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
        const text = [...bytes].join('.');
        const address = parseIpAddress(text)!;
        expect(address.family).toBe(4);
        expect([...address.bytes]).toEqual([...bytes]);
        expect(address.text).toBe(text);
        expect(ipAddressFromBytes(bytes).text).toBe(text);
      }),
      params(),
    );
  });

  test('every IPv6 spelling gives the same bytes and one canonical text, which parses back to itself', () => {
    fc.assert(
      fc.property(
        ipv6Groups.chain((groups) => fc.tuple(fc.constant(groups), ipv6Spellings(groups))),
        ([groups, spelling]) => {
          const address = parseIpAddress(spelling)!;
          expect(address, spelling).toBeDefined();
          expect(address.family).toBe(6);
          const expected = groups.flatMap((g) => [g >> 8, g & 0xff]);
          expect([...address.bytes]).toEqual(expected);
          expect(parseIpAddress(`[${spelling}]`)!.text).toBe(address.text);
          const again = parseIpAddress(address.text)!;
          expect(again.text).toBe(address.text);
          expect([...again.bytes]).toEqual(expected);
          expect(ipAddressFromBytes(address.bytes).text).toBe(address.text);
          // The canonical text is RFC 5952's, which WHATWG URL also writes, except that an
          // IPv4-mapped address is written with its IPv4 part dotted (as Node reports peers).
          const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
          if (!mapped) expect(address.text).toBe(new URL(`http://[${spelling}]/`).hostname.slice(1, -1));
        },
      ),
      params(),
    );
  });

  test('an IPv6 address with an embedded IPv4 tail parses to the same bytes as its hex spelling', () => {
    fc.assert(
      fc.property(
        fc.array(hexGroup, { minLength: 6, maxLength: 6 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        (head, tail) => {
          const dotted = parseIpAddress(
            `${head.map((g) => g.toString(16)).join(':')}:${[...tail].join('.')}`,
          )!;
          const hex = parseIpAddress(
            [...head, (tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!]
              .map((g) => g.toString(16))
              .join(':'),
          )!;
          expect([...dotted.bytes]).toEqual([...hex.bytes]);
          expect(dotted.text).toBe(hex.text);
        },
      ),
      params(),
    );
  });
});

// ---------------------------------------------------------------------------------------------------

const UNITS: readonly (readonly [string, number])[] = [
  ['ms', 1],
  ['s', 1000],
  ['sec', 1000],
  ['m', 60_000],
  ['minutes', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
  ['w', 604_800_000],
];

describe('parseDuration', () => {
  test('is the sum of its pairs, whatever the spacing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1000), fc.nat(UNITS.length - 1), chars(' \t'), fc.boolean()), {
          minLength: 1,
          maxLength: 5,
        }),
        (pairs) => {
          const text = pairs
            .map(([n, unit, space, spaced]) => `${n}${spaced ? space : ''}${UNITS[unit]![0]}`)
            .join(' ');
          const total = pairs.reduce((sum, [n, unit]) => sum + n * UNITS[unit]![1], 0);
          expect(parseDuration(text)).toBe(total);
        },
      ),
      params(),
    );
  });
});
