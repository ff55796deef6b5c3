/**
 * The ClientHello reader: units on hellos built here and on one from Node's own TLS client, then
 * properties: random valid hellos (random extensions, session ids, record fragmentation) parse back to
 * their server name; every truncation asks for more; mutations and random bytes never throw and never
 * produce a name the bytes do not hold. Seed printed; replay with JUNCTION_FC_SEED=<seed>.
 */
import { connect as tlsConnect } from 'node:tls';
import { createServer } from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MAX_CLIENT_HELLO_BYTES, parseClientHello } from './client-hello.ts';

const SEED = process.env['JUNCTION_FC_SEED'] ? Number(process.env['JUNCTION_FC_SEED']) : Date.now() % 2 ** 31;
const RUNS = process.env['JUNCTION_FC_RUNS'] ? Number(process.env['JUNCTION_FC_RUNS']) : 300;
const TIME_LIMIT_MS = process.env['JUNCTION_FC_RUNS'] ? 10 * 60_000 : 2_000;
console.log(`[client-hello properties] seed=${SEED} runs=${RUNS} (replay with JUNCTION_FC_SEED=${SEED})`);

function params<T>(): fc.Parameters<T> {
  return { seed: SEED, numRuns: RUNS, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS) as fc.Plugin<T>] };
}

function u16(n: number): number[] {
  return [n >> 8, n & 0xff];
}

interface Extension {
  readonly type: number;
  readonly data: readonly number[];
}

interface HelloSpec {
  readonly serverName: string | undefined;
  readonly before?: readonly Extension[];
  readonly after?: readonly Extension[];
  readonly sessionId?: readonly number[];
  /** Sizes of the record fragments the handshake message is cut into; the last takes the rest. */
  readonly fragments?: readonly number[];
  /** Leave the extensions block out entirely (allowed when there are none). */
  readonly noExtensions?: boolean;
}

function sniExtension(name: string): Extension {
  const bytes = [...Buffer.from(name, 'latin1')];
  return { type: 0, data: [...u16(bytes.length + 3), 0, ...u16(bytes.length), ...bytes] };
}

function buildHello(spec: HelloSpec): Buffer {
  const extensions = [
    ...(spec.before ?? []),
    ...(spec.serverName === undefined ? [] : [sniExtension(spec.serverName)]),
    ...(spec.after ?? []),
  ].flatMap((e) => [...u16(e.type), ...u16(e.data.length), ...e.data]);
  const sessionId = spec.sessionId ?? [];
  const body = [
    3,
    3,
    ...Array<number>(32).fill(7),
    sessionId.length,
    ...sessionId,
    ...u16(4),
    0x13,
    0x01,
    0x13,
    0x02,
    1,
    0,
    ...(spec.noExtensions === true && extensions.length === 0
      ? []
      : [...u16(extensions.length), ...extensions]),
  ];
  const message = [1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff, ...body];
  const records: number[] = [];
  let at = 0;
  for (const size of [...(spec.fragments ?? []), message.length]) {
    if (at >= message.length) break;
    const piece = message.slice(at, at + Math.max(1, size));
    records.push(0x16, 3, 1, ...u16(piece.length), ...piece);
    at += piece.length;
  }
  return Buffer.from(records);
}

