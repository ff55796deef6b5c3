/**
 * Host names and addresses as the config file writes them: route host patterns, backend
 * `host:port` strings and listen addresses. Results are values with a problem message, never throws.
 */
import { isIP, isIPv6 } from 'node:net';
import { isPlainPort } from './port-numbers.ts';

/** A route's or an SNI route's host condition, as parseHostPattern() reads it. */
export type HostMatch =
  | { readonly kind: 'exact'; readonly host: string }
  /** `*.example.com` → suffix `.example.com`; matches one or more labels before it. */
  | { readonly kind: 'wildcard'; readonly suffix: string };

export type AddressResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** Letters, digits, `-` and `_` (common in internal names) per label; no empty labels. */
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;
/** A last label of digits only: an IPv4 literal (valid or not), never a DNS name (RFC 3696 §2). */
const NUMERIC_TLD = /(?:^|\.)\d+\.?$/;

/** A DNS host name: `300.1.1.1` is not one (it is a malformed IPv4 address, which a resolver refuses). */
export function isHostName(text: string): boolean {
  return HOST_NAME.test(text) && !NUMERIC_TLD.test(text);
}

/** The complaint about a string that is neither an IP address nor a host name. */
export function addressProblem(text: string): string {
  return /^[\d.]+$/.test(text)
    ? `'${text}' is not a valid IPv4 address (four numbers from 0 to 255)`
    : `'${text}' is not a valid host name or IP address`;
}

/** A port in a host pattern: plain decimal digits, 0 to 65535. */
function isPortText(text: string): boolean {
  return isPlainPort(text) && Number(text) <= 65535;
}

function fail<T>(problem: string): AddressResult<T> {
  return { ok: false, problem };
}

/**
 * A route's host condition: `api.example.com`, `*.example.com`, `[::1]`. Lower-cased; a `:port` and a
 * trailing dot are dropped, because the route table compares against the Host header's name only.
 * IPv6 literals keep their brackets, as they appear in a Host header.
 */
export function parseHostPattern(text: string): AddressResult<HostMatch> {
  let host = text.trim().toLowerCase();
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    const rest = close < 0 ? '' : host.slice(close + 1);
    if (
      close < 0 ||
      !isIPv6(host.slice(1, close)) ||
      !(rest === '' || (rest.startsWith(':') && isPortText(rest.slice(1))))
    ) {
      return fail(`'${text}' is not a valid bracketed IPv6 address`);
    }
    return { ok: true, value: { kind: 'exact', host: host.slice(0, close + 1) } };
  }
  const colon = host.indexOf(':');
  if (colon >= 0) {
    if (host.includes(':', colon + 1)) return fail(`write IPv6 addresses in brackets, as in '[::1]'`);
    if (!isPortText(host.slice(colon + 1))) return fail(`'${text}' has an invalid port`);
    host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.startsWith('*.')) {
    if (!HOST_NAME.test(host.slice(2))) return fail(`'${text}' is not a valid wildcard host name`);
    return { ok: true, value: { kind: 'wildcard', suffix: host.slice(1) } };
  }
  if (host.includes('*')) {
    return fail(`a wildcard must be the whole first label, as in '*.example.com'; got '${text}'`);
  }
  if (/^[\d.]+$/.test(host) && isIP(host) === 0) return fail(addressProblem(host));
  if (!HOST_NAME.test(host)) return fail(`'${text}' is not a valid host name`);
  return { ok: true, value: { kind: 'exact', host } };
}

export interface HostPort {
  /** A name or IP address, IPv6 without brackets (as node:net wants it). */
  readonly host: string;
  readonly port: number;
}

/** A backend address: `host:port`, `10.0.0.7:80` or `[::1]:9001`. The port is required, 1-65535. */
export function parseHostPort(text: string): AddressResult<HostPort> {
  const trimmed = text.trim();
  let host: string;
  let portText: string;
  if (trimmed.startsWith('[')) {
    const close = trimmed.indexOf(']');
    host = close < 0 ? '' : trimmed.slice(1, close);
    if (!isIPv6(host)) return fail(`'${text}' is not a valid bracketed IPv6 address`);
    if (trimmed[close + 1] !== ':') return fail(`'${text}' has no port; write it as '[${host}]:PORT'`);
    portText = trimmed.slice(close + 2);
  } else {
    const colon = trimmed.lastIndexOf(':');
    if (colon < 0) return fail(`'${text}' has no port; write it as 'host:port'`);
    host = trimmed.slice(0, colon);
    portText = trimmed.slice(colon + 1);
    if (host.includes(':')) return fail(`write IPv6 addresses in brackets, as in '[::1]:9001'`);
    if (!isHostName(host) && isIP(host) === 0) return fail(addressProblem(host));
  }
  if (/^\d+$/.test(portText) && !isPlainPort(portText)) {
    return fail(`'${text}' has a port with a leading zero; write it in plain decimal digits`);
  }
  const port = isPlainPort(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return fail(`'${text}' needs a port from 1 to 65535`);
  return { ok: true, value: { host, port } };
}

export interface BackendAddress extends HostPort {
  /** Written `https://…`. */
  readonly tls: boolean;
}

/**
 * A backend: `host:port`, or with a scheme, `http://host[:port]` / `https://host[:port]` (ports 80 and
 * 443 by default). `https` means TLS to that backend. Nothing may follow the authority: a backend is an
 * address, not a URL prefix.
 */
export function parseBackendAddress(text: string): AddressResult<BackendAddress> {
  const scheme = /^(https?):\/\//i.exec(text.trim());
  if (scheme === null) {
    const parsed = parseHostPort(text);
    return parsed.ok ? { ok: true, value: { ...parsed.value, tls: false } } : parsed;
  }
  const tls = scheme[1]!.toLowerCase() === 'https';
  const authority = text.trim().slice(scheme[0].length);
  if (/[/?#]/.test(authority)) return fail(`'${text}' must be an address only, without a path`);
  const hasPort = authority.startsWith('[') ? authority.includes(']:') : authority.includes(':');
  const parsed = parseHostPort(hasPort ? authority : `${authority}:${tls ? 443 : 80}`);
  return parsed.ok ? { ok: true, value: { ...parsed.value, tls } } : parsed;
}

/** `host:port`, bracketing IPv6 so the result parses back with parseHostPort. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A listen address: an IP address (`0.0.0.0`, `::`) or a host name such as `localhost`. */
export function isListenAddress(text: string): boolean {
  return isIP(text) !== 0 || isHostName(text);
}

/**
 * Only this host can reach it: 127.0.0.0/8, ::1 (and its IPv4-mapped form), or `localhost`. Any other
 * name may resolve to a public address, so it does not count.
 */
export function isLoopbackAddress(text: string): boolean {
  const address = text.toLowerCase();
  if (address === 'localhost' || address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}
