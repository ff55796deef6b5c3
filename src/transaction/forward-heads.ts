import { HOP_BY_HOP_FIELDS } from '../codec/index.ts';
import type { RequestHead, ResponseHead } from '../codec/types.ts';
import type { ForwardedConfig } from '../config/types.ts';
import { dateField } from '../util/http-date.ts';
import type { BodyFraming } from './framed-writer.ts';

/**
 * Field names Junction never copies from one hop to the next: the hop-by-hop fields, and Expect, which
 * Junction answers itself. Indexed by length so most fields are passed without lower-casing them.
 */
const DROPPED_BY_LENGTH = new Map<number, readonly string[]>();
for (const name of [...HOP_BY_HOP_FIELDS, 'expect']) {
  DROPPED_BY_LENGTH.set(name.length, [...(DROPPED_BY_LENGTH.get(name.length) ?? []), name]);
}

/** Fields a Connection token may never remove: Junction owns framing and routing. */
const PROTECTED = new Set(['host', 'content-length', 'transfer-encoding']);

/**
 * Lower-cases `name` only when a dropped name or a Connection token has its length: every message
 * that says `Connection: keep-alive` used to pay a new lower-case string for each of its fields.
 */
function isHopByHop(name: string, connectionTokens: readonly string[]): boolean {
  const candidates = DROPPED_BY_LENGTH.get(name.length);
  let lower: string | undefined;
  if (candidates !== undefined) {
    lower = name.toLowerCase();
    if (candidates.includes(lower)) return true;
  }
  // Indexed, not for-of: called per field, and the heap profile showed an iterator allocated per call.
  // eslint-disable-next-line @typescript-eslint/prefer-for-of
  for (let i = 0; i < connectionTokens.length; i++) {
    const token = connectionTokens[i]!;
    if (token.length !== name.length) continue;
    lower ??= name.toLowerCase();
    if (token === lower) return !PROTECTED.has(lower);
  }
  return false;
}

export interface ForwardingInfo {
  readonly clientAddress: string;
  readonly scheme: 'http' | 'https';
  readonly forwarded: ForwardedConfig;
  /** The body goes upstream chunked whatever the client sent (a request transform re-frames it). */
  readonly chunkedBody?: boolean;
  /**
   * `host:port` of the upstream: the Host of a request that had none (HTTP/1.0 allows that, but what
   * Junction sends is HTTP/1.1, which requires one).
   */
  readonly upstreamAuthority?: string;
  /** The request asks for a protocol switch Junction forwards: Upgrade is kept and Connection names it. */
  readonly upgrade?: boolean;
}

/**
 * The request head Junction sends upstream: origin-form target, the client's fields minus hop-by-hop
 * ones, one Host, X-Forwarded-*, and the framing Junction chose for the body.
 */
export function serializeUpstreamRequestHead(head: RequestHead, info: ForwardingInfo): string {
  const fwd = info.forwarded;
  const target =
    head.target.charCodeAt(0) === 47 /* / */ || head.target === '*' ? head.target : head.path + head.query;
  let out = `${head.method} ${target === '' ? '/' : target} HTTP/1.1\r\n`;
  const headers = head.headers;
  const extra = head.connectionTokens;
  let xff = '';
  let sawHost = false;
  const absoluteForm = target !== head.target;
  const upgrade = info.upgrade === true;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      // An absolute-form target overrides Host (RFC 9112 §3.2.2).
      if (sawHost) continue;
      sawHost = true;
      out += absoluteForm ? `Host: ${authority(head)}\r\n` : `${name}: ${value}\r\n`;
      continue;
    }
    if (name.length >= 15 && name.length <= 17) {
      const lower = name.toLowerCase();
      if (lower === 'x-forwarded-for' && fwd.xForwardedFor) {
        xff = xff === '' ? value : `${xff}, ${value}`;
        continue;
      }
      // Rewritten below: a client must not choose what the upstream believes about the hop.
      if (lower === 'x-forwarded-proto' && fwd.xForwardedProto) continue;
      if (lower === 'x-forwarded-host' && fwd.xForwardedHost) continue;
    }
    if (upgrade && isUpgradeField(name)) {
      out += `${name}: ${value}\r\n`;
      continue;
    }
    if (isHopByHop(name, extra)) continue;
    out += `${name}: ${value}\r\n`;
  }
  if (upgrade) out += 'Connection: Upgrade\r\n';
  if (!sawHost) {
    if (head.host !== '') out += `Host: ${authority(head)}\r\n`;
    else if (info.upstreamAuthority !== undefined) out += `Host: ${info.upstreamAuthority}\r\n`;
  }
  if (fwd.xForwardedFor) {
    out += `X-Forwarded-For: ${xff === '' ? info.clientAddress : `${xff}, ${info.clientAddress}`}\r\n`;
  }
  if (fwd.xForwardedProto) out += `X-Forwarded-Proto: ${info.scheme}\r\n`;
  if (fwd.xForwardedHost) {
    // The Host the client sent, even when a hook or rule rewrote the one the upstream gets.
    const clientAuthority = head.clientAuthority ?? (head.host === '' ? '' : authority(head));
    if (clientAuthority !== '') out += `X-Forwarded-Host: ${clientAuthority}\r\n`;
  }
  if (head.bodyKind === 'chunked' || info.chunkedBody === true) out += 'Transfer-Encoding: chunked\r\n';
  return out + '\r\n';
}

