import { expect, test } from 'vitest';
import type { KeyValue } from './etcd-codec.ts';
import { advance, fleetStateFrom } from './fleet-state.ts';

const paths = { prefix: '/p' };
const kv = (key: string, value: string, modRevision: number): KeyValue => ({
  key,
  value: Buffer.from(value),
  createRevision: modRevision,
  modRevision,
  version: 1,
  lease: '0',
});

test('a range: the document, the certificates by name, the highest revision; other keys ignored', () => {
  const state = fleetStateFrom(paths, [
    kv('/p/certificates/www/cert', 'C', 4),
    kv('/p/certificates/www/key', 'K', 4),
    kv('/p/certificates/api/cert', 'C2', 6),
    kv('/p/certificates/bad/name/cert', 'x', 9),
    kv('/p/config', 'routes: []\n', 5),
    kv('/p/config-old', 'x', 8),
  ]);
  expect(state).toEqual({
    document: { text: 'routes: []\n', revision: 5 },
    certificates: {
      prefix: '/p/certificates/',
      entries: {
        www: { cert: 'C', key: 'K', revision: 4 },
        api: { cert: 'C2', key: undefined, revision: 6 },
      },
    },
    revision: 6,
  });
});

test('watch events: a pair replaced, a certificate deleted, the document deleted', () => {
  const start = fleetStateFrom(paths, [
    kv('/p/config', 'a: 1\n', 2),
    kv('/p/certificates/www/cert', 'C', 3),
    kv('/p/certificates/www/key', 'K', 3),
  ]);
  const replaced = advance(paths, start, [
    { type: 'put', kv: kv('/p/certificates/www/cert', 'C2', 7) },
    { type: 'put', kv: kv('/p/certificates/www/key', 'K2', 7) },
  ]);
  expect(replaced.certificates.entries['www']).toEqual({ cert: 'C2', key: 'K2', revision: 7 });
  expect(replaced.revision).toBe(7);
  // The start is not changed: a refused state leaves the served one as it was.
  expect(start.certificates.entries['www']?.cert).toBe('C');
  const removed = advance(paths, replaced, [
    { type: 'delete', kv: kv('/p/certificates/www/cert', '', 9) },
    { type: 'delete', kv: kv('/p/certificates/www/key', '', 9) },
  ]);
  expect(removed.certificates.entries).toEqual({});
  expect(removed.revision).toBe(9);
  const gone = advance(paths, removed, [{ type: 'delete', kv: kv('/p/config', '', 10) }]);
  expect(gone.document).toBeUndefined();
  expect(gone.revision).toBe(10);
});
