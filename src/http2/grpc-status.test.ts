import { expect, test } from 'vitest';
import { grpcMessage, grpcStatusOfHttp, isGrpcContentType, parseGrpcTimeout } from './grpc-status.ts';

test('HTTP statuses map to gRPC codes as Envoy maps them', () => {
  const table = [400, 401, 403, 404, 429, 502, 503, 504, 500, 413, 200].map((s) => [s, grpcStatusOfHttp(s)]);
  expect(table).toEqual([
    [400, 13],
    [401, 16],
    [403, 7],
    [404, 12],
    [429, 14],
    [502, 14],
    [503, 14],
    [504, 14],
    [500, 2],
    [413, 2],
    [200, 2],
  ]);
});

test('gRPC content types', () => {
  expect(isGrpcContentType('application/grpc')).toBe(true);
  expect(isGrpcContentType('application/grpc+proto')).toBe(true);
  expect(isGrpcContentType('Application/GRPC-web')).toBe(true);
  expect(isGrpcContentType('application/json')).toBe(false);
  expect(isGrpcContentType('')).toBe(false);
});

test('grpc-timeout values', () => {
  expect(parseGrpcTimeout('1H')).toBe(3_600_000);
  expect(parseGrpcTimeout('2M')).toBe(120_000);
  expect(parseGrpcTimeout('3S')).toBe(3000);
  expect(parseGrpcTimeout('250m')).toBe(250);
  expect(parseGrpcTimeout('1500u')).toBe(2);
  expect(parseGrpcTimeout('10n')).toBe(1);
  expect(parseGrpcTimeout('0m')).toBe(0);
  for (const bad of ['', 'S', '12', '1x', '123456789S', '-1S', '1.5S'])
    expect(parseGrpcTimeout(bad)).toBe(-1);
});

test('grpc-message is the first line, percent-encoded', () => {
  expect(grpcMessage('no route matches this request\nrequest id: x\n')).toBe('no route matches this request');
  expect(grpcMessage('50% off: é')).toBe('50%25 off: %C3%A9');
});
