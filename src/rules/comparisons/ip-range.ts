/**
 * IP addresses and ranges for the `in` and `eq` comparisons: parsing written ranges (a single
 * address, a CIDR network, or `low-high`) once at load time, and membership tests that only compare
 * bytes. IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`, what a dual-stack socket reports for an IPv4
 * client) are members of the IPv4 ranges that hold the IPv4 address, and the other way round.
 */
import { parseIpAddress } from '../features/index.ts';
import { IpAddress } from '../types.ts';

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
export interface IpBytes {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

/** An inclusive range of addresses of one family, `low` ≤ `high` byte by byte. */
export interface IpRange {
  readonly family: 4 | 6;
  readonly low: Uint8Array;
  readonly high: Uint8Array;
}

/** A parse that can fail with a reason for the load-time error. */
export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/**
 * An address in text: dotted IPv4 or IPv6, optionally in brackets, no zone id (what
 * `parseIpAddress` of the features module accepts). Undefined when the text is not an address.
 */
export function parseIpBytes(text: string): IpBytes | undefined {
  return parseIpAddress(text);
}

/** The bytes of an IpAddress feature, or of a string feature that is an address; else undefined. */
export function featureIpBytes(feature: unknown): IpBytes | undefined {
  if (feature instanceof IpAddress) return { family: feature.family, bytes: feature.bytes };
  if (typeof feature === 'string') return parseIpBytes(feature);
  return undefined;
}

/**
 * A written range: a single address (`10.1.2.3`), a CIDR network (`10.0.0.0/8`, `::1/128`; host bits
 * past the prefix are ignored) or two addresses of one family with a dash (`10.0.0.1-10.0.0.9`,
 * low first). Whitespace around the parts is allowed.
 */
export function parseIpRange(text: string): Parsed<IpRange> {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  if (slash !== -1) {
    const address = parseIpBytes(trimmed.slice(0, slash).trim());
    const bitsText = trimmed.slice(slash + 1).trim();
    if (address === undefined) return fail(`'${trimmed.slice(0, slash).trim()}' is not an IP address`);
    const max = address.family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) {
      return fail(`'${bitsText}' is not a prefix length for IPv${address.family} (0 to ${max})`);
    }
    return ok(cidrRange(address, Number(bitsText)));
  }
  const dash = trimmed.indexOf('-');
  if (dash !== -1) {
    const lowText = trimmed.slice(0, dash).trim();
    const highText = trimmed.slice(dash + 1).trim();
    const low = parseIpBytes(lowText);
    const high = parseIpBytes(highText);
    if (low === undefined) return fail(`'${lowText}' is not an IP address`);
    if (high === undefined) return fail(`'${highText}' is not an IP address`);
    if (low.family !== high.family) return fail(`'${lowText}' and '${highText}' are of different families`);
    if (compareBytes(low.bytes, high.bytes) > 0) return fail(`'${lowText}' is above '${highText}'`);
    return ok({ family: low.family, low: low.bytes, high: high.bytes });
  }
  const single = parseIpBytes(trimmed);
  if (single === undefined) return fail(`'${trimmed}' is not an IP address, a CIDR network or a range`);
  return ok({ family: single.family, low: single.bytes, high: single.bytes });
}

/** The network `address/bits`: its lowest and highest address. */
export function cidrRange(address: IpBytes, bits: number): IpRange {
  const low = new Uint8Array(address.bytes.length);
  const high = new Uint8Array(address.bytes.length);
  for (let i = 0; i < address.bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    low[i] = address.bytes[i]! & mask;
    high[i] = low[i]! | (~mask & 0xff);
  }
  return { family: address.family, low, high };
}

/** Whether the address is in the range, across the IPv4 / IPv4-mapped IPv6 forms. */
export function ipInRange(address: IpBytes, range: IpRange): boolean {
  let bytes = address.bytes;
  if (address.family !== range.family) {
    const other = mappedForm(address);
    if (other === undefined) return false;
    bytes = other;
  }
  return compareBytes(range.low, bytes) <= 0 && compareBytes(bytes, range.high) <= 0;
}

/** Whether two addresses are the same, across the IPv4 / IPv4-mapped IPv6 forms. */
export function ipEquals(a: IpBytes, b: IpBytes): boolean {
  return ipInRange(a, { family: b.family, low: b.bytes, high: b.bytes });
}

/** IPv4 ↔ IPv4-mapped IPv6 (`::ffff:a.b.c.d`); undefined for an IPv6 address that is not mapped. */
function mappedForm(address: IpBytes): Uint8Array | undefined {
  const b = address.bytes;
  if (address.family === 4) {
    const mapped = new Uint8Array(16);
    mapped[10] = 0xff;
    mapped[11] = 0xff;
    mapped.set(b, 12);
    return mapped;
  }
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return undefined;
  return b[10] === 0xff && b[11] === 0xff ? b.subarray(12) : undefined;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function fail<T>(reason: string): Parsed<T> {
  return { ok: false, reason };
}
