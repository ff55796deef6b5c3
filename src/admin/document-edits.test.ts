import { describe, expect, test } from 'vitest';
import type { AdminError } from '../errors/index.ts';
import {
  addBackend,
  backendId,
  deleteCluster,
  deleteListener,
  deleteRoute,
  putCluster,
  putListener,
  putRoute,
  removeBackend,
} from './document-edits.ts';

const DOC = Object.freeze({
  listeners: [{ port: 8080 }],
  routes: [{ cluster: 'a' }, { name: 'named', cluster: 'b' }, { cluster: 'b' }],
  clusters: {
    a: { backends: ['10.0.0.1:80'] },
    b: { backends: [{ address: 'https://10.0.0.2', id: 'two' }] },
  },
});

describe('document edits', () => {
  test('removing a route names the others first, so none is renamed', () => {
    const { document } = deleteRoute(DOC, 'route-1');
    expect(document['routes']).toEqual([
      { name: 'named', cluster: 'b' },
      { name: 'route-3', cluster: 'b' },
    ]);
    // The input is never changed.
    expect(DOC.routes[0]).toEqual({ cluster: 'a' });
  });

  test('put replaces a route in place or appends it, and says where it wrote', () => {
    const replaced = putRoute(DOC, 'named', { cluster: 'a' });
    expect((replaced.document['routes'] as unknown[])[1]).toEqual({ name: 'named', cluster: 'a' });
    expect(replaced.at).toBe('routes[1]');
    const added = putRoute(DOC, 'new', { cluster: 'a' });
    expect(added.at).toBe('routes[3]');
  });

  test('clusters and backends', () => {
    expect(putCluster(DOC, 'c', { backends: [] }).at).toBe('clusters.c');
    expect(Object.keys(deleteCluster(DOC, 'a').document['clusters'] as object)).toEqual(['b']);
    const added = addBackend(DOC, 'a', '10.0.0.9:80');
    expect(added.at).toBe('clusters.a.backends[1]');
    // A backend with the same id is replaced, not added twice.
    expect(addBackend(DOC, 'a', { address: '10.0.0.1:80', weight: 2 }).at).toBe('clusters.a.backends[0]');
    const removed = removeBackend(DOC, 'b', 'two');
    expect((removed.document['clusters'] as Record<string, { backends: unknown[] }>)['b']!.backends).toEqual(
      [],
    );
  });

  test('listeners are named address:port when they have no name', () => {
    expect(deleteListener(DOC, '127.0.0.1:8080').document['listeners']).toEqual([]);
    expect(putListener(DOC, 'extra', { port: 0 }).at).toBe('listeners[1]');
  });

  test('what is not there is a 404, and a body that is not an object a 400', () => {
    for (const edit of [
      () => deleteRoute(DOC, 'nope'),
      () => deleteCluster(DOC, 'nope'),
      () => removeBackend(DOC, 'a', 'nope'),
      () => addBackend(DOC, 'nope', '10.0.0.1:80'),
    ]) {
      expect(edit).toThrow(expect.objectContaining({ code: 'JCT_ERR_ADMIN_NOT_FOUND' }) as AdminError);
    }
    expect(() => putRoute(DOC, 'x', 'text')).toThrow(
      expect.objectContaining({ code: 'JCT_ERR_ADMIN_BAD_REQUEST' }) as AdminError,
    );
  });

  test('backend ids as the config derives them', () => {
    expect(backendId('10.0.0.1:80')).toBe('10.0.0.1:80');
    expect(backendId('https://api.internal')).toBe('api.internal:443');
    expect(backendId({ address: '[::1]:9000' })).toBe('[::1]:9000');
    expect(backendId({ address: '10.0.0.1:80', id: 'x' })).toBe('x');
  });
});

describe('edits share what they do not change', () => {
  test('the original document is never modified, and untouched entries are shared, not copied', () => {
    const original = {
      listeners: [{ port: 1 }],
      routes: [{ cluster: 'api' }, { name: 'b', cluster: 'api' }],
      clusters: { api: { backends: ['127.0.0.1:1'] }, web: { backends: ['127.0.0.1:2'] } },
    };
    const frozen = JSON.stringify(original);
    const edits = [
      putRoute(original, 'c', { cluster: 'web' }),
      deleteRoute(original, 'b'),
      putCluster(original, 'other', { backends: ['127.0.0.1:3'] }),
      deleteCluster(original, 'web'),
      addBackend(original, 'api', '127.0.0.1:4'),
      removeBackend(original, 'api', '127.0.0.1:1'),
    ];
    expect(JSON.stringify(original)).toBe(frozen);
    const added = edits[4]!.document as typeof original;
    expect(added.clusters.api.backends).toEqual(['127.0.0.1:1', '127.0.0.1:4']);
    expect(added.clusters.web).toBe(original.clusters.web);
    expect(added.routes).toBe(original.routes);
  });
});