describe('units', () => {
  test('a hello with SNI among other extensions', () => {
    const hello = buildHello({
      serverName: 'Api.Example.COM.',
      before: [{ type: 10, data: [0, 2, 0, 29] }],
      after: [{ type: 43, data: [2, 3, 4] }],
    });
    expect(parseClientHello(hello)).toEqual({
      kind: 'done',
      serverName: 'api.example.com',
      consumed: hello.length,
    });
  });

  test('no SNI: with other extensions, with none, and without the extensions block', () => {
    expect(
      parseClientHello(buildHello({ serverName: undefined, after: [{ type: 10, data: [] }] })),
    ).toMatchObject({
      kind: 'done',
      serverName: undefined,
    });
    expect(parseClientHello(buildHello({ serverName: undefined }))).toMatchObject({ kind: 'done' });
    expect(parseClientHello(buildHello({ serverName: undefined, noExtensions: true }))).toMatchObject({
      kind: 'done',
      serverName: undefined,
    });
  });

  test('a hello split over several records', () => {
    const hello = buildHello({ serverName: 'a.test', fragments: [1, 3, 10] });
    expect(parseClientHello(hello)).toMatchObject({ kind: 'done', serverName: 'a.test' });
  });

  test.each([
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
    ['an alert record', Buffer.from([0x15, 3, 1, 0, 2, 2, 40])],
    ['SSLv2-looking bytes', Buffer.from([0x80, 0x2e, 0x01, 0x00, 0x02])],
    ['a ServerHello', Buffer.from([0x16, 3, 3, 0, 4, 2, 0, 0, 0])],
    ['a bad record version', Buffer.from([0x16, 2, 0, 0, 4, 1, 0, 0, 0])],
    ['an empty record', Buffer.from([0x16, 3, 1, 0, 0])],
    ['two server names', buildHello({ serverName: 'a.test', after: [sniExtension('b.test')] })],
    ['a name with a slash', buildHello({ serverName: 'a/b.test' })],
    ['an empty name', buildHello({ serverName: '' })],
  ])('%s is refused', (_why, bytes) => {
    expect(parseClientHello(bytes).kind).toBe('reject');
  });

  test('a record larger than the bound is refused from its header', () => {
    expect(parseClientHello(Buffer.from([0x16, 3, 1, 0xff, 0xff]), 5, 1024)).toMatchObject({
      kind: 'reject',
    });
    expect(parseClientHello(Buffer.from([0x16, 3, 1, 0x40, 0x00, 1, 0x00, 0x3f, 0xfc]))).toMatchObject({
      kind: 'reject',
    });
  });

  test("Node's TLS client's hello parses to the name it sent", async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const received = new Promise<Buffer>((resolve) => {
      server.once('connection', (socket) => {
        let seen = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          seen = Buffer.concat([seen, chunk]);
          if (parseClientHello(seen).kind !== 'need-more') {
            resolve(seen);
            socket.destroy();
          }
        });
      });
    });
    const client = tlsConnect({ host: '127.0.0.1', port, servername: 'db.internal.test' });
    client.on('error', () => undefined);
    try {
      expect(parseClientHello(await received)).toMatchObject({
        kind: 'done',
        serverName: 'db.internal.test',
      });
    } finally {
      client.destroy();
      server.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
const hostName = fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join('.'));
const otherExtension: fc.Arbitrary<Extension> = fc.record({
  type: fc.integer({ min: 1, max: 0xffff }),
  data: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
});
const helloSpec: fc.Arbitrary<HelloSpec> = fc.record({
  serverName: fc.option(hostName, { nil: undefined }),
  before: fc.array(otherExtension, { maxLength: 4 }),
  after: fc.array(otherExtension, { maxLength: 4 }),
  sessionId: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 32 }),
  fragments: fc.array(fc.integer({ min: 1, max: 80 }), { maxLength: 4 }),
});

describe('properties', () => {
  test('random valid hellos parse back to their server name', () => {
    fc.assert(
      fc.property(helloSpec, (spec) => {
        const hello = buildHello(spec);
        expect(parseClientHello(hello)).toEqual({
          kind: 'done',
          serverName: spec.serverName,
          consumed: hello.length,
        });
      }),
      params(),
    );
  });

  test('every truncation asks for more', () => {
    fc.assert(
      fc.property(helloSpec, fc.nat(), (spec, cut) => {
        const hello = buildHello(spec);
        expect(parseClientHello(hello.subarray(0, cut % hello.length))).toEqual({ kind: 'need-more' });
      }),
      params(),
    );
  });

  test('mutations never throw, and a name found is a host name the bytes hold', () => {
    fc.assert(
      fc.property(
        helloSpec,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (spec, edits) => {
          // One record, so the name's bytes are contiguous in what was sent.
          const hello = Buffer.from(buildHello({ ...spec, fragments: [] }));
          for (const [at, byte] of edits) hello[at % hello.length] = byte;
          const result = parseClientHello(hello);
          if (result.kind === 'done' && result.serverName !== undefined) {
            expect(hello.toString('latin1').toLowerCase()).toContain(result.serverName);
            expect(result.serverName).toMatch(/^[a-z0-9_.-]+$/);
          }
        },
      ),
      params(),
    );
  });

  test('random bytes never throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([Buffer.from([0x16, 3, 1]), b])),
        ),
        (bytes) => {
          const result = parseClientHello(bytes);
          if (result.kind === 'done') expect(result.consumed).toBeLessThanOrEqual(bytes.length);
        },
      ),
      params(),
    );
  });

  test('the default bound is 16 KiB', () => {
    expect(MAX_CLIENT_HELLO_BYTES).toBe(16384);
  });
});
