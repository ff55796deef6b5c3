import { expect, test } from 'vitest';
import { formatJson, isoTime, jsonString } from './json-line.ts';
import type { AccessRecord } from './record.ts';

export const RECORD: AccessRecord = {
  kind: 'http',
  time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  requestId: 'abc-123',
  clientAddress: '127.0.0.1',
  clientPort: 5000,
  listener: 'web',
  method: 'GET',
  scheme: 'http',
  host: 'example.com',
  path: '/a?b=c',
  protocol: 'HTTP/1.1',
  status: 200,
  durationMs: 12,
  upstreamMs: 7,
  bytesReceived: 80,
  bytesSent: 120,
  route: 'r',
  cluster: 'c',
  upstream: '127.0.0.1:8080',
  attempts: 1,
  errorCode: null,
  traceId: null,
  userAgent: 'curl/8',
  referer: null,
  tlsVersion: null,
  sni: null,
};

test.each([
  ['plain'],
  [''],
  ['quote " and backslash \\'],
  ['control \u0000 \u0001 \n \r \t \u001f \u007f'],
  ['line separators \u2028 \u2029'],
  ['lone surrogates \ud800 x \udfff'],
  ['a pair 😀 and é'],
])('jsonString(%j) reads back as the same string', (value) => {
  const text = jsonString(value);
  expect(JSON.parse(text)).toBe(value);
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\u0000-\u001f]/);
  // ASCII only: the writer copies lines byte for byte.
  expect(text).toMatch(/^[\u0020-\u007e]*$/);
});

test('a plain string is quoted as is (no JSON.stringify)', () => {
  expect(jsonString('/path?x=1')).toBe('"/path?x=1"');
});

test('formatJson writes one JSON object with every field', () => {
  const line = formatJson({ ...RECORD, userAgent: 'evil"\n{"status":1}' });
  expect(line).not.toContain('\n');
  expect(JSON.parse(line)).toEqual({
    time: '2026-01-02T03:04:05.678Z',
    type: 'http',
    request_id: 'abc-123',
    client: '127.0.0.1:5000',
    listener: 'web',
    method: 'GET',
    scheme: 'http',
    host: 'example.com',
    path: '/a?b=c',
    protocol: 'HTTP/1.1',
    status: 200,
    duration_ms: 12,
    upstream_ms: 7,
    bytes_received: 80,
    bytes_sent: 120,
    route: 'r',
    cluster: 'c',
    upstream: '127.0.0.1:8080',
    attempts: 1,
    error_code: null,
    trace_id: null,
    user_agent: 'evil"\n{"status":1}',
    referer: null,
    tls: null,
  });
});

test('formatJson brackets IPv6 clients and reports TLS', () => {
  const parsed = JSON.parse(
    formatJson({ ...RECORD, clientAddress: '::1', tlsVersion: 'TLSv1.3', sni: 'example.com' }),
  ) as Record<string, unknown>;
  expect(parsed['client']).toBe('[::1]:5000');
  expect(parsed['tls']).toEqual({ version: 'TLSv1.3', sni: 'example.com' });
});

test('isoTime matches Date#toISOString, across seconds and for every millisecond width', () => {
  for (const time of [
    0,
    5,
    45,
    999,
    1000,
    1001,
    Date.UTC(2026, 11, 31, 23, 59, 59, 7),
    1767225599999,
    1767225600000,
  ]) {
    expect(isoTime(time)).toBe(new Date(time).toISOString());
  }
});
