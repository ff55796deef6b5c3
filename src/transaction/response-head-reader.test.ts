import { describe, expect, test } from 'vitest';
import { readResponseHead, type HeadReadResult } from './response-head-reader.ts';

const LIMITS = { maxHeadBytes: 8192, maxHeaderCount: 100, maxRequestLineBytes: 8192 };

function read(text: string, method = 'GET', upgrade = false): { kind: string; out: HeadReadResult } {
  const out: HeadReadResult = { head: null, offset: 0, error: null };
  const kind = readResponseHead(Buffer.from(text, 'latin1'), 0, LIMITS, method, upgrade, out);
  return { kind, out };
}

describe('readResponseHead', () => {
  test('a final head, and where its body starts', () => {
    const { kind, out } = read('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    expect(kind).toBe('final');
    expect(out.head!.status).toBe(200);
    expect(out.offset).toBe(38);
  });

  test('interim heads are read past; the final one after them counts', () => {
    const { kind, out } = read(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
    );
    expect(kind).toBe('final');
    expect(out.head!.status).toBe(204);
  });

  test('an incomplete head after an interim one: keep from where the next head starts', () => {
    const text = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 20';
    const { kind, out } = read(text);
    expect(kind).toBe('need-more');
    expect(out.offset).toBe(text.indexOf('HTTP/1.1 20'));
  });

  test('a 101 switches only a request sent as an upgrade, and only naming its protocol', () => {
    const switching = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
    expect(read(switching, 'GET', true).kind).toBe('switch');
    expect(read(switching, 'GET', false).kind).toBe('bad-switch');
    expect(read('HTTP/1.1 101 Switching Protocols\r\n\r\n', 'GET', true).kind).toBe('bad-switch');
  });

  test('an invalid head is refused with its code', () => {
    const { kind, out } = read('HTTP/1.1 abc\r\n\r\n');
    expect(kind).toBe('reject');
    expect(out.error!.code).toBe('JCT_ERR_HTTP_BAD_RESPONSE');
  });

  test('a head over the limit is refused as too large', () => {
    const { kind, out } = read(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(9000)}\r\n\r\n`);
    expect(kind).toBe('reject');
    expect(out.error!.code).toBe('JCT_ERR_HTTP_RESPONSE_HEAD_TOO_LARGE');
  });
});
