/**
 * IP address features: text → bytes and back. node:net's isIP decides what is an address (so the
 * rule language accepts exactly what Node does); util/ip-bytes.ts computes the bytes and the text.
 * Canonical text is RFC 5952: lower-case hex, no leading zeros, the longest run of two or more zero
 * groups (the first on a tie) written `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d` (as Node
 * reports a dual-stack socket's IPv4 peer).
 */
import { isIP } from 'node:net';
import { formatIpv6, ipv4Bytes, ipv6Bytes } from '../../util/ip-bytes.ts';
import { IpAddress } from '../types.ts';

/**
 * The address in `text` (IPv4 dotted quad, or IPv6, optionally in brackets), or undefined when it is
 * not one. Zone ids (`fe80::1%eth0`) are refused: an address feature is its bytes only.
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  let address = text;
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const family = isIP(address);
  if (family === 4) return ipv4(ipv4Bytes(address)!);
  const bytes = family === 6 ? ipv6Bytes(address) : undefined;
  return bytes === undefined ? undefined : ipv6(bytes);
}

/** An address from its bytes (4 or 16 of them). */
export function ipAddressFromBytes(bytes: Uint8Array): IpAddress {
  if (bytes.length === 4) return ipv4(Uint8Array.from(bytes));
  if (bytes.length === 16) return ipv6(Uint8Array.from(bytes));
  throw new RangeError(`an IP address has 4 or 16 bytes, got ${bytes.length}`);
}

/** `::ffff:a.b.c.d` → `a.b.c.d`; any other address unchanged. What a client's address means. */
export function unmapIpv4(address: IpAddress): IpAddress {
  if (address.family === 6 && isV4Mapped(address.bytes)) return ipv4(address.bytes.slice(12));
  return address;
}

function ipv4(bytes: Uint8Array): IpAddress {
  return new IpAddress(4, bytes, bytes.join('.'));
}

function ipv6(bytes: Uint8Array): IpAddress {
  return new IpAddress(6, bytes, formatIpv6(bytes));
}

function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}
