/**
 * Property tests of the codec (STYLE.md 2.7): split invariance, serialize ∘ parse round trips, no throw
 * on arbitrary bytes with the limits always holding, and a differential run against Node's own parser
 * (llhttp behind node:http). Time-boxed; the seed is printed. Replay or widen a run with
 * JUNCTION_FC_SEED=<seed> and JUNCTION_FC_RUNS=<n>.
 */
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ChunkedDecoder,
  parseRequestHead,
  parseResponseHead,
  serializeRequestHead,
  serializeResponseHead,
  type HeadLimits,
  type HeadStep,
  type RequestHead,
  type ResponseHead,
} from '../../src/codec/index.ts';
import { ERROR_CODES, HttpParseError } from '../../src/errors/index.ts';
import { serializeUpstreamRequestHead } from '../../src/transaction/forward-heads.ts';

const SEED = process.env['JUNCTION_FC_SEED'] ? Number(process.env['JUNCTION_FC_SEED']) : Date.now() % 2 ** 31;
const RUNS = process.env['JUNCTION_FC_RUNS'] ? Number(process.env['JUNCTION_FC_RUNS']) : 250;
/** Per property; a widened run (JUNCTION_FC_RUNS) gets as long as it needs. */
const TIME_LIMIT_MS = process.env['JUNCTION_FC_RUNS'] ? 10 * 60_000 : 2_500;
console.log(`[codec properties] seed=${SEED} runs=${RUNS} (replay with JUNCTION_FC_SEED=${SEED})`);

function params<T>(numRuns = RUNS): fc.Parameters<T> {
  return { seed: SEED, numRuns, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS) as fc.Plugin<T>] };
}

const LIMITS: HeadLimits = { maxHeadBytes: 16384, maxHeaderCount: 100, maxRequestLineBytes: 8192 };

// ---------------------------------------------------------------------------------------------------
// Generators of valid messages, with what a correct parser must report for them.

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PCHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@";
const VCHARS = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
const SPECIAL =
  /^(host|content[-_]length|transfer[-_]encoding|connection|expect|upgrade|keep-alive|te|trailer)$/i;

const chars = (alphabet: string) => fc.constantFrom(...alphabet.split(''));
const token = (max: number) => fc.string({ unit: chars(TCHARS), minLength: 1, maxLength: max });
const fieldName = token(16).filter((n) => !SPECIAL.test(n));
/** No leading or trailing whitespace, so the value round-trips exactly. */
const fieldValue = () =>
  fc
    .string({
      unit: fc.oneof(chars(VCHARS + ' \t'), chars('\x80\xa0\xe9\xff')),
      maxLength: 40,
    })
    .map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ''));
const pctEncoded = fc
  .tuple(chars('0123456789ABCDEFabcdef'), chars('0123456789ABCDEF'))
  .map(([a, b]) => `%${a}${b}`);
const pathText = fc
  .array(fc.oneof(chars(PCHARS + '/'), pctEncoded), { maxLength: 30 })
  .map((parts) => '/' + parts.join(''));
const queryText = fc.option(
  fc.array(fc.oneof(chars(PCHARS + '/?'), pctEncoded), { maxLength: 20 }).map((p) => '?' + p.join('')),
  { nil: '' },
);
const label = fc.string({
  unit: chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-'),
  minLength: 1,
  maxLength: 10,
});
const hostName = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.')),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.')),
  fc.constantFrom('[::1]', '[2001:db8::1]', '[::ffff:10.0.0.1]'),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }).map(String), { nil: '' });
const authority = fc.record({ host: hostName, port });
const hostField = ({ host, port: p }: { host: string; port: string }) => (p ? `${host}:${p}` : host);

type Body =
  | { kind: 'none' }
  | { kind: 'length'; data: Uint8Array; name: string }
  | {
      kind: 'chunked';
      chunks: Uint8Array[];
      ext: string[];
      upperHex: boolean;
      trailers: [string, string][];
      value: string;
    };

interface RequestModel {
  method: string;
  versionMinor: 0 | 1;
  absolute: { scheme: string; host: string; port: string } | null;
  path: string;
  query: string;
  host: { host: string; port: string };
  fields: [string, string][];
  connection: string;
  body: Body;
}

