/**
 * IP addresses as bytes (4 or 16, as the PROXY protocol's binary form and IP-space tables hold them) and
 * back to text. Text is what Node's sockets report (RFC 5952: IPv6 compressed, lower case, IPv4-mapped
 * addresses as `::ffff:a.b.c.d`), so addresses read from a PROXY header or a rule compare equal to socket
 * addresses in logs, X-Forwarded-For and rules.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** 4 bytes for dotted IPv4, undefined when the text is not one. */
export function ipv4Bytes(text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined;
  return Uint8Array.from(text.split('.').map(Number));
}

/** 16 bytes for IPv6 text (with an embedded IPv4 tail allowed), undefined when the text is not IPv6. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let head = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = ipv4Bytes(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    head = text.slice(0, lastColon + 1) + '0';
  }
  const halves = head.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  let groups: number[];
  if (halves.length === 2) {
    const left = parse(halves[0]!);
    const right = parse(halves[1]!);
    if (tail.length > 0) right.pop();
    const fill = 8 - tail.length - left.length - right.length;
    groups = [...left, ...Array<number>(fill).fill(0), ...right, ...tail];
  } else {
    groups = parse(head);
    if (tail.length > 0) groups.pop();
    groups.push(...tail);
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text (the longest run of zero groups compressed), as Node's sockets print IPv6. */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + i * 2]! << 8) | bytes[offset + i * 2 + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  // IPv4-mapped addresses print with a dotted tail, as Node reports a dual-stack socket's IPv4 peer.
  if (bestStart === 0 && bestLength === 5 && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(bytes, offset + 12)}`;
  }
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** `::ffff:10.1.2.3` → `10.1.2.3`; any other address is returned as it is. */
export function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}
