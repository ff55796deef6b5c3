/**
 * The request to explain, as a user writes it (`GET https://shop.example.com/cart`, `-H 'Name: value'`),
 * turned into the head Junction's own parser would make of it on the wire, so that routing and rules
 * see exactly what they would see for that request.
 */
import type { RequestHead } from '../codec/index.ts';
import { parseRequestHead } from '../codec/index.ts';
import type { JunctionConfig } from '../config/index.ts';
import type { AssumedResponse } from './response-side.ts';

export interface ExplainRequest {
  readonly method: string;
  /** Absolute (`http://host[:port]/path?query`) or a path (`/path`, with a Host header). */
  readonly url: string;
  /** Fields in order, as sent. */
  readonly headers: readonly (readonly [string, string])[];
  /** The client's address; default 127.0.0.1. */
  readonly client?: string | undefined;
  /** The TLS server name; default the URL's host on an HTTPS listener, none on a plain one. */
  readonly sni?: string | undefined;
  /** The listener it arrives on, by name; default the one the URL's scheme and port name. */
  readonly listener?: string | undefined;
  /** A response to assume from the backend, to run the response rules against (`--status N`). */
  readonly response?: AssumedResponse | undefined;
}

/** A request that cannot be explained as given (a bad URL or field), in words. */
export class ExplainInputError extends Error {
  override readonly name = 'ExplainInputError';
}

/** `METHOD URL` (one space or more between), as `junction explain` takes it. */
export function parseRequestLine(line: string): { method: string; url: string } {
  const match = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(line);
  if (match === null) throw new ExplainInputError(`expected 'METHOD URL', got '${line}'`);
  return { method: match[1]!.toUpperCase(), url: match[2]! };
}

/** `Name: value`, as curl's -H takes it. */
export function parseHeaderArg(text: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new ExplainInputError(`expected 'Name: value', got '${text}'`);
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}

/** Where the request was sent: the scheme and port of its URL (default 80 or 443). */
export interface RequestTarget {
  readonly scheme: 'http' | 'https' | undefined;
  readonly port: number | undefined;
  /** `host[:port]` of an absolute URL; undefined for a path. */
  readonly authority: string | undefined;
  /** The origin-form target: path and query. */
  readonly target: string;
}

export function requestTarget(url: string): RequestTarget {
  if (url.startsWith('/') || url === '*')
    return { scheme: undefined, port: undefined, authority: undefined, target: url };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ExplainInputError(`'${url}' is neither an absolute http(s) URL nor a path`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ExplainInputError(`'${url}': only http and https URLs`);
  const scheme = parsed.protocol === 'https:' ? 'https' : 'http';
  const port = parsed.port === '' ? (scheme === 'https' ? 443 : 80) : Number(parsed.port);
  // The target as written (URL would normalise dot segments and escapes that Junction keeps).
  const afterAuthority = url.slice(url.indexOf('//') + 2);
  const slash = afterAuthority.search(/[/?]/);
  const rawTarget = slash === -1 ? '/' : afterAuthority.slice(slash);
  const target = rawTarget.startsWith('?') ? `/${rawTarget}` : rawTarget;
  return { scheme, port, authority: parsed.host, target: target.replace(/#.*$/, '') };
}

/**
 * The head Junction would parse from this request: the request line, a Host from the URL (unless a
 * Host field is given), then the fields in order. Throws ExplainInputError when Junction would refuse
 * it (400, 431…), naming the parser's reason.
 */
export function requestHead(
  request: ExplainRequest,
  target: RequestTarget,
  config: JunctionConfig,
): RequestHead {
  const hasHost = request.headers.some(([name]) => name.toLowerCase() === 'host');
  let text = `${request.method} ${target.target} HTTP/1.1\r\n`;
  if (!hasHost && target.authority !== undefined) text += `Host: ${target.authority}\r\n`;
  for (const [name, value] of request.headers) text += `${name}: ${value}\r\n`;
  text += '\r\n';
  const bytes = Buffer.from(text, 'latin1');
  const step = parseRequestHead(bytes, 0, bytes.length, config.limits);
  if (step.kind === 'done') return step.head;
  if (step.kind === 'reject')
    throw new ExplainInputError(
      `Junction would refuse this request: ${step.error.message} (${step.error.code})`,
    );
  throw new ExplainInputError('the request head is incomplete');
}

/** `--status N` and `--response-header 'N: v'`… as the response to assume; undefined without --status. */
export function assumedResponse(
  status: string | undefined,
  headers: readonly string[] | undefined,
): AssumedResponse | undefined {
  if (status === undefined) {
    if ((headers ?? []).length > 0) throw new ExplainInputError('--response-header goes with --status N');
    return undefined;
  }
  const code = /^\d{3}$/.test(status) ? Number(status) : NaN;
  if (!(code >= 100 && code <= 599))
    throw new ExplainInputError(`--status must be a status from 100 to 599, got '${status}'`);
  return { status: code, headers: (headers ?? []).map(parseHeaderArg) };
}
