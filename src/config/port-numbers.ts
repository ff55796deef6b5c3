/**
 * How a config writes a port: plain decimal digits with no leading zero (`0` itself only where 0 is
 * allowed), in a `host:port` string and as a YAML number alike. YAML reads `080`, `+80`, `8e1`, `0x50`
 * and `80.0` as the number 80; a port written so is refused instead, since the writer may have meant
 * something else (an octal 080 is not 80 to everything that reads the file).
 */
import type { KeyPath } from './config-issue.ts';

const PLAIN_PORT = /^(?:0|[1-9]\d*)$/;

/** Decimal digits without a sign, exponent or leading zero; the range is checked where it is used. */
export function isPlainPort(text: string): boolean {
  return PLAIN_PORT.test(text);
}

/** The keys whose value is a port number: `listeners[].port`, `listeners[].redirect_to_https.port`, `admin.port`. */
function isPortKey(path: KeyPath): boolean {
  const [section, index, key, sub] = path;
  if (section === 'admin') return path.length === 2 && index === 'port';
  if (section !== 'listeners' || typeof index !== 'number') return false;
  if (path.length === 3) return key === 'port';
  return path.length === 4 && key === 'redirect_to_https' && sub === 'port';
}

/**
 * The problem with a YAML scalar at `path` when it is a port not written as plain digits, or undefined.
 * `value` is what YAML read and `source` the scalar as written. Values the schema refuses anyway (not
 * a whole number, negative) are left to it; a `${VAR}` reference is the environment's to fill in.
 */
export function portNumberProblem(
  path: KeyPath,
  value: unknown,
  source: string | undefined,
): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return undefined;
  if (source === undefined || source.includes('$') || !isPortKey(path)) return undefined;
  const text = source.trim();
  if (isPlainPort(text)) return undefined;
  return `port: must be written in plain decimal digits (no sign, exponent or leading zero), got '${text}'`;
}
