/**
 * Property tests of the body transforms: text replacement gives the same result however the body is
 * cut into chunks (and the same as replacing in the whole string), and compression round-trips any
 * bytes under any chunking. Time-boxed; the seed is printed. Replay or widen a run with
 * JUNCTION_FC_SEED=<seed> and JUNCTION_FC_RUNS=<n>.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { requestHead, responseHead } from '../../src/transforms/heads.test-suite.ts';
import { runThrough } from '../../src/transforms/sink.test-suite.ts';
import {
  compressResponse,
  negotiateEncoding,
  ReplaceStream,
  type BodyTransform,
  type Replacement,
} from '../../src/transforms/index.ts';

const SEED = process.env['JUNCTION_FC_SEED'] ? Number(process.env['JUNCTION_FC_SEED']) : Date.now() % 2 ** 31;
const RUNS = process.env['JUNCTION_FC_RUNS'] ? Number(process.env['JUNCTION_FC_RUNS']) : 250;
/** Per property; a widened run (JUNCTION_FC_RUNS) gets as long as it needs. */
const TIME_LIMIT_MS = process.env['JUNCTION_FC_RUNS'] ? 10 * 60_000 : 2_500;
console.log(`[transforms properties] seed=${SEED} runs=${RUNS} (replay with JUNCTION_FC_SEED=${SEED})`);

function params<T>(numRuns = RUNS): fc.Parameters<T> {
  return { seed: SEED, numRuns, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS) as fc.Plugin<T>] };
}

/** Few letters, so matches are frequent; one-, two-, three- and four-byte UTF-8 characters among them. */
const LETTER = fc.constantFrom('a', 'b', 'a', 'b', ' ', 'é', '€', '😀');
const text = (maxLength: number) => fc.string({ unit: LETTER, maxLength });
const search = fc.string({ unit: LETTER, minLength: 1, maxLength: 5 });
const replacement = fc.string({ unit: LETTER, maxLength: 5 });

/** Cuts a buffer at the given byte positions (any order, any value); splits characters freely. */
function cut(buf: Buffer, positions: readonly number[]): Buffer[] {
  const points = [...new Set(positions.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    parts.push(buf.subarray(from, point));
    from = point;
  }
  parts.push(buf.subarray(from));
  return parts;
}
const cuts = fc.array(fc.nat(), { maxLength: 12 });

function replacing(pairs: readonly Replacement[]): BodyTransform {
  return { name: 'replace', stream: () => new ReplaceStream(pairs) };
}

/** The specification: scan left to right; at each position the first listed search that matches wins. */
function replaceReference(input: string, pairs: readonly Replacement[]): string {
  let out = '';
  let i = 0;
  scan: while (i < input.length) {
    for (const [find, put] of pairs) {
      if (input.startsWith(find, i)) {
        out += put;
        i += find.length;
        continue scan;
      }
    }
    out += input[i]!;
    i++;
  }
  return out;
}

describe('replaceText streaming', () => {
  test('one search: any chunking gives text.split(search).join(replace)', async () => {
    await fc.assert(
      fc.asyncProperty(text(60), search, replacement, cuts, async (body, find, put, at) => {
        const out = await runThrough(replacing([[find, put]]), cut(Buffer.from(body), at));
        expect(out.toString('utf8')).toBe(body.split(find).join(put));
      }),
      params(),
    );
  });

  test('a search taken from the text itself, in one-byte chunks', async () => {
    await fc.assert(
      fc.asyncProperty(text(40), fc.nat(), fc.nat(4), replacement, async (body, start, extra, put) => {
        // Code points, so the search never starts or ends inside a character.
        const chars = Array.from(body);
        fc.pre(chars.length > 0);
        const from = start % chars.length;
        const find = chars.slice(from, from + 1 + extra).join('');
        const bytes = Buffer.from(body);
        const oneByOne = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
        const out = await runThrough(replacing([[find, put]]), oneByOne);
        expect(out.toString('utf8')).toBe(body.split(find).join(put));
      }),
      params(),
    );
  });

  test('several searches: any chunking gives the leftmost-first replacement of the whole text', async () => {
    await fc.assert(
      fc.asyncProperty(
        text(60),
        fc.array(fc.tuple(search, replacement), { minLength: 1, maxLength: 4 }),
        cuts,
        async (body, pairs, at) => {
          const out = await runThrough(replacing(pairs), cut(Buffer.from(body), at));
          expect(out.toString('utf8')).toBe(replaceReference(body, pairs));
        },
      ),
      params(),
    );
  });

  test('any Unicode text: chunking never changes the result', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
        fc.string({ unit: 'binary', maxLength: 3 }),
        cuts,
        async (body, find, put, at) => {
          const out = await runThrough(replacing([[find, put]]), cut(Buffer.from(body), at));
          expect(out.toString('utf8')).toBe(body.split(find).join(put));
        },
      ),
      params(),
    );
  });
});

describe('compression', () => {
  test.each(['gzip', 'br'] as const)('%s round-trips any bytes under any chunking', async (coding) => {
    const factory = compressResponse({ minSize: 0 });
    const request = requestHead([`Accept-Encoding: ${coding}`]);
    const response = responseHead(['Content-Type: text/plain', 'Transfer-Encoding: chunked']);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), cuts, async (raw, at) => {
        const body = Buffer.from(raw);
        const out = await runThrough(factory(request, response)!, cut(body, at));
        const decoded = coding === 'gzip' ? gunzipSync(out) : brotliDecompressSync(out);
        expect(decoded.equals(body)).toBe(true);
      }),
      params(Math.min(RUNS, 60)),
    );
  });

  test('negotiation never picks a coding the client weighed 0', () => {
    const element = fc.tuple(
      fc.constantFrom('gzip', 'br', 'x-gzip', 'identity', '*', 'deflate', 'GZIP', 'Br'),
      fc.option(fc.constantFrom('0', '0.0', '0.5', '1', '0.001', '1.000', 'bad'), { nil: undefined }),
    );
    fc.assert(
      fc.property(fc.array(element, { maxLength: 6 }), (elements) => {
        const header = elements.map(([c, q]) => (q === undefined ? c : `${c};q=${q}`)).join(', ');
        const chosen = negotiateEncoding(header, ['br', 'gzip']);
        if (chosen === undefined) return;
        const zeroed = elements.some(
          ([c, q]) =>
            (c.toLowerCase() === chosen || (chosen === 'gzip' && c === 'x-gzip')) &&
            (q === '0' || q === '0.0'),
        );
        expect(zeroed).toBe(false);
      }),
      params(),
    );
  });
});
