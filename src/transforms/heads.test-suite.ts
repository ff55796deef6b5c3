/** Test helpers: real request and response heads, parsed by the codec from the lines given. */
import { parseRequestHead, parseResponseHead, type HeadLimits } from '../codec/index.ts';
import type { RequestHead, ResponseHead } from '../codec/types.ts';

const LIMITS: HeadLimits = { maxHeadBytes: 16384, maxHeaderCount: 100, maxRequestLineBytes: 8192 };

/** A request head: `GET / HTTP/1.1` (or the first line given) and the fields given. */
export function requestHead(fields: readonly string[] = [], requestLine = 'GET / HTTP/1.1'): RequestHead {
  const buf = Buffer.from([requestLine, 'Host: example.test', ...fields, '', ''].join('\r\n'), 'latin1');
  const step = parseRequestHead(buf, 0, buf.length, LIMITS);
  if (step.kind !== 'done') throw new Error(`bad test request: ${step.kind}`);
  return step.head;
}

/** A response head to a request with `method`: the status line (default 200) and the fields given. */
export function responseHead(
  fields: readonly string[],
  statusLine = 'HTTP/1.1 200 OK',
  method = 'GET',
): ResponseHead {
  const buf = Buffer.from([statusLine, ...fields, '', ''].join('\r\n'), 'latin1');
  const step = parseResponseHead(buf, 0, buf.length, LIMITS, method);
  if (step.kind !== 'done') throw new Error(`bad test response: ${step.kind}`);
  return step.head;
}