function authority(head: RequestHead): string {
  return head.port === '' ? head.host : `${head.host}:${head.port}`;
}

function isUpgradeField(name: string): boolean {
  return name.length === 7 && name.toLowerCase() === 'upgrade';
}

/**
 * The 101 head Junction sends the client when it starts a tunnel: the upstream's end-to-end fields
 * (Sec-WebSocket-Accept…), its Upgrade, and Connection: Upgrade. A 1xx has no body, so no framing field.
 */
export function serializeSwitchingHead(
  response: ResponseHead,
  extraHeaders: readonly string[] | undefined,
): string {
  let out = `HTTP/1.1 101 ${response.reason}\r\n`;
  const headers = response.headers;
  const extra = response.connectionTokens;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (!isUpgradeField(name)) {
      if (isHopByHop(name, extra)) continue;
      if (name.length === 14 && name.toLowerCase() === 'content-length') continue;
    }
    out += `${name}: ${headers[i + 1]!}\r\n`;
  }
  if (extraHeaders !== undefined) {
    for (let i = 0; i < extraHeaders.length; i += 2)
      out += `${extraHeaders[i]!}: ${extraHeaders[i + 1]!}\r\n`;
  }
  return out + 'Connection: Upgrade\r\n\r\n';
}

/** How Junction frames a response body towards the client. */
export type ClientFraming = BodyFraming;

/** Chooses the client-side framing for an upstream response (re-framing when the hops differ). */
export function clientFramingFor(response: ResponseHead, clientVersionMinor: 0 | 1): ClientFraming {
  switch (response.bodyKind) {
    case 'none':
      return 'none';
    case 'length':
      return 'length';
    case 'chunked':
    case 'close':
      // HTTP/1.0 clients cannot read chunked: they get the body delimited by the close.
      return clientVersionMinor === 1 ? 'chunked' : 'close';
  }
}

/** The response head Junction sends the client. */
export function serializeClientResponseHead(
  response: ResponseHead,
  framing: ClientFraming,
  keepAlive: boolean,
  clientVersionMinor: 0 | 1,
  extraHeaders: readonly string[] | undefined,
): string {
  let out = `HTTP/1.1 ${response.status} ${response.reason}\r\n`;
  const headers = response.headers;
  const extra = response.connectionTokens;
  const keepLength = framing === 'length' || framing === 'none';
  let sawDate = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (isHopByHop(name, extra)) continue;
    if (!keepLength && name.length === 14 && name.toLowerCase() === 'content-length') continue;
    if (name.length === 4 && name.toLowerCase() === 'date') sawDate = true;
    out += `${name}: ${headers[i + 1]!}\r\n`;
  }
  // The backend's Date is the origin's clock and stays; a response without one gets Junction's, as
  // RFC 9110 §6.6.1 asks of a recipient with a clock that forwards it.
  if (!sawDate) out += dateField();
  if (extraHeaders !== undefined) {
    for (let i = 0; i < extraHeaders.length; i += 2)
      out += `${extraHeaders[i]!}: ${extraHeaders[i + 1]!}\r\n`;
  }
  if (framing === 'chunked') out += 'Transfer-Encoding: chunked\r\n';
  if (!keepAlive) out += 'Connection: close\r\n';
  else if (clientVersionMinor === 0) out += 'Connection: keep-alive\r\n';
  return out + '\r\n';
}
