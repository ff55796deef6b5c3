import { describe, expect, test } from 'vitest';
import { decodeFields, encodeFields, NotTransferable, toWire } from './config-wire.ts';
import { parseConfigText } from './parse-config.ts';

describe('the config as data across threads', () => {
  test('Maps, Sets, byte arrays, non-finite numbers and large lists come back equal', async () => {
    const value = {
      small: { a: 1, b: [1, 2] },
      map: new Map([['x', { set: new Set([500, 502]) }]]),
      bytes: Buffer.from([0, 1, 255]),
      infinite: Infinity,
      list: Array.from({ length: 2_345 }, (_, i) => ({ i, name: `r${i}` })),
      bigMap: new Map(Array.from({ length: 1_200 }, (_, i) => [`k${i}`, i])),
      bigObject: Object.fromEntries(Array.from({ length: 1_100 }, (_, i) => [`k${i}`, [i]])),
      nul: 'a\u0000b',
    };
    const fields = encodeFields(value);
    expect('chunks' in fields['list']!).toBe(true);
    expect(await decodeFields(fields)).toEqual(value);
  });

  test('code does not cross silently', () => {
    expect(() => encodeFields({ f: { run: () => 1 } })).toThrow(NotTransferable);
    expect(() => encodeFields({ d: new Date(0) })).toThrow(NotTransferable);
  });

  test("a parsed config's data crosses whole", async () => {
    const config = parseConfigText(
      'listeners: [{ port: 1 }]\nroutes: [{ cluster: api }]\nclusters:\n  api: { backends: [127.0.0.1:1], retry: { on: [503] } }\n',
      't.yaml',
    );
    const decoded = await decodeFields(encodeFields(toWire(config) as unknown as Record<string, unknown>));
    expect(decoded['clusters']).toEqual(config.clusters);
    expect(decoded['routes']).toEqual(config.routes);
    expect(decoded['listeners']).toEqual(config.listeners);
  });
});
