import { expect, test } from 'vitest';
import { cacheKey, relatedKey } from './cache-key.ts';
import { variantOf } from './cached-object.ts';

test('the key has the scheme, host, port unless default, path and query', () => {
  expect(cacheKey('http', 'example.com', '', '/a', '?x=1')).toBe('http://example.com/a?x=1');
  expect(cacheKey('http', 'example.com', '80', '/a', '')).toBe('http://example.com/a');
  expect(cacheKey('https', 'example.com', '443', '/a', '')).toBe('https://example.com/a');
  expect(cacheKey('http', 'example.com', '8080', '/a', '')).toBe('http://example.com:8080/a');
  expect(cacheKey('https', 'example.com', '', '/a', '')).not.toBe(
    cacheKey('http', 'example.com', '', '/a', ''),
  );
});

test('Location and Content-Location invalidate only on the same host', () => {
  const key = 'http://example.com/items?x=1';
  expect(relatedKey(key, '/items/2')).toBe('http://example.com/items/2');
  expect(relatedKey(key, 'http://example.com/a?b')).toBe('http://example.com/a?b');
  expect(relatedKey(key, 'http://evil.example/items')).toBeUndefined();
  expect(relatedKey(key, 'https://example.com/items')).toBeUndefined();
});

test("variants: the Vary'd request fields in a canonical order; Vary: * never matches", () => {
  const en = { 'accept-language': 'en', accept: 'text/html' };
  expect(variantOf('Accept-Language, Accept', en)).toBe(variantOf('accept,accept-language', en));
  expect(variantOf('Accept-Language', en)).not.toBe(
    variantOf('Accept-Language', { 'accept-language': 'fr' }),
  );
  expect(variantOf('Accept-Language', {})).not.toBe(variantOf('Accept-Language', { 'accept-language': '' }));
  expect(variantOf(undefined, en)).toBe('');
  expect(variantOf('*', en)).toBeUndefined();
});
