/**
 * Every answer Junction makes itself (Sōzu's answers.rs): a failure's plain-text answer, a hook's or
 * rule's reply, the redirect to HTTPS, and the 400/431 a session gives a head it cannot read. Each is
 * length-framed, carries a Date (RFC 9110 §6.6.1) unless it has its own, and a HEAD, 204 or 304 gets
 * no body. The text of a failure's answer is chosen by its error code, here, and nowhere else.
 * Used by the transaction and by sessions (session/); writes nothing itself: it returns text.
 */
import { statusText } from '../codec/index.ts';
import type { ResponseHead } from '../codec/types.ts';
import type { HstsConfig } from '../config/types.ts';
import { ERROR_CODES, type ErrorCode } from '../errors/index.ts';
import { checkedLocalFields, type LocalResponse } from '../hooks/index.ts';
import { dateField } from '../util/http-date.ts';
import { withHsts } from './hsts.ts';

/** The body of the answer to a failure with each code, before the request ID line. */
const ANSWER_TEXT: Partial<Record<ErrorCode, string>> = {
  JCT_ERR_HTTP_MISDIRECTED: "this connection's certificate does not cover this host\n",
  JCT_ERR_ROUTE_NOT_FOUND: 'no route matches this request\n',
  JCT_ERR_HTTP_BODY_TOO_LARGE: 'request body too large\n',
  JCT_ERR_HTTP_BAD_FRAMING: 'malformed request body\n',
  JCT_ERR_UPGRADE_REFUSED: 'this route does not allow this protocol upgrade\n',
  JCT_ERR_UPGRADE_H2_UPSTREAM: "this route's backends speak HTTP/2, which has no protocol upgrade\n",
  JCT_ERR_NO_UPSTREAM: 'no upstream could be reached\n',
  JCT_ERR_CONNECT_TIMEOUT: 'no upstream could be reached\n',
  JCT_ERR_CONNECT_REFUSED: 'no upstream could be reached\n',
  JCT_ERR_CONNECT_UNREACHABLE: 'no upstream could be reached\n',
  JCT_ERR_CONNECT_UNRESOLVABLE: 'no upstream could be reached\n',
  JCT_ERR_CONNECT_FAILED: 'no upstream could be reached\n',
  JCT_ERR_TLS_HANDSHAKE: 'no upstream could be reached\n',
  JCT_ERR_POOL_EXHAUSTED: 'no upstream could be reached\n',
  JCT_ERR_HTTP_BAD_RESPONSE: 'the upstream sent an invalid response\n',
  JCT_ERR_HTTP_RESPONSE_HEAD_TOO_LARGE: "the upstream's response head is too large\n",
  JCT_ERR_UPSTREAM_RESET: 'the upstream closed the connection early\n',
  JCT_ERR_UPSTREAM_TIMEOUT: 'the upstream did not answer in time\n',
  JCT_ERR_CLIENT_TIMEOUT: 'the request body did not arrive in time\n',
  JCT_ERR_HOOK_FAILED: 'internal error\n',
  JCT_ERR_TRANSFORM_FAILED: 'internal error\n',
};

/** Answers whose situation needs more than the code says. */
export const NO_CLUSTER_TEXT = 'the route names no cluster\n';
/** Whatever the cause's code, when the Router found no upstream to take the request. */
export const UNREACHABLE_TEXT = 'no upstream could be reached\n';
export const UNASKED_SWITCH_TEXT = 'the upstream switched protocols unasked, or without an Upgrade field\n';

/** The text of the answer to a failure with `code`. */
export function answerText(code: ErrorCode): string {
  return ANSWER_TEXT[code] ?? 'internal error\n';
}

/** The status of the answer to a failure with `code` (the registry's; 503 for a code without one). */
export function answerStatus(code: ErrorCode): number {
  return ERROR_CODES[code].status ?? 503;
}

const PLAIN_TEXT = 'text/plain; charset=utf-8';

/** The head of an answer Junction makes, with the fields given. Always length-framed. */
export function serializeLocalHead(
  status: number,
  reason: string,
  headers: readonly string[],
  bodyLength: number,
  close: boolean,
): string {
  let out = `HTTP/1.1 ${status} ${reason}\r\n`;
  let sawDate = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === 4 && name.toLowerCase() === 'date') sawDate = true;
    out += `${name}: ${headers[i + 1]!}\r\n`;
  }
  // A hook's own Date stands; otherwise Junction's clock (RFC 9110 §6.6.1).
  if (!sawDate) out += dateField();
  // 204 and 304 carry no body and no length (RFC 9110 §8.6).
  if (status !== 204 && status !== 304) out += `Content-Length: ${bodyLength}\r\n`;
  return out + (close ? 'Connection: close\r\n' : '') + '\r\n';
}

