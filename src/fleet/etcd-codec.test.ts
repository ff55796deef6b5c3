import { expect, test } from 'vitest';
import {
  decodeRange,
  decodeWatchFrame,
  encodeBytes,
  FrameSplitter,
  gatewayError,
  prefixRangeEnd,
} from './etcd-codec.ts';
import { backoffDelay, decodeCache, encodeCache } from './follower.ts';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

test('keys and values are base64; a prefix ranges to its last byte plus one', () => {
  expect(encodeBytes('/fleet/config')).toBe(b64('/fleet/config'));
  expect(prefixRangeEnd('/fleet/').toString()).toBe('/fleet0');
  expect([...prefixRangeEnd('a\u00ff')]).toEqual([0x61, 0xc3, 0xc0]);
  expect([...prefixRangeEnd('')]).toEqual([0]);
});

test('a range answer: int64 strings, absent fields as zero', () => {
  const answer = {
    header: { revision: '42' },
    kvs: [
      {
        key: b64('/p/config'),
        value: b64('routes: []'),
        mod_revision: '40',
        create_revision: '3',
        version: '7',
      },
    ],
    count: '1',
  };
  const range = decodeRange(answer);
  expect(range.revision).toBe(42);
  expect(range.kvs[0]).toMatchObject({
    key: '/p/config',
    modRevision: 40,
    createRevision: 3,
    version: 7,
    lease: '0',
  });
  expect(range.kvs[0]!.value.toString()).toBe('routes: []');
  expect(decodeRange({ header: { revision: '5' } })).toEqual({ revision: 5, kvs: [] });
});

test('watch frames: created, puts and deletes, compaction, cancel, errors', () => {
  expect(decodeWatchFrame({ result: { header: { revision: '9' }, created: true } })).toEqual({
    kind: 'created',
    revision: 9,
  });
  const events = decodeWatchFrame({
    result: {
      header: { revision: '11' },
      events: [
        { kv: { key: b64('/p/config'), value: b64('a'), mod_revision: '10' } },
        { type: 'DELETE', kv: { key: b64('/p/config'), mod_revision: '11' } },
      ],
    },
  });
  expect(events.kind).toBe('events');
  if (events.kind !== 'events') return;
  expect(events.events.map((e) => [e.type, e.kv.modRevision])).toEqual([
    ['put', 10],
    ['delete', 11],
  ]);
  expect(decodeWatchFrame({ result: { compact_revision: '30', canceled: true } })).toEqual({
    kind: 'compacted',
    compactRevision: 30,
  });
  expect(decodeWatchFrame({ result: { canceled: true, cancel_reason: 'gone' } })).toEqual({
    kind: 'canceled',
    reason: 'gone',
  });
  expect(decodeWatchFrame({ error: { message: 'transport is closing' } })).toEqual({
    kind: 'error',
    message: 'transport is closing',
  });
  expect(decodeWatchFrame({ result: { header: { revision: '12' } } })).toEqual({
    kind: 'progress',
    revision: 12,
  });
});

test('the watch stream splits into objects across chunks', () => {
  const splitter = new FrameSplitter();
  expect(splitter.push('{"result":{"created"')).toEqual([]);
  expect(splitter.push(':true}}\n{"result":{}}\n{"a"')).toEqual([
    { result: { created: true } },
    { result: {} },
  ]);
  expect(splitter.push(':1}')).toEqual([]);
  expect(splitter.end()).toEqual([{ a: 1 }]);
  expect(() => new FrameSplitter().push('{not json}\n')).toThrow();
});

test('gateway errors, backoff with jitter, the cache file', () => {
  expect(
    gatewayError({
      error: 'etcdserver: user name is empty',
      code: 3,
      message: 'etcdserver: user name is empty',
    }),
  ).toEqual({
    message: 'etcdserver: user name is empty',
    code: 3,
  });
  expect(backoffDelay(0, 500, 15_000, () => 0.99)).toBe(495);
  expect(backoffDelay(10, 500, 15_000, () => 0.99)).toBe(14_850);
  expect(backoffDelay(3, 500, 15_000, () => 0)).toBe(250);
  const certificates = { www: { cert: 'CERT', key: 'KEY', revision: 6 } };
  expect(decodeCache(encodeCache({ revision: 7, text: 'routes: []\n', certificates }))).toEqual({
    revision: 7,
    text: 'routes: []\n',
    certificates,
  });
  // A cache written before certificates were kept: none.
  expect(decodeCache('{"revision":3,"text":""}')).toEqual({ revision: 3, text: '', certificates: {} });
  expect(decodeCache('not json')).toBeUndefined();
});
