import { describe, expect, test } from 'vitest';
import { CONNECTION_SPECIFIC_FIELDS, HOP_BY_HOP_FIELDS, TRAILER_FIELDS_DROPPED } from './field-lists.ts';

describe('field lists', () => {
  test('connection-specific ⊂ hop-by-hop ⊂ dropped from trailers', () => {
    for (const name of CONNECTION_SPECIFIC_FIELDS) expect(HOP_BY_HOP_FIELDS).toContain(name);
    for (const name of HOP_BY_HOP_FIELDS) expect(TRAILER_FIELDS_DROPPED.has(name)).toBe(true);
    expect(CONNECTION_SPECIFIC_FIELDS).not.toContain('te');
    expect(HOP_BY_HOP_FIELDS).toEqual(expect.arrayContaining(['te', 'trailer']));
  });

  test('every list is lower-case', () => {
    for (const name of [...HOP_BY_HOP_FIELDS, ...TRAILER_FIELDS_DROPPED])
      expect(name).toBe(name.toLowerCase());
  });

  // RFC 9110 §6.5.1: framing, routing, authentication, request modifiers, response controls, content format.
  test.each([
    'content-length',
    'host',
    'authorization',
    'www-authenticate',
    'cache-control',
    'max-forwards',
    'location',
    'content-type',
    'content-encoding',
    'content-range',
    'set-cookie',
  ])('%s never travels in a trailer section', (name) => {
    expect(TRAILER_FIELDS_DROPPED.has(name)).toBe(true);
  });

  test.each(['grpc-status', 'grpc-message', 'server-timing', 'x-checksum', 'digest'])('%s may', (name) => {
    expect(TRAILER_FIELDS_DROPPED.has(name)).toBe(false);
  });
});