const STANDARD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'];

const body = (versionMinor: 0 | 1, llhttpSafe = false): fc.Arbitrary<Body> =>
  fc.oneof(
    fc.constant<Body>({ kind: 'none' }),
    fc.record({
      kind: fc.constant('length' as const),
      data: fc.uint8Array({ maxLength: 300 }),
      name: fc.constantFrom('Content-Length', 'content-length', 'CONTENT-LENGTH'),
    }),
    ...(versionMinor === 0
      ? []
      : [
          fc.record({
            kind: fc.constant('chunked' as const),
            chunks: fc.array(fc.uint8Array({ minLength: 1, maxLength: 120 }), { maxLength: 5 }),
            ext: fc.array(fc.constantFrom('', ';a', ';a=b', ';name="q v"', ';x;y=1'), {
              minLength: 6,
              maxLength: 6,
            }),
            upperHex: fc.boolean(),
            trailers: fc.array(fc.tuple(fieldName, fieldValue()), { maxLength: 3 }),
            // llhttp refuses a trailing HTAB after chunked (though RFC 9110 OWS allows it), so the
            // differential run sends only forms both accept.
            value: !llhttpSafe
              ? fc.constantFrom('chunked', 'Chunked', 'CHUNKED', ' chunked\t')
              : fc.constantFrom('chunked', 'Chunked', ' chunked '),
          }),
        ]),
  );

const requestModel = (opts: { methods: string[]; llhttpSafe?: boolean }): fc.Arbitrary<RequestModel> =>
  fc.constantFrom<0 | 1>(0, 1).chain((versionMinor) =>
    fc.record({
      method: fc.oneof(
        fc.constantFrom(...opts.methods),
        ...(opts.methods === STANDARD_METHODS ? [] : [token(10).filter((t) => t !== 'CONNECT')]),
      ),
      versionMinor: fc.constant(versionMinor),
      absolute: fc.option(
        fc.record({ scheme: fc.constantFrom('http', 'https', 'HTTP'), host: hostName, port }),
        { nil: null, freq: 4 },
      ),
      path: pathText,
      query: queryText,
      host: authority,
      fields: fc.array(fc.tuple(fieldName, fieldValue()), { maxLength: 12 }),
      connection: fc.constantFrom('', 'keep-alive', 'close', 'Keep-Alive, X-Foo', 'TE'),
      body: body(versionMinor, opts.llhttpSafe),
    }),
  );

function targetOf(m: RequestModel): string {
  if (m.absolute === null) return m.path + m.query;
  const { scheme, host, port: p } = m.absolute;
  return `${scheme}://${p ? `${host}:${p}` : host}${m.path}${m.query}`;
}

function headerListOf(m: RequestModel): string[] {
  const list = ['Host', hostField(m.host)];
  for (const [n, v] of m.fields) list.push(n, v);
  if (m.connection) list.push('Connection', m.connection);
  if (m.body.kind === 'length') list.push(m.body.name, String(m.body.data.length));
  if (m.body.kind === 'chunked') list.push('Transfer-Encoding', m.body.value);
  return list;
}

