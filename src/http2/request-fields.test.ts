import { describe, expect, test } from 'vitest';
import { translateRequestFields } from './request-fields.ts';

const BASE = [':method', 'GET', ':scheme', 'https', ':authority', 'svc.test', ':path', '/a?b=1'];

describe('translateRequestFields', () => {
  test('pseudo-headers become the request line and Host; cookie crumbs are joined', () => {
    const t = translateRequestFields([...BASE, 'cookie', 'a=1', 'accept', '*/*', 'cookie', 'b=2'], true);
    expect(t).toEqual({
      ok: true,
      method: 'GET',
      head: 'GET /a?b=1 HTTP/1.1\r\nhost: svc.test\r\naccept: */*\r\ncookie: a=1; b=2\r\n\r\n',
      body: 'none',
      contentLength: -1,
      contentType: '',
      grpcTimeout: '',
    });
  });

  test('a body without content-length is re-framed as chunked; with one it keeps it', () => {
    const open = translateRequestFields(
      [...BASE.slice(0, 6), ':path', '/up', 'content-type', 'application/grpc'],
      false,
    );
    expect(open.ok && open.body).toBe('chunked');
    expect(open.ok && open.head).toContain('transfer-encoding: chunked\r\n');
    expect(open.ok && open.contentType).toBe('application/grpc');
    const sized = translateRequestFields([...BASE, 'content-length', '5'], false);
    expect(sized.ok && [sized.body, sized.contentLength]).toEqual(['length', 5]);
    expect(sized.ok && sized.head).not.toContain('transfer-encoding');
  });

  test.each([
    ['connection', 'keep-alive'],
    ['transfer-encoding', 'chunked'],
    ['keep-alive', '5'],
    ['proxy-connection', 'close'],
    ['upgrade', 'websocket'],
    ['te', 'gzip'],
  ])('connection-specific %s is refused', (name, value) => {
    const t = translateRequestFields([...BASE, name, value], true);
    expect(t.ok).toBe(false);
    expect(!t.ok && t.status).toBe(400);
  });

  test('te: trailers passes (gRPC needs it)', () => {
    const t = translateRequestFields([...BASE, 'te', 'trailers'], true);
    expect(t.ok && t.head).toContain('te: trailers\r\n');
  });

  test.each([
    ['an upper-case name', [...BASE, 'X-Up', '1'], true],
    ['two content-lengths', [...BASE, 'content-length', '1', 'content-length', '2'], false],
    ['a content-length with END_STREAM on HEADERS', [...BASE, 'content-length', '3'], true],
    ['a bad content-length', [...BASE, 'content-length', '1e3'], false],
    [':authority and host disagreeing', [...BASE, 'host', 'other.test'], true],
    ['no :path', [':method', 'GET', ':scheme', 'http', ':authority', 'a'], true],
    ['a relative :path', [':method', 'GET', ':scheme', 'http', ':authority', 'a', ':path', 'x'], true],
    ['no :authority nor host', [':method', 'GET', ':scheme', 'http', ':path', '/'], true],
    ['a pseudo-header after a field', [':method', 'GET', 'accept', '*', ':path', '/'], true],
    ['a CR in a value', [...BASE, 'x-a', 'a\rb'], true],
  ])('%s is malformed (400)', (_what, raw, endStream) => {
    const t = translateRequestFields(raw, endStream);
    expect(t.ok).toBe(false);
    expect(!t.ok && t.status).toBe(400);
  });

  test('CONNECT and extended CONNECT are answered 501', () => {
    expect(translateRequestFields([':method', 'CONNECT', ':authority', 'a:443'], false)).toMatchObject({
      ok: false,
      status: 501,
    });
    const ws = translateRequestFields(
      [...BASE.slice(0, 2), ':protocol', 'websocket', ...BASE.slice(2)],
      false,
    );
    expect(ws).toMatchObject({ ok: false, status: 501 });
  });

  test('host alone stands in for :authority; OPTIONS * is allowed', () => {
    const t = translateRequestFields(
      [':method', 'OPTIONS', ':scheme', 'http', ':path', '*', 'host', 'h'],
      true,
    );
    expect(t.ok && t.head).toBe('OPTIONS * HTTP/1.1\r\nhost: h\r\n\r\n');
  });
});
