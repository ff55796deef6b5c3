import { describe, expect, test } from 'vitest';
import { compileMediaTypes, mediaTypeOf } from './media-types.ts';

describe('mediaTypeOf', () => {
  test.each<[string | undefined, string]>([
    [undefined, ''],
    ['text/html', 'text/html'],
    ['Text/HTML; charset=UTF-8', 'text/html'],
    ['  application/json ;x=y', 'application/json'],
  ])('%j → %j', (contentType, expected) => {
    expect(mediaTypeOf(contentType)).toBe(expected);
  });
});

describe('compileMediaTypes', () => {
  const matches = compileMediaTypes(['text/*', 'application/json', '*/*+xml', 'application/*+json']);
  test.each<[string, boolean]>([
    ['text/html', true],
    ['text/event-stream', true],
    ['application/json', true],
    ['application/problem+json', true],
    ['application/atom+xml', true],
    ['image/svg+xml', true],
    ['application/octet-stream', false],
    ['image/png', false],
    ['vnd/+json', false],
    ['application/jsonx', false],
    ['', false],
  ])('%s: %s', (mediaType, expected) => {
    expect(matches(mediaType)).toBe(expected);
  });
  test('patterns ignore case', () => {
    expect(compileMediaTypes(['Text/HTML'])('text/html')).toBe(true);
  });
  test('*/* matches every type', () => {
    expect(compileMediaTypes(['*/*'])('application/octet-stream')).toBe(true);
  });
  test.each(['text', '/html', 'text/', 'te xt/html', '*/html', 'text/h*ml', 'text/*+'])(
    'rejects the malformed pattern %j',
    (pattern) => {
      expect(() => compileMediaTypes([pattern])).toThrow(/not a media type pattern/);
    },
  );
});