function bodyBytes(b: Body): Buffer {
  if (b.kind === 'none') return Buffer.alloc(0);
  if (b.kind === 'length') return Buffer.from(b.data);
  const parts: Buffer[] = [];
  b.chunks.forEach((c, i) => {
    const size = c.length.toString(16);
    parts.push(
      Buffer.from(`${b.upperHex ? size.toUpperCase() : size}${b.ext[i] ?? ''}\r\n`),
      Buffer.from(c),
      Buffer.from('\r\n'),
    );
  });
  parts.push(Buffer.from(`0${b.ext[5] ?? ''}\r\n`));
  for (const [n, v] of b.trailers) parts.push(Buffer.from(`${n}: ${v}\r\n`, 'latin1'));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

function payloadOf(b: Body): Buffer {
  if (b.kind === 'none') return Buffer.alloc(0);
  if (b.kind === 'length') return Buffer.from(b.data);
  return Buffer.concat(b.chunks);
}

function requestBytes(m: RequestModel): { head: string; bytes: Buffer } {
  const head = serializeRequestHead(m.method, targetOf(m), headerListOf(m), m.versionMinor);
  return { head, bytes: Buffer.concat([Buffer.from(head, 'latin1'), bodyBytes(m.body)]) };
}

/** What the parser must report for the model. */
function expectedHead(m: RequestModel): RequestHead {
  const auth = m.absolute ?? m.host;
  const tokens = m.connection
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
  const keepAlive = m.versionMinor === 1 ? !tokens.includes('close') : tokens.includes('keep-alive');
  return {
    method: m.method,
    target: targetOf(m),
    versionMinor: m.versionMinor,
    host: auth.host.toLowerCase(),
    port: auth.port,
    path: m.path,
    query: m.query,
    headers: headerListOf(m).map((v, i) => (i % 2 === 1 ? v.replace(/^[ \t]+|[ \t]+$/g, '') : v)),
    bodyKind: m.body.kind,
    contentLength: m.body.kind === 'length' ? m.body.data.length : -1,
    keepAlive,
    connectionTokens: tokens,
    expectContinue: false,
    upgrade: false,
  };
}

// ---------------------------------------------------------------------------------------------------
// A proxy's way of reading: re-parse the head from the accumulated bytes, then feed the body piece by piece.

/** Cut points → pieces. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    if (p > last) pieces.push(bytes.subarray(last, p));
    last = p;
  }
  return pieces;
}

/** Copies bytes into a bigger buffer with junk around them, as a pooled slab would hold them. */
function inSlab(bytes: Buffer, pad: number): { buf: Buffer; start: number; end: number } {
  const buf = Buffer.alloc(bytes.length + 2 * pad, 0x0a);
  bytes.copy(buf, pad);
  return { buf, start: pad, end: pad + bytes.length };
}

interface Read<H> {
  step: HeadStep<H>['kind'];
  head?: H;
  headBytes?: number;
  body?: Buffer;
  bodyDone?: boolean;
  rest?: Buffer;
}

function readMessage<H extends RequestHead | ResponseHead>(
  pieces: Buffer[],
  parse: (buf: Buffer, start: number, end: number) => HeadStep<H>,
  pad: number,
): Read<H> {
  let acc = Buffer.alloc(0);
  let i = 0;
  let done: Extract<HeadStep<H>, { kind: 'done' }> | undefined;
  while (i < pieces.length) {
    acc = Buffer.concat([acc, pieces[i++]!]);
    const { buf, start, end } = inSlab(acc, pad);
    const step = parse(buf, start, end);
    if (step.kind === 'reject') return { step: 'reject' };
    if (step.kind === 'done') {
      done = step;
      break;
    }
  }
  if (done === undefined) return { step: 'need-more' };
  const head = done.head;
  const after = [acc.subarray(done.consumed), ...pieces.slice(i)];
  const data: Buffer[] = [];
  const rest: Buffer[] = [];
  const state = { bodyDone: false };
  if (head.bodyKind === 'chunked') {
    const decoder = new ChunkedDecoder('client');
    const sink = {
      onData: (b: Buffer, s: number, e: number) => data.push(Buffer.from(b.subarray(s, e))),
      onEnd: () => (state.bodyDone = true),
    };
    for (const piece of after) {
      if (state.bodyDone) {
        rest.push(piece);
        continue;
      }
      const r = decoder.feed(piece, 0, piece.length, sink);
      if (r.kind === 'reject') throw new Error(`valid chunked body rejected: ${r.error.message}`);
      if (r.done) rest.push(piece.subarray(r.consumed));
    }
  } else {
    let left = head.bodyKind === 'length' ? head.contentLength : 0;
    for (const piece of after) {
      const n = Math.min(left, piece.length);
      data.push(piece.subarray(0, n));
      rest.push(piece.subarray(n));
      left -= n;
    }
    state.bodyDone = left === 0;
  }
  return {
    step: 'done',
    head,
    headBytes: done.consumed,
    body: Buffer.concat(data),
    bodyDone: state.bodyDone,
    rest: Buffer.concat(rest),
  };
}

const parseReq = (buf: Buffer, start: number, end: number) => parseRequestHead(buf, start, end, LIMITS);
const NEXT = Buffer.from('GET /next HTTP/1.1\r\nHost: n\r\n\r\n');
const cutsArb = fc.array(fc.nat(4000), { maxLength: 12 });

describe('split invariance', () => {
  test('requests: any split gives the head and body of the whole', () => {
    fc.assert(
      fc.property(
        requestModel({ methods: STANDARD_METHODS.concat(['CUSTOM']) }),
        cutsArb,
        fc.nat(9),
        (model, cuts, pad) => {
          const { bytes } = requestBytes(model);
          const input = Buffer.concat([bytes, NEXT]);
          const whole = readMessage([input], parseReq, 0);
          const pieces = readMessage(split(input, cuts), parseReq, pad);
          expect(whole.step).toBe('done');
          expect(whole.head).toEqual(expectedHead(model));
          expect(whole.body).toEqual(payloadOf(model.body));
          expect(whole.bodyDone).toBe(true);
          expect(whole.rest).toEqual(NEXT);
          expect(pieces).toEqual(whole);
        },
      ),
      params(),
    );
  });

  test('responses: any split gives the head and body of the whole', () => {
    const response = fc.record({
      status: fc.oneof(
        fc.constantFrom(200, 201, 204, 301, 304, 404, 500),
        fc.integer({ min: 100, max: 999 }),
      ),
      reason: fieldValue(),
      versionMinor: fc.constantFrom<0 | 1>(0, 1),
      fields: fc.array(fc.tuple(fieldName, fieldValue()), { maxLength: 12 }),
      body: body(1),
      method: fc.constantFrom('GET', 'HEAD', 'POST'),
    });
    fc.assert(
      fc.property(response, cutsArb, fc.nat(9), (r, cuts, pad) => {
        const b: Body = r.versionMinor === 0 && r.body.kind === 'chunked' ? { kind: 'none' } : r.body;
        const headers = r.fields.flat();
        if (b.kind === 'length') headers.push('Content-Length', String(b.data.length));
        if (b.kind === 'chunked') headers.push('Transfer-Encoding', 'chunked');
        const noBody = r.method === 'HEAD' || r.status < 200 || r.status === 204 || r.status === 304;
        const text = serializeResponseHead(r.status, r.reason, headers, r.versionMinor);
        // A close-delimited body has no end; give it none so the rest stays comparable.
        const sent = noBody || b.kind === 'none' ? Buffer.alloc(0) : bodyBytes(b);
        const input = Buffer.concat([Buffer.from(text, 'latin1'), sent]);
        const parse = (buf: Buffer, start: number, end: number) =>
          parseResponseHead(buf, start, end, LIMITS, r.method);
        const whole = readMessage([input], parse, 0);
        expect(whole.step).toBe('done');
        expect(whole.head).toMatchObject({
          status: r.status,
          reason: r.reason,
          versionMinor: r.versionMinor,
          headers,
          bodyKind: noBody ? 'none' : b.kind === 'none' ? 'close' : b.kind,
        });
        expect(whole.body).toEqual(noBody ? Buffer.alloc(0) : payloadOf(b));
        expect(readMessage(split(input, cuts), parse, pad)).toEqual(whole);
      }),
      params(),
    );
  });

  test('chunked bodies: any split gives the same bytes and the same end', () => {
    fc.assert(
      fc.property(body(1), cutsArb, (b, cuts) => {
        fc.pre(b.kind === 'chunked');
        const input = Buffer.concat([bodyBytes(b), NEXT]);
        const run = (pieces: Buffer[]) => {
          const decoder = new ChunkedDecoder('upstream');
          const out: Buffer[] = [];
          let ends = 0;
          let consumed = 0;
          for (const piece of pieces) {
            const r = decoder.feed(piece, 0, piece.length, {
              onData: (buf, s, e) => out.push(Buffer.from(buf.subarray(s, e))),
              onEnd: () => ends++,
            });
            if (r.kind === 'reject') return r.error.message;
            consumed += r.consumed;
          }
          return { data: Buffer.concat(out), ends, consumed };
        };
        const whole = run([input]);
        expect(whole).toEqual({ data: payloadOf(b), ends: 1, consumed: input.length - NEXT.length });
        expect(run(split(input, cuts))).toEqual(whole);
      }),
      params(),
    );
  });
});

describe('serialize ∘ parse', () => {
  test('request heads: parse(serialize(head)) is the head, and serialize(parse(bytes)) the bytes', () => {
    fc.assert(
      fc.property(requestModel({ methods: STANDARD_METHODS }), (model) => {
        const { head: text } = requestBytes(model);
        const buf = Buffer.from(text, 'latin1');
        const first = parseRequestHead(buf, 0, buf.length, LIMITS);
        if (first.kind !== 'done') throw new Error(`expected done for ${JSON.stringify(text)}`);
        const h = first.head;
        const again = serializeRequestHead(h.method, h.target, h.headers, h.versionMinor);
        // The parser trims values; everything else comes back byte for byte.
        expect(again).toBe(
          serializeRequestHead(
            model.method,
            targetOf(model),
            expectedHead(model).headers,
            model.versionMinor,
          ),
        );
        const buf2 = Buffer.from(again, 'latin1');
        expect(parseRequestHead(buf2, 0, buf2.length, LIMITS)).toMatchObject({ kind: 'done', head: h });
      }),
      params(),
    );
  });

  test('response heads round-trip', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 999 }),
        fieldValue(),
        fc.constantFrom<0 | 1>(0, 1),
        fc.array(fc.tuple(fieldName, fieldValue()), { maxLength: 10 }),
        (status, reason, versionMinor, fields) => {
          const text = serializeResponseHead(status, reason, fields.flat(), versionMinor);
          const buf = Buffer.from(text, 'latin1');
          const step = parseResponseHead(buf, 0, buf.length, LIMITS, 'GET');
          if (step.kind !== 'done') throw new Error(`expected done for ${JSON.stringify(text)}`);
          const h = step.head;
          expect(serializeResponseHead(h.status, h.reason, h.headers, h.versionMinor)).toBe(text);
        },
      ),
      params(),
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Hostile input: arbitrary bytes, and valid messages with a few bytes changed (which reach deeper states).

const smallLimits = fc.record({
  maxHeadBytes: fc.integer({ min: 1, max: 600 }),
  maxHeaderCount: fc.integer({ min: 0, max: 20 }),
  maxRequestLineBytes: fc.integer({ min: 1, max: 300 }),
});
const INTERESTING = [0x00, 0x09, 0x0a, 0x0b, 0x0d, 0x20, 0x2c, 0x3a, 0x3b, 0x7f, 0x80, 0xff, 0x5f];
const mutation = fc.tuple(
  fc.nat(),
  fc.constantFrom('set', 'insert', 'delete'),
  fc.oneof(fc.constantFrom(...INTERESTING), fc.nat(255)),
);
// Mostly edited valid requests: pure noise rarely gets past the request line.
const hostileBytes = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(requestModel({ methods: STANDARD_METHODS }), fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([model, edits]) => {
        const bytes = [...requestBytes(model).bytes];
        for (const [at, op, value] of edits) {
          const i = at % (bytes.length + 1);
          if (op === 'set' && i < bytes.length) bytes[i] = value;
          else if (op === 'insert') bytes.splice(i, 0, value);
          else bytes.splice(i, 1);
        }
        return Buffer.from(bytes);
      }),
  },
);

