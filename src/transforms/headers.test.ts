import { describe, expect, test } from 'vitest';
import {
  appendVary,
  hasListToken,
  headerValue,
  removeFramingFields,
  removeHeader,
  setHeader,
  weakenETag,
} from './headers.ts';

describe('headerValue', () => {
  test('finds a field whatever the case of its name', () => {
    expect(headerValue(['Content-Type', 'text/html'], 'content-type')).toBe('text/html');
    expect(headerValue(['CONTENT-TYPE', 'text/html'], 'content-type')).toBe('text/html');
  });
  test('is undefined when the field is absent', () => {
    expect(headerValue(['Content-Length', '3'], 'content-type')).toBeUndefined();
  });
  test('combines repeated fields with ", "', () => {
    expect(headerValue(['Vary', 'Origin', 'X', '1', 'vary', 'Cookie'], 'vary')).toBe('Origin, Cookie');
  });
});

describe('removeHeader and removeFramingFields', () => {
  test('removeHeader drops every field with the name and keeps the others in order', () => {
    const headers = ['A', '1', 'ETag', '"x"', 'B', '2', 'etag', '"y"', 'C', '3'];
    expect(removeHeader(headers, 'etag')).toBe(true);
    expect(headers).toEqual(['A', '1', 'B', '2', 'C', '3']);
    expect(removeHeader(headers, 'etag')).toBe(false);
  });
  test('removeFramingFields drops Content-Length and Transfer-Encoding only', () => {
    const headers = ['Content-Length', '10', 'Content-Type', 'text/plain', 'Transfer-Encoding', 'chunked'];
    removeFramingFields(headers);
    expect(headers).toEqual(['Content-Type', 'text/plain']);
  });
});

describe('setHeader', () => {
  test('replaces the first field in place and drops later duplicates', () => {
    const headers = ['content-encoding', 'identity', 'X', '1', 'Content-Encoding', 'foo'];
    setHeader(headers, 'Content-Encoding', 'gzip');
    expect(headers).toEqual(['Content-Encoding', 'gzip', 'X', '1']);
  });
  test('appends when absent', () => {
    const headers = ['X', '1'];
    setHeader(headers, 'Content-Encoding', 'br');
    expect(headers).toEqual(['X', '1', 'Content-Encoding', 'br']);
  });
});

describe('hasListToken', () => {
  test.each<[string | undefined, string, boolean]>([
    [undefined, 'no-transform', false],
    ['no-transform', 'no-transform', true],
    ['max-age=60, No-Transform', 'no-transform', true],
    ['max-age=60,no-transform=x', 'no-transform', true],
    ['no-transformer', 'no-transform', false],
    ['private', 'no-transform', false],
    ['Accept-Encoding;x', 'accept-encoding', true],
  ])('%j lists %s: %s', (value, token, expected) => {
    expect(hasListToken(value, token)).toBe(expected);
  });
});

describe('appendVary', () => {
  test('adds a Vary field when there is none', () => {
    const headers = ['Content-Type', 'text/html'];
    appendVary(headers, 'Accept-Encoding');
    expect(headers).toEqual(['Content-Type', 'text/html', 'Vary', 'Accept-Encoding']);
  });
  test('appends to the last Vary field', () => {
    const headers = ['Vary', 'Origin', 'vary', 'Cookie'];
    appendVary(headers, 'Accept-Encoding');
    expect(headers).toEqual(['Vary', 'Origin', 'vary', 'Cookie, Accept-Encoding']);
  });
  test('never lists a field twice, whatever its case', () => {
    const headers = ['Vary', 'origin, accept-encoding'];
    appendVary(headers, 'Accept-Encoding');
    expect(headers).toEqual(['Vary', 'origin, accept-encoding']);
  });
  test('leaves Vary: * alone', () => {
    const headers = ['Vary', '*'];
    appendVary(headers, 'Accept-Encoding');
    expect(headers).toEqual(['Vary', '*']);
  });
  test('fills an empty Vary', () => {
    const headers = ['Vary', ''];
    appendVary(headers, 'Accept-Encoding');
    expect(headers).toEqual(['Vary', 'Accept-Encoding']);
  });
});

describe('weakenETag', () => {
  test('turns a strong ETag weak and leaves a weak one', () => {
    const strong = ['ETag', '"abc"'];
    weakenETag(strong);
    expect(strong).toEqual(['ETag', 'W/"abc"']);
    const weak = ['etag', 'W/"abc"'];
    weakenETag(weak);
    expect(weak).toEqual(['etag', 'W/"abc"']);
  });
});
