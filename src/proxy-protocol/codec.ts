/**
 * The PROXY protocol (HAProxy's spec, versions 1 and 2), sans-io: parsing a header from the first bytes
 * of a connection and serialising one. Nothing here touches a socket. Parsing never throws at network
 * bytes: it answers `need-more`, `done` with the bytes consumed, or `reject` with a reason.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { formatIpv4, formatIpv6, ipv4Bytes, ipv6Bytes, unmapIpv4 } from '../util/ip-bytes.ts';

/** The two ends of the proxied connection, as the header names them. */
export interface ProxyEndpoints {
  readonly family: 4 | 6;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly destinationAddress: string;
  readonly destinationPort: number;
}

export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * The addresses carried, or undefined when the header says to keep the connection's own: v2 LOCAL
   * (a health check from the proxy itself), v1 UNKNOWN, and v2 families other than TCP over IPv4/IPv6.
   */
  readonly endpoints: ProxyEndpoints | undefined;
}

export type ProxyParse =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'done'; readonly header: ProxyHeader; readonly consumed: number }
  | { readonly kind: 'reject'; readonly reason: string };

/** A v1 header is at most 107 bytes, CRLF included (the spec's bound). */
export const V1_MAX_BYTES = 107;
/**
 * The most a v2 header may take here: its 16-byte preamble plus addresses and TLVs. The format allows
 * 64 KiB; real senders (HAProxy, cloud load balancers) stay far below this.
 */
export const V2_MAX_BYTES = 16 + 4096;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
export const V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);

const NEED_MORE: ProxyParse = { kind: 'need-more' };

function reject(reason: string): ProxyParse {
  return { kind: 'reject', reason };
}

/** Whether `buf[0..len)` agrees with `signature` as far as both go. */
function agreesWith(buf: Uint8Array, len: number, signature: Uint8Array): boolean {
  const n = Math.min(len, signature.length);
  for (let i = 0; i < n; i++) if (buf[i] !== signature[i]) return false;
  return true;
}

/**
 * Parses a PROXY header (v1 or v2, told apart by their first bytes) at the start of `buf[0..len)`.
 * Asks for more only while the bytes so far can still begin a valid header within its size bound.
 */
export function parseProxyHeader(buf: Uint8Array, len: number = buf.length): ProxyParse {
  if (len === 0) return NEED_MORE;
  if (buf[0] === V1_PREFIX[0]) {
    return agreesWith(buf, len, V1_PREFIX) ? parseV1(buf, len) : reject('not a PROXY protocol header');
  }
  if (buf[0] === V2_SIGNATURE[0]) {
    return agreesWith(buf, len, V2_SIGNATURE) ? parseV2(buf, len) : reject('not a PROXY protocol header');
  }
  return reject('not a PROXY protocol header');
}

const PORT = /^(?:0|[1-9]\d{0,4})$/;