function checkReject(error: unknown, source: string): void {
  expect(error).toBeInstanceOf(HttpParseError);
  const e = error as HttpParseError;
  expect(e.code in ERROR_CODES).toBe(true);
  expect(e.source).toBe(source);
}

describe('hostile input', () => {
  test('parseRequestHead never throws, holds its limits, and is stable under growing input', () => {
    fc.assert(
      fc.property(hostileBytes, smallLimits, fc.nat(), (bytes, limits, cut) => {
        const full = parseRequestHead(bytes, 0, bytes.length, limits);
        if (full.kind === 'reject') checkReject(full.error, 'client');
        if (full.kind === 'done') {
          const h = full.head;
          let lead = 0;
          while (bytes[lead] === 0x0d && bytes[lead + 1] === 0x0a) lead += 2;
          expect(full.consumed).toBeLessThanOrEqual(bytes.length);
          expect(full.consumed - lead).toBeLessThanOrEqual(limits.maxHeadBytes);
          expect(h.headers.length / 2).toBeLessThanOrEqual(limits.maxHeaderCount);
          expect(h.method.length + h.target.length + 10).toBeLessThanOrEqual(limits.maxRequestLineBytes);
          expect(bytes.subarray(full.consumed - 4, full.consumed).toString('latin1')).toBe('\r\n\r\n');
        }
        // A prefix that is already decided stays decided the same way.
        const n = cut % (bytes.length + 1);
        const prefix = parseRequestHead(bytes, 0, n, limits);
        if (prefix.kind === 'done') expect(full).toEqual(prefix);
        if (prefix.kind === 'reject')
          expect(full).toMatchObject({ kind: 'reject', error: { code: prefix.error.code } });
      }),
      params(RUNS * 4),
    );
  });

  test('parseResponseHead never throws, holds its limits, and is stable under growing input', () => {
    const responseish = hostileBytes.map((b) => {
      const text = b.toString('latin1');
      return Buffer.from(
        text.replace(/^[^\r\n]*/, (line) => (line.length % 2 ? 'HTTP/1.1 200 OK' : line)),
        'latin1',
      );
    });
    fc.assert(
      fc.property(
        responseish,
        smallLimits,
        fc.constantFrom('GET', 'HEAD', 'CONNECT'),
        fc.nat(),
        (bytes, limits, method, cut) => {
          const step = parseResponseHead(bytes, 0, bytes.length, limits, method);
          if (step.kind === 'reject') checkReject(step.error, 'upstream');
          if (step.kind === 'done') {
            expect(step.consumed).toBeLessThanOrEqual(limits.maxHeadBytes);
            expect(step.head.headers.length / 2).toBeLessThanOrEqual(limits.maxHeaderCount);
          }
          const prefix = parseResponseHead(bytes, 0, cut % (bytes.length + 1), limits, method);
          if (prefix.kind === 'done') expect(step).toEqual(prefix);
          if (prefix.kind === 'reject') expect(step).toMatchObject({ kind: 'reject' });
        },
      ),
      params(RUNS * 4),
    );
  });

  test('ChunkedDecoder never throws and never reports more than it was given', () => {
    const chunkedish = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.tuple(body(1), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([b, edits]) => {
        const bytes = [...bodyBytes(b)];
        for (const [at, op, value] of edits) {
          const i = at % (bytes.length + 1);
          if (op === 'set' && i < bytes.length) bytes[i] = value;
          else if (op === 'insert') bytes.splice(i, 0, value);
          else bytes.splice(i, 1);
        }
        return Buffer.from(bytes);
      }),
    );
    fc.assert(
      fc.property(chunkedish, cutsArb, fc.integer({ min: 0, max: 100 }), (bytes, cuts, maxTrailerBytes) => {
        const decoder = new ChunkedDecoder('upstream', maxTrailerBytes);
        let data = 0;
        let ends = 0;
        let consumed = 0;
        for (const piece of split(bytes, cuts)) {
          const r = decoder.feed(piece, 0, piece.length, {
            onData: (_b, s, e) => {
              expect(s).toBeGreaterThanOrEqual(0);
              expect(e).toBeLessThanOrEqual(piece.length);
              expect(e).toBeGreaterThan(s);
              data += e - s;
            },
            onEnd: () => ends++,
          });
          if (r.kind === 'reject') {
            checkReject(r.error, 'upstream');
            expect(ends).toBe(0);
            return;
          }
          expect(r.consumed).toBeLessThanOrEqual(piece.length);
          consumed += r.consumed;
          if (!r.done) expect(r.consumed).toBe(piece.length);
        }
        expect(data).toBeLessThanOrEqual(consumed);
        expect(ends).toBeLessThanOrEqual(1);
      }),
      params(RUNS * 4),
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Differential: Node's llhttp (strict mode, as node:http runs it) must agree on what it accepts.

interface Seen {
  method: string;
  url: string;
  httpVersion: string;
  rawHeaders: string[];
  body: Buffer;
}

/**
 * A node:http server recording what llhttp parsed from the bytes each connection sent. `closeEach`
 * answers with `Connection: close`, so only a connection's first request is read.
 */
function llhttpRecorder(closeEach: boolean) {
  let server: http.Server | undefined;
  let port = 0;
  const seen: Seen[] = [];
  const errors: string[] = [];
  return {
    async start(): Promise<void> {
      server = http.createServer((req, res) => {
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => {
          seen.push({
            method: req.method ?? '',
            url: req.url ?? '',
            httpVersion: req.httpVersion,
            rawHeaders: req.rawHeaders,
            body: Buffer.concat(parts),
          });
          if (closeEach) res.setHeader('Connection', 'close');
          res.end('ok');
        });
      });
      server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
        errors.push(`${err.code ?? ''} ${err.message}`);
        socket.destroy();
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      port = (server.address() as AddressInfo).port;
    },
    async stop(): Promise<void> {
      server?.closeAllConnections();
      server?.close();
      if (server !== undefined) await once(server, 'close');
    },
    /** Sends `bytes` on one connection, half-closes, and waits until the server is done with it. */
    async read(bytes: Buffer): Promise<{ seen: Seen[]; errors: string[] }> {
      seen.length = 0;
      errors.length = 0;
      const socket = net.connect(port, '127.0.0.1');
      socket.resume();
      socket.end(bytes);
      await once(socket, 'close', { signal: AbortSignal.timeout(2000) });
      return { seen: [...seen], errors: [...errors] };
    },
  };
}

describe('differential against node:http (llhttp)', () => {
  const llhttp = llhttpRecorder(true);
  beforeAll(() => llhttp.start());
  afterAll(() => llhttp.stop());

  test('both accept random valid requests and see the same method, target, headers and body', async () => {
    await fc.assert(
      fc.asyncProperty(requestModel({ methods: STANDARD_METHODS, llhttpSafe: true }), async (model) => {
        const { bytes } = requestBytes(model);
        const ours = parseRequestHead(bytes, 0, bytes.length, LIMITS);
        if (ours.kind !== 'done')
          throw new Error(`Junction refused ${JSON.stringify(bytes.toString('latin1'))}`);
        const read = readMessage([bytes], parseReq, 0);
        const { seen, errors } = await llhttp.read(bytes);
        expect(errors, JSON.stringify(bytes.toString('latin1'))).toEqual([]);
        expect(seen).toHaveLength(1);
        const node = seen[0]!;
        expect(node.method).toBe(ours.head.method);
        expect(node.url).toBe(ours.head.target);
        expect(node.httpVersion).toBe(`1.${ours.head.versionMinor}`);
        expect(node.rawHeaders).toEqual(ours.head.headers);
        expect(node.body).toEqual(read.body);
      }),
      params(Math.max(1, Math.floor(RUNS / 3))),
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Mutations never yield two interpretations: a valid request followed by a second one, edited with the
// bytes smuggling is made of. Whatever Junction accepts it reads the same way in any split, and what it
// would forward is exactly one message that llhttp reads as Junction did, with the next request after it.

/** The bytes request smuggling is made of, as whole insertions. */
const HOSTILE = [
  '\r',
  '\n',
  '\r\n',
  ' ',
  '\t',
  ':',
  ',',
  ';',
  '\0',
  '0',
  '5',
  'f',
  '\r\n ',
  'chunked',
  ', chunked',
  'Content-Length: 5\r\n',
  'Content-Length: 0\r\n',
  'Transfer-Encoding: chunked\r\n',
  'Transfer-Encoding : chunked\r\n',
  'Host: other.test\r\n',
  '0\r\n\r\n',
  'GET /smuggled HTTP/1.1\r\n',
];

const edit = fc.tuple(
  fc.nat(),
  fc.constantFrom('insert', 'replace', 'delete'),
  fc.constantFrom(...HOSTILE),
  fc.integer({ min: 1, max: 4 }),
);

function mutate(bytes: Buffer, edits: readonly [number, string, string, number][]): Buffer {
  let out = bytes;
  for (const [at, op, text, length] of edits) {
    const i = at % (out.length + 1);
    const insert = op === 'delete' ? Buffer.alloc(0) : Buffer.from(text, 'latin1');
    const removed = op === 'insert' ? 0 : Math.min(length, out.length - i);
    out = Buffer.concat([out.subarray(0, i), insert, out.subarray(i + removed)]);
  }
  return out;
}

/** readMessage, except that a malformed body is a rejection like a malformed head. */
function readHostile(pieces: Buffer[]): Read<RequestHead> {
  try {
    return readMessage(pieces, parseReq, 3);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('valid chunked body rejected'))
      return { step: 'reject' };
    throw error;
  }
}

/** The bytes Junction sends upstream for a request it read: its own head and a re-framed body. */
function forwardedBytes(read: Read<RequestHead>): Buffer {
  const head = read.head!;
  const text = serializeUpstreamRequestHead(head, {
    clientAddress: '192.0.2.1',
    scheme: 'http',
    forwarded: { xForwardedFor: true, xForwardedProto: true, xForwardedHost: true },
    upstreamAuthority: 'backend.test:80',
  });
  const body = read.body!;
  const framed =
    head.bodyKind !== 'chunked'
      ? body
      : Buffer.concat([
          body.length === 0 ? Buffer.alloc(0) : Buffer.from(`${body.length.toString(16)}\r\n`),
          body,
          body.length === 0 ? Buffer.alloc(0) : Buffer.from('\r\n'),
          Buffer.from('0\r\n\r\n'),
        ]);
  return Buffer.concat([Buffer.from(text, 'latin1'), framed]);
}

describe('mutations never yield two interpretations', () => {
  const llhttp = llhttpRecorder(false);
  beforeAll(() => llhttp.start());
  afterAll(() => llhttp.stop());

  const mutated = fc
    .tuple(requestModel({ methods: STANDARD_METHODS }), fc.array(edit, { minLength: 1, maxLength: 3 }))
    .map(([model, edits]) => mutate(Buffer.concat([requestBytes(model).bytes, NEXT]), edits));

  test('Junction reads a mutated request the same way whatever the split', () => {
    fc.assert(
      fc.property(mutated, cutsArb, (bytes, cuts) => {
        const whole = readHostile([bytes]);
        const pieces = readHostile(split(bytes, cuts));
        // A prefix that the whole accepts is never refused, and the same bytes give the same message.
        expect(pieces).toEqual(whole);
      }),
      params(RUNS * 4),
    );
  });

  test('what Junction forwards for an accepted mutation is one message, read by llhttp as Junction read it', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(mutated, async (bytes) => {
        const read = readHostile([bytes]);
        if (read.step !== 'done' || read.bodyDone !== true) return;
        accepted++;
        const head = read.head!;
        const forwarded = forwardedBytes(read);
        // Junction re-reads its own output as exactly that message, with the next request intact after it.
        const again = readHostile([Buffer.concat([forwarded, NEXT])]);
        expect(again.step).toBe('done');
        expect(again.head!.method).toBe(head.method);
        expect(again.body).toEqual(read.body);
        expect(again.rest).toEqual(NEXT);
        // And so does Node's parser: two requests, the first with Junction's method, target and body.
        // (llhttp knows a fixed list of methods; Junction forwards any token, as RFC 9110 allows.)
        if (!http.METHODS.includes(head.method)) return;
        const node = await llhttp.read(Buffer.concat([forwarded, NEXT]));
        expect(node.errors, JSON.stringify(bytes.toString('latin1'))).toEqual([]);
        expect(node.seen.map((s) => s.url)).toEqual([forwarded.toString('latin1').split(' ')[1], '/next']);
        expect(node.seen[0]!.method).toBe(head.method);
        expect(node.seen[0]!.body).toEqual(read.body);
      }),
      params(Math.max(1, Math.floor(RUNS / 2))),
    );
    // The mutations must leave enough accepted messages for the property to mean something.
    expect(accepted).toBeGreaterThan(0);
  });
});
