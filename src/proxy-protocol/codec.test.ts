/**
 * The PROXY protocol codec: byte-exact units for v1 and v2, then properties (round trips, split
 * invariance, truncations ask for more, random bytes never throw). The seed is printed; replay with
 * JUNCTION_FC_SEED=<seed>, widen with JUNCTION_FC_RUNS=<n>.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  V1_MAX_BYTES,
  V2_SIGNATURE,
  parseProxyHeader,
  proxyEndpoints,
  serializeProxyHeader,
  serializeProxyV1,
  serializeProxyV2,
  type ProxyEndpoints,
  type ProxyParse,
} from './codec.ts';
import { formatIpv6, ipv6Bytes } from '../util/ip-bytes.ts';

const SEED = process.env['JUNCTION_FC_SEED'] ? Number(process.env['JUNCTION_FC_SEED']) : Date.now() % 2 ** 31;
const RUNS = process.env['JUNCTION_FC_RUNS'] ? Number(process.env['JUNCTION_FC_RUNS']) : 300;
const TIME_LIMIT_MS = process.env['JUNCTION_FC_RUNS'] ? 10 * 60_000 : 2_000;
console.log(`[proxy-protocol properties] seed=${SEED} runs=${RUNS} (replay with JUNCTION_FC_SEED=${SEED})`);

function params<T>(): fc.Parameters<T> {
  return { seed: SEED, numRuns: RUNS, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS) as fc.Plugin<T>] };
}

function parse(text: string | Buffer): ProxyParse {
  return parseProxyHeader(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
}

describe('v1', () => {
  test('TCP4 and TCP6 headers give their addresses and the bytes consumed', () => {
    expect(parse('PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\nGET /')).toEqual({
      kind: 'done',
      consumed: 45,
      header: {
        version: 1,
        endpoints: {
          family: 4,
          sourceAddress: '192.0.2.7',
          sourcePort: 56324,
          destinationAddress: '198.51.100.1',
          destinationPort: 443,
        },
      },
    });
    const six = parse('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 1 65535\r\n');
    expect(six).toMatchObject({
      kind: 'done',
      header: { endpoints: { family: 6, sourceAddress: '2001:db8::1', destinationAddress: '::1' } },
    });
  });

  test('UNKNOWN keeps the socket address', () => {
    expect(parse('PROXY UNKNOWN\r\n')).toEqual({
      kind: 'done',
      consumed: 15,
      header: { version: 1, endpoints: undefined },
    });
    expect(parse('PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n')).toMatchObject({ kind: 'done' });
  });

  test('partial headers ask for more', () => {
    for (const text of ['P', 'PROX', 'PROXY ', 'PROXY TCP4 1.2.3.4', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r']) {
      expect(parse(text)).toEqual({ kind: 'need-more' });
    }
  });

  test.each([
    ['not PROXY at all', 'GET / HTTP/1.1\r\n\r\n'],
    ['a wrong signature', 'PROXZ TCP4 1.2.3.4 5.6.7.8 1 2\r\n'],
    ['an unknown protocol', 'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'],
    ['a missing port', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n'],
    ['an IPv6 address in TCP4', 'PROXY TCP4 ::1 5.6.7.8 1 2\r\n'],
    ['an IPv4 address in TCP6', 'PROXY TCP6 1.2.3.4 ::1 1 2\r\n'],
    ['a port over 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'],
    ['a port with a leading zero', 'PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n'],
    ['two spaces', 'PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'],
    ['LF alone', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'],
    ['CR without LF', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx'],
    ['a control byte', 'PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n'],
    ['a zone id', 'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n'],
  ])('%s is refused', (_why, text) => {
    expect(parse(text).kind).toBe('reject');
  });

  test('a header that would pass 107 bytes is refused without waiting for its end', () => {
    const long = `PROXY UNKNOWN ${'x'.repeat(V1_MAX_BYTES)}`;
    expect(parse(long.slice(0, V1_MAX_BYTES))).toMatchObject({ kind: 'reject' });
    expect(parse(`PROXY UNKNOWN ${'x'.repeat(V1_MAX_BYTES - 16)}\r\n`)).toMatchObject({ kind: 'done' });
    expect(parse(`PROXY UNKNOWN ${'x'.repeat(V1_MAX_BYTES - 15)}\r\n`)).toMatchObject({ kind: 'reject' });
  });
});

function v2(verCmd: number, family: number, body: number[]): Buffer {
  return Buffer.concat([
    V2_SIGNATURE,
    Buffer.from([verCmd, family, body.length >> 8, body.length & 0xff, ...body]),
  ]);
}

describe('v2', () => {
  test('TCP4 with a TLV after the addresses', () => {
    const header = v2(0x21, 0x11, [10, 0, 0, 1, 10, 0, 0, 2, 0x1f, 0x90, 0x00, 0x50, 0x04, 0x00, 0x01, 0x7f]);
    expect(parseProxyHeader(Buffer.concat([header, Buffer.from('rest')]))).toEqual({
      kind: 'done',
      consumed: header.length,
      header: {
        version: 2,
        endpoints: {
          family: 4,
          sourceAddress: '10.0.0.1',
          sourcePort: 8080,
          destinationAddress: '10.0.0.2',
          destinationPort: 80,
        },
      },
    });
  });

  test('TCP6', () => {
    const source = [...ipv6Bytes('2001:db8::7')!];
    const destination = [...ipv6Bytes('::ffff:10.0.0.1')!];
    const header = v2(0x21, 0x21, [...source, ...destination, 0, 1, 0, 2]);
    expect(parseProxyHeader(header)).toMatchObject({
      kind: 'done',
      header: {
        endpoints: { family: 6, sourceAddress: '2001:db8::7', destinationAddress: '::ffff:10.0.0.1' },
      },
    });
  });

  test('LOCAL, UNSPEC, UDP and UNIX keep the socket address', () => {
    expect(parseProxyHeader(v2(0x20, 0x00, []))).toMatchObject({
      kind: 'done',
      header: { endpoints: undefined },
    });
    expect(parseProxyHeader(v2(0x20, 0x11, [1, 2, 3]))).toMatchObject({
      kind: 'done',
      header: { endpoints: undefined },
    });
    expect(parseProxyHeader(v2(0x21, 0x00, []))).toMatchObject({
      kind: 'done',
      header: { endpoints: undefined },
    });
    expect(parseProxyHeader(v2(0x21, 0x12, Array<number>(12).fill(1)))).toMatchObject({
      kind: 'done',
      header: { endpoints: undefined },
    });
    expect(parseProxyHeader(v2(0x21, 0x31, Array<number>(216).fill(0)))).toMatchObject({ kind: 'done' });
  });

  test.each([
    ['version 1 in the version nibble', v2(0x11, 0x11, Array<number>(12).fill(0))],
    ['an unknown command', v2(0x22, 0x11, Array<number>(12).fill(0))],
    ['an unknown family', v2(0x21, 0x41, [])],
    ['TCP4 too short for its addresses', v2(0x21, 0x11, Array<number>(11).fill(0))],
    ['TCP6 too short for its addresses', v2(0x21, 0x21, Array<number>(35).fill(0))],
    ['a TLV running past the header', v2(0x21, 0x11, [...Array<number>(12).fill(0), 0x04, 0x00, 0x05, 1])],
    ['a TLV cut short', v2(0x21, 0x11, [...Array<number>(12).fill(0), 0x04, 0x00])],
    ['a bad signature', Buffer.from('\r\n\r\n\0\r\nQUIT\r....')],
  ])('%s is refused', (_why, bytes) => {
    expect(parseProxyHeader(bytes).kind).toBe('reject');
  });

  test('a header longer than the bound is refused at once', () => {
    const head = Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
    expect(parseProxyHeader(head)).toMatchObject({ kind: 'reject' });
  });
});

describe('serialising', () => {
  test('v1 and v2 bytes', () => {
    const e: ProxyEndpoints = {
      family: 4,
      sourceAddress: '192.0.2.7',
      sourcePort: 1234,
      destinationAddress: '127.0.0.1',
      destinationPort: 80,
    };
    expect(serializeProxyV1(e).toString('latin1')).toBe('PROXY TCP4 192.0.2.7 127.0.0.1 1234 80\r\n');
    expect(serializeProxyV1(undefined).toString('latin1')).toBe('PROXY UNKNOWN\r\n');
    expect(serializeProxyV2(e).toString('hex')).toBe(
      `${V2_SIGNATURE.toString('hex')}2111000cc00002077f00000104d20050`,
    );
    expect(serializeProxyV2(undefined).toString('hex')).toBe(`${V2_SIGNATURE.toString('hex')}20000000`);
  });

  test('both ends are put in one family', () => {
    expect(proxyEndpoints('::ffff:10.0.0.1', 1, '10.0.0.2', 2)).toMatchObject({
      family: 4,
      sourceAddress: '10.0.0.1',
    });
    expect(proxyEndpoints('10.0.0.1', 1, '::1', 2)).toMatchObject({
      family: 6,
      sourceAddress: '::ffff:10.0.0.1',
      destinationAddress: '::1',
    });
    expect(proxyEndpoints('not-an-ip', 1, '::1', 2)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties

const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6().map((text) => formatIpv6(ipv6Bytes(text)!));
const port = fc.integer({ min: 0, max: 65535 });
const endpoints: fc.Arbitrary<ProxyEndpoints> = fc.oneof(
  fc.record({
    family: fc.constant(4 as const),
    sourceAddress: ipv4,
    sourcePort: port,
    destinationAddress: ipv4,
    destinationPort: port,
  }),
  fc.record({
    family: fc.constant(6 as const),
    sourceAddress: ipv6,
    sourcePort: port,
    destinationAddress: ipv6,
    destinationPort: port,
  }),
);
const version = fc.constantFrom(1 as const, 2 as const);

describe('properties', () => {
  test('serialize then parse gives back the endpoints, with trailing bytes left alone', () => {
    fc.assert(
      fc.property(
        version,
        fc.option(endpoints, { nil: undefined }),
        fc.uint8Array({ maxLength: 32 }),
        (v, e, tail) => {
          const header = serializeProxyHeader(v, e);
          const result = parseProxyHeader(Buffer.concat([header, tail]));
          expect(result).toEqual({
            kind: 'done',
            consumed: header.length,
            header: { version: v, endpoints: e },
          });
        },
      ),
      params(),
    );
  });

  test('every proper prefix of a header asks for more', () => {
    fc.assert(
      fc.property(version, endpoints, fc.nat(), (v, e, cut) => {
        const header = serializeProxyHeader(v, e);
        expect(parseProxyHeader(header.subarray(0, cut % header.length))).toEqual({ kind: 'need-more' });
      }),
      params(),
    );
  });

  test('random bytes never throw, and what is accepted is within the bounds', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.concat([Buffer.from('PROXY '), b])),
          fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.concat([V2_SIGNATURE, b])),
        ),
        (bytes) => {
          const result = parseProxyHeader(bytes);
          if (result.kind === 'done') expect(result.consumed).toBeLessThanOrEqual(bytes.length);
        },
      ),
      params(),
    );
  });

  test('a mutated header never throws, and if accepted, consumes no more than it has', () => {
    fc.assert(
      fc.property(version, endpoints, fc.nat(), fc.integer({ min: 0, max: 255 }), (v, e, at, byte) => {
        const header = Buffer.from(serializeProxyHeader(v, e));
        header[at % header.length] = byte;
        const result = parseProxyHeader(header);
        if (result.kind === 'done') expect(result.consumed).toBeLessThanOrEqual(header.length);
      }),
      params(),
    );
  });
});