function parsePort(text: string): number | undefined {
  if (!PORT.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

function parseV1(buf: Uint8Array, len: number): ProxyParse {
  if (len < V1_PREFIX.length) return NEED_MORE;
  // The CR may sit at most one byte before the bound, leaving room for its LF.
  const limit = Math.min(len, V1_MAX_BYTES - 1);
  let cr = -1;
  for (let i = V1_PREFIX.length; i < limit; i++) {
    const byte = buf[i]!;
    if (byte === 0x0d) {
      cr = i;
      break;
    }
    // Printable ASCII only: a v1 header is text.
    if (byte < 0x20 || byte > 0x7e) return reject('a v1 header holds a byte that is not printable ASCII');
  }
  if (cr < 0) return len >= V1_MAX_BYTES - 1 ? reject('a v1 header longer than 107 bytes') : NEED_MORE;
  if (cr + 1 >= len) return NEED_MORE;
  if (buf[cr + 1] !== 0x0a) return reject('a v1 header must end with CRLF');
  const consumed = cr + 2;
  const line = Buffer.from(buf.buffer, buf.byteOffset + V1_PREFIX.length, cr - V1_PREFIX.length).toString(
    'latin1',
  );
  const fields = line.split(' ');
  const protocol = fields[0];
  if (protocol === 'UNKNOWN') return { kind: 'done', header: { version: 1, endpoints: undefined }, consumed };
  if (protocol !== 'TCP4' && protocol !== 'TCP6') return reject(`unknown v1 protocol '${protocol ?? ''}'`);
  if (fields.length !== 5) return reject('a v1 header needs two addresses and two ports');
  const [, source, destination, sourcePortText, destinationPortText] = fields as [
    string,
    string,
    string,
    string,
    string,
  ];
  const isFamily = protocol === 'TCP4' ? isIPv4 : isIPv6;
  if (!isFamily(source) || !isFamily(destination) || source.includes('%') || destination.includes('%')) {
    return reject(`a v1 ${protocol} header with an address that is not IPv${protocol === 'TCP4' ? 4 : 6}`);
  }
  const sourcePort = parsePort(sourcePortText);
  const destinationPort = parsePort(destinationPortText);
  if (sourcePort === undefined || destinationPort === undefined) return reject('a v1 header with a bad port');
  const family = protocol === 'TCP4' ? 4 : 6;
  return {
    kind: 'done',
    header: {
      version: 1,
      endpoints: {
        family,
        // Canonical text, so the same client reads the same however the sender wrote it.
        sourceAddress: family === 4 ? source : formatIpv6(ipv6Bytes(source)!),
        sourcePort,
        destinationAddress: family === 4 ? destination : formatIpv6(ipv6Bytes(destination)!),
        destinationPort,
      },
    },
    consumed,
  };
}

const CMD_LOCAL = 0x0;
const CMD_PROXY = 0x1;
const FAMILY_TCP4 = 0x11;
const FAMILY_TCP6 = 0x21;

function parseV2(buf: Uint8Array, len: number): ProxyParse {
  if (len < 16) return NEED_MORE;
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return reject(`unsupported v2 version ${verCmd >> 4}`);
  const command = verCmd & 0x0f;
  if (command !== CMD_LOCAL && command !== CMD_PROXY) return reject(`unknown v2 command ${command}`);
  const family = buf[13]!;
  const bodyLength = (buf[14]! << 8) | buf[15]!;
  const total = 16 + bodyLength;
  if (total > V2_MAX_BYTES) return reject(`a v2 header of ${total} bytes is larger than ${V2_MAX_BYTES}`);
  if (len < total) return NEED_MORE;
  let addressBytes = 0;
  let endpoints: ProxyEndpoints | undefined;
  if (command === CMD_PROXY && (family === FAMILY_TCP4 || family === FAMILY_TCP6)) {
    addressBytes = family === FAMILY_TCP4 ? 12 : 36;
    if (bodyLength < addressBytes) return reject('a v2 header too short for its addresses');
    const size = family === FAMILY_TCP4 ? 4 : 16;
    const format = family === FAMILY_TCP4 ? formatIpv4 : formatIpv6;
    const portAt = 16 + 2 * size;
    endpoints = {
      family: family === FAMILY_TCP4 ? 4 : 6,
      sourceAddress: format(buf, 16),
      destinationAddress: format(buf, 16 + size),
      sourcePort: (buf[portAt]! << 8) | buf[portAt + 1]!,
      destinationPort: (buf[portAt + 2]! << 8) | buf[portAt + 3]!,
    };
  } else if (command === CMD_PROXY) {
    const known = [0x00, 0x12, 0x22, 0x31, 0x32];
    if (!known.includes(family)) return reject(`unknown v2 address family 0x${family.toString(16)}`);
    const needs = family === 0x12 ? 12 : family === 0x22 ? 36 : family === 0x00 ? 0 : 216;
    if (bodyLength < needs) return reject('a v2 header too short for its addresses');
    addressBytes = needs;
  }
  // TLVs are skipped, but walked, so one that claims to run past the header is refused.
  let at = 16 + addressBytes;
  if (command === CMD_PROXY) {
    while (at < total) {
      if (at + 3 > total) return reject('a v2 TLV cut short');
      const tlvLength = (buf[at + 1]! << 8) | buf[at + 2]!;
      at += 3 + tlvLength;
      if (at > total) return reject('a v2 TLV runs past the header');
    }
  }
  return { kind: 'done', header: { version: 2, endpoints }, consumed: total };
}

/**
 * Puts both ends in one family, as the header requires: an IPv4-mapped IPv6 address becomes IPv4, and
 * when one end is still IPv6 the other is written IPv4-mapped. Undefined when an address is not an IP.
 */
export function proxyEndpoints(
  sourceAddress: string,
  sourcePort: number,
  destinationAddress: string,
  destinationPort: number,
): ProxyEndpoints | undefined {
  let source = unmapIpv4(sourceAddress);
  let destination = unmapIpv4(destinationAddress);
  const sourceV4 = isIPv4(source);
  const destinationV4 = isIPv4(destination);
  if ((!sourceV4 && !isIPv6(source)) || (!destinationV4 && !isIPv6(destination))) return undefined;
  if (sourceV4 && destinationV4) {
    return { family: 4, sourceAddress: source, sourcePort, destinationAddress: destination, destinationPort };
  }
  if (sourceV4) source = `::ffff:${source}`;
  if (destinationV4) destination = `::ffff:${destination}`;
  const s = ipv6Bytes(source);
  const d = ipv6Bytes(destination);
  if (s === undefined || d === undefined) return undefined;
  return {
    family: 6,
    sourceAddress: formatIpv6(s),
    sourcePort,
    destinationAddress: formatIpv6(d),
    destinationPort,
  };
}

/** A v1 header for these endpoints; `PROXY UNKNOWN` when there are none. */
export function serializeProxyV1(endpoints: ProxyEndpoints | undefined): Buffer {
  if (endpoints === undefined) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const e = endpoints;
  return Buffer.from(
    `PROXY TCP${e.family} ${e.sourceAddress} ${e.destinationAddress} ${e.sourcePort} ${e.destinationPort}\r\n`,
    'latin1',
  );
}

/** A v2 header for these endpoints (no TLVs); the LOCAL command when there are none. */
export function serializeProxyV2(endpoints: ProxyEndpoints | undefined): Buffer {
  if (endpoints === undefined) {
    const out = Buffer.alloc(16);
    V2_SIGNATURE.copy(out);
    out[12] = 0x20;
    return out;
  }
  const size = endpoints.family === 4 ? 4 : 16;
  const toBytes = endpoints.family === 4 ? ipv4Bytes : ipv6Bytes;
  const out = Buffer.alloc(16 + 2 * size + 4);
  V2_SIGNATURE.copy(out);
  out[12] = 0x21;
  out[13] = endpoints.family === 4 ? FAMILY_TCP4 : FAMILY_TCP6;
  out.writeUInt16BE(2 * size + 4, 14);
  out.set(toBytes(endpoints.sourceAddress)!, 16);
  out.set(toBytes(endpoints.destinationAddress)!, 16 + size);
  out.writeUInt16BE(endpoints.sourcePort, 16 + 2 * size);
  out.writeUInt16BE(endpoints.destinationPort, 18 + 2 * size);
  return out;
}

export function serializeProxyHeader(version: 1 | 2, endpoints: ProxyEndpoints | undefined): Buffer {
  return version === 1 ? serializeProxyV1(endpoints) : serializeProxyV2(endpoints);
}
