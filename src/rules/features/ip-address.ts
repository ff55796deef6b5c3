/**
 * IP address features: text → bytes and back. node:net's isIP decides what is an address (so the
 * rule language accepts exactly what Node does); the bytes and the canonical text are computed here.
 * Canonical text is RFC 5952: lower-case hex, no leading zeros, the longest run of two or more zero
 * groups (the first on a tie) written `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d` (as Node
 * reports a dual-stack socket's IPv4 peer).
 */
import { isIP } from 'node:net';
import { IpAddress } from '../types.ts';

/**
 * The address in `text` (IPv4 dotted quad, or IPv6, optionally in brackets), or undefined when it is
 * not one. Zone ids (`fe80::1%eth0`) are refused: an address feature is its bytes only.
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  let address = text;
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const family = isIP(address);
  if (family === 4) return ipv4(parseIpv4(address, new Uint8Array(4), 0));
  if (family === 6 && !address.includes('%')) return ipv6(parseIpv6(address));
  return undefined;
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

/** Writes the dotted quad `text` (already validated) into `out` at `offset`. */
function parseIpv4(text: string, out: Uint8Array, offset: number): Uint8Array {
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) out[offset + i] = Number(parts[i]);
  return out;
}

/** The 16 bytes of an IPv6 address already validated by isIP. */
function parseIpv6(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  const gap = text.indexOf('::');
  const head = gap === -1 ? text : text.slice(0, gap);
  const tail = gap === -1 ? '' : text.slice(gap + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  // Groups written after '::' fill the end; an embedded IPv4 address takes the last four bytes.
  const write = (groups: string[], start: number): number => {
    let at = start;
    for (const group of groups) {
      if (group.includes('.')) {
        parseIpv4(group, bytes, at);
        at += 4;
      } else {
        const value = parseInt(group, 16);
        bytes[at] = value >> 8;
        bytes[at + 1] = value & 0xff;
        at += 2;
      }
    }
    return at;
  };
  write(headGroups, 0);
  const tailBytes = tailGroups.reduce((n, group) => n + (group.includes('.') ? 4 : 2), 0);
  write(tailGroups, 16 - tailBytes);
  return bytes;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function formatIpv6(bytes: Uint8Array): string {
  if (isV4Mapped(bytes)) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // The longest run of zero groups (at least two), the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = (list: number[]) => list.map((group) => group.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
