/**
 * Known request-smuggling and response-splitting vectors (PortSwigger's desync research, RFC 9112 §11.2,
 * HAProxy/nginx hardening). Every one must be refused, whole or in any prefix: a prefix may only ask
 * for more bytes or be refused, never parse as a head that would then be forwarded.
 */
import { describe, expect, test } from 'vitest';
import { ChunkedDecoder, parseRequestHead, parseResponseHead, type HeadLimits } from './index.ts';

const LIMITS: HeadLimits = { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 4096 };
const R = 'POST / HTTP/1.1\r\nHost: a.test\r\n';

const REQUEST_VECTORS: [string, string][] = [
  ['CL.TE', `${R}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n`],
  ['TE.CL', `${R}Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n`],
  ['CL.TE with a 1.0 request', 'POST / HTTP/1.0\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ['TE on HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ['duplicate CL, equal', `${R}Content-Length: 6\r\nContent-Length: 6\r\n\r\n`],
  ['duplicate CL, differing', `${R}Content-Length: 6\r\nContent-Length: 5\r\n\r\n`],
  ['CL list', `${R}Content-Length: 6, 6\r\n\r\n`],
  ['CL with sign', `${R}Content-Length: +6\r\n\r\n`],
  ['CL with inner space', `${R}Content-Length: 6 6\r\n\r\n`],
  ['CL overflow', `${R}Content-Length: 18446744073709551616\r\n\r\n`],
  ['Content_Length lookalike', `${R}Content_Length: 6\r\n\r\n`],
  ['Transfer_Encoding lookalike', `${R}Content-Length: 6\r\nTransfer_Encoding: chunked\r\n\r\n`],
  ['TE chunked twice', `${R}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`],
  ['TE chunked, identity', `${R}Transfer-Encoding: chunked, identity\r\n\r\n`],
  ['TE identity, CL', `${R}Transfer-Encoding: identity\r\nContent-Length: 6\r\n\r\n`],
  ['TE xchunked', `${R}Transfer-Encoding: xchunked\r\n\r\n`],
  ['TE chunked-false', `${R}Transfer-Encoding: chunked-false\r\n\r\n`],
  ['TE chunked;x', `${R}Transfer-Encoding: chunked;x\r\n\r\n`],
  ['TE quoted', `${R}Transfer-Encoding: "chunked"\r\n\r\n`],
  ['TE with VT', `${R}Transfer-Encoding:\x0bchunked\r\n\r\n`],
  ['TE with FF', `${R}Transfer-Encoding: chunked\x0c\r\n\r\n`],
  ['TE with CR', `${R}Transfer-Encoding: chunked\r\r\n\r\n`],
  ['TE with NUL', `${R}Transfer-Encoding: chunked\0\r\n\r\n`],
  ['TE obs-fold', `${R}Transfer-Encoding:\r\n chunked\r\n\r\n`],
  ['TE obs-fold with tab', `${R}Content-Length: 6\r\nX: y\r\n\tTransfer-Encoding: chunked\r\n\r\n`],
  ['TE with leading space', `${R} Transfer-Encoding: chunked\r\n\r\n`],
  ['space before colon', `${R}Transfer-Encoding : chunked\r\n\r\n`],
  ['tab before colon', `${R}Transfer-Encoding\t: chunked\r\n\r\n`],
  ['NUL in a field value', `${R}X-A: a\0b\r\nContent-Length: 6\r\n\r\n`],
  ['NUL in a field name', `${R}X\0A: b\r\n\r\n`],
  ['bare LF between fields', `${R}Content-Length: 6\nTransfer-Encoding: chunked\r\n\r\n`],
  ['bare LF ending the head', `${R}Content-Length: 6\r\n\n`],
  ['bare LF head', 'POST / HTTP/1.1\nHost: a\nContent-Length: 6\n\n'],
  ['bare CR', `${R}X: a\rTransfer-Encoding: chunked\r\n\r\n`],
  ['request line with two spaces', `POST  / HTTP/1.1\r\nHost: a.test\r\n\r\n`],
  ['request line with tab', `POST /\tHTTP/1.1\r\nHost: a.test\r\n\r\n`],
  ['target with space-like bytes', `GET /a\x0bb HTTP/1.1\r\nHost: a.test\r\n\r\n`],
  ['header injection via target', `GET /a\r\nX: y HTTP/1.1\r\nHost: a.test\r\n\r\n`],
  ['two Host fields', 'GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n'],
  ['Host with path', 'GET / HTTP/1.1\r\nHost: a.test/b\r\n\r\n'],
  ['Host with userinfo', 'GET / HTTP/1.1\r\nHost: evil@a.test\r\n\r\n'],
  ['missing Host', 'GET / HTTP/1.1\r\nX: y\r\n\r\n'],
  ['HTTP/0.9 style request', 'GET /\r\n\r\n'],
];

describe('smuggling vectors: requests', () => {
  test.each(REQUEST_VECTORS)('%s', (_name, raw) => {
    const buf = Buffer.from(raw, 'latin1');
    const whole = parseRequestHead(buf, 0, buf.length, LIMITS);
    expect(whole.kind).toBe('reject');
    if (whole.kind === 'reject') expect(whole.error.status).toBeOneOf([400, 501]);
    for (let n = 0; n < buf.length; n++) expect(parseRequestHead(buf, 0, n, LIMITS).kind).not.toBe('done');
  });
});

const RESPONSE_VECTORS: [string, string][] = [
  ['CL.TE', 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ['duplicate CL', 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: 7\r\n\r\n'],
  ['TE not ending in chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'],
  ['TE obs-fold', 'HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n chunked\r\n\r\n'],
  ['space before colon', 'HTTP/1.1 200 OK\r\nContent-Length : 6\r\n\r\n'],
  ['bare LF', 'HTTP/1.1 200 OK\nContent-Length: 6\n\n'],
  ['NUL in value', 'HTTP/1.1 200 OK\r\nSet-Cookie: a\0b\r\nContent-Length: 0\r\n\r\n'],
  ['TE in HTTP/1.0', 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'],
];

describe('smuggling vectors: responses', () => {
  test.each(RESPONSE_VECTORS)('%s', (_name, raw) => {
    const buf = Buffer.from(raw, 'latin1');
    expect(parseResponseHead(buf, 0, buf.length, LIMITS, 'GET')).toMatchObject({
      kind: 'reject',
      error: { code: 'JCT_ERR_HTTP_BAD_RESPONSE' },
    });
    for (let n = 0; n < buf.length; n++) {
      expect(parseResponseHead(buf, 0, n, LIMITS, 'GET').kind).not.toBe('done');
    }
  });
});

const CHUNKED_VECTORS: [string, string][] = [
  ['size overflow to 2^64', '10000000000000000\r\nx\r\n0\r\n\r\n'],
  ['size overflow past 2^53-1', '20000000000000\r\n'],
  ['size with 0x prefix', '0x5\r\nhello\r\n0\r\n\r\n'],
  ['size with trailing space', '5 \r\nhello\r\n0\r\n\r\n'],
  ['size with leading space', ' 5\r\nhello\r\n0\r\n\r\n'],
  ['BWS before extension', '5\t;x\r\nhello\r\n0\r\n\r\n'],
  ['bare LF after size', '5\nhello\r\n0\r\n\r\n'],
  ['bare LF in extension', '5;x\nhello\r\n0\r\n\r\n'],
  ['bad chunk ending', '5\r\nhelloXX0\r\n\r\n'],
  ['chunk ending with bare LF', '5\r\nhello\n0\r\n\r\n'],
  ['negative size', '-1\r\n'],
  ['empty size line', '\r\n0\r\n\r\n'],
  ['trailer obs-fold', '0\r\nX: a\r\n b\r\n\r\n'],
  ['trailer bare LF', '0\r\nX: a\n\r\n'],
];

describe('smuggling vectors: chunked bodies', () => {
  test.each(CHUNKED_VECTORS)('%s', (_name, raw) => {
    const buf = Buffer.from(raw, 'latin1');
    for (const step of [buf.length, 1]) {
      const decoder = new ChunkedDecoder('client');
      let ended = false;
      let rejected = false;
      let bytes = 0;
      const sink = {
        onData: (_b: Buffer, s: number, e: number) => (bytes += e - s),
        onEnd: () => (ended = true),
      };
      for (let p = 0; p < buf.length && !rejected; p += step) {
        const r = decoder.feed(buf, p, Math.min(buf.length, p + step), sink);
        rejected = r.kind === 'reject';
      }
      expect(rejected).toBe(true);
      expect(ended).toBe(false);
      expect(bytes).toBeLessThan(buf.length);
    }
  });
});