/** A plain-text answer, head and body (`headOnly`: the head alone, for a HEAD request), as latin1 text. */
export function plainTextAnswer(
  status: number,
  fields: readonly string[],
  body: string,
  close: boolean,
  headOnly = false,
): string {
  return (
    serializeLocalHead(
      status,
      statusText(status),
      ['Content-Type', PLAIN_TEXT, ...fields],
      Buffer.byteLength(body),
      close,
    ) + (headOnly ? '' : body)
  );
}

/** The redirect of a request to HTTPS: `location`, with `fields` (the request ID) after it. */
export function redirectAnswer(
  status: number,
  location: string,
  fields: readonly string[],
  keepAlive: boolean,
  headOnly: boolean,
): string {
  const body = `${location}\n`;
  let idFields = '';
  for (let i = 0; i < fields.length; i += 2) idFields += `${fields[i]!}: ${fields[i + 1]!}\r\n`;
  return (
    `HTTP/1.1 ${status} ${statusText(status)}\r\n` +
    dateField() +
    `Location: ${location}\r\n` +
    idFields +
    `Content-Type: ${PLAIN_TEXT}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    (keepAlive ? '' : 'Connection: close\r\n') +
    '\r\n' +
    (headOnly ? '' : body)
  );
}

/** A response to HEAD, and a 204 or 304, has no body whatever Junction would have said. */
export function localResponseHasBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status !== 204 && status !== 304;
}

/** A hook's or rule's reply as fields and body: a body without a Content-Type gets one by its kind. */
export function hookAnswer(answer: LocalResponse): { headers: string[]; body: Buffer } {
  const headers = checkedLocalFields(answer.headers ?? {});
  const body = answer.body === undefined ? EMPTY : Buffer.from(answer.body);
  if (answer.body !== undefined && !hasField(headers, 'content-type')) {
    headers.push('Content-Type', typeof answer.body === 'string' ? PLAIN_TEXT : 'application/octet-stream');
  }
  return { headers, body };
}

/** Junction's own answer held while send-response hooks see it. */
export interface HeldLocal {
  readonly head: ResponseHead;
  readonly body: Buffer;
  readonly code: ErrorCode | undefined;
}

/** The head of Junction's own answer as hooks see it. */
export function localResponseHead(status: number, headers: string[], bodyLength: number): ResponseHead {
  return {
    status,
    reason: statusText(status),
    versionMinor: 1,
    headers,
    bodyKind: 'length',
    contentLength: bodyLength,
    keepAlive: true,
    connectionTokens: [],
  };
}

/** Junction's own answer, after its hooks, with `fields` (its own and the request ID), as bytes. */
export function localAnswerBytes(
  head: ResponseHead,
  fields: readonly string[],
  body: Buffer,
  method: string,
  close: boolean,
): Buffer {
  const text = Buffer.from(
    serializeLocalHead(head.status, head.reason, fields, body.length, close),
    'latin1',
  );
  return body.length > 0 && localResponseHasBody(method, head.status) ? Buffer.concat([text, body]) : text;
}

/**
 * Strict-Transport-Security for an answer Junction makes itself (an error, a hook's or a rule's reply)
 * on a route that sets `hsts`, over HTTPS, unless the answer has its own (`fields`): fields to add.
 */
export function hstsFields(
  hsts: HstsConfig | undefined,
  overTls: boolean,
  fields: readonly string[],
): readonly string[] {
  if (hsts === undefined || !overTls) return NO_FIELDS;
  return withHsts(undefined, hsts, fields) ?? NO_FIELDS;
}

const NO_FIELDS: readonly string[] = [];

/**
 * The bytes of Junction's own answer in a transaction: its fields, then the request ID field, then
 * Strict-Transport-Security on a route that sets `hsts`, over HTTPS.
 */
export function ownAnswerBytes(
  head: ResponseHead,
  body: Buffer,
  requestIdField: readonly string[],
  hsts: HstsConfig | undefined,
  overTls: boolean,
  method: string,
  close: boolean,
): Buffer {
  const fields = [...head.headers, ...requestIdField, ...hstsFields(hsts, overTls, head.headers)];
  return localAnswerBytes(head, fields, body, method, close);
}

const EMPTY = Buffer.alloc(0);

function hasField(headers: readonly string[], lowerName: string): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === lowerName) return true;
  return false;
}
