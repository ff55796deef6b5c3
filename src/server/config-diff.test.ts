import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../config/index.ts';
import {
  boundDiff,
  configHash,
  deepEqual,
  describeDiff,
  diffConfigs,
  entryCounts,
  isEmptyDiff,
  type ConfigDiff,
} from './config-diff.ts';
import { planListeners } from './listener-plan.ts';

const parse = (text: string) => parseConfigText(text, 'test.yaml');

const BASE = `listeners: [{ name: main, port: 8080 }]
routes:
  - { name: api, match: { path: /api/ }, cluster: api }
  - { name: web, cluster: web }
clusters:
  api: { backends: ["10.0.0.1:80", "10.0.0.2:80"] }
  web: { backends: ["10.0.1.1:80"] }
`;

describe('deepEqual', () => {
  test('compares arrays, plain objects, Maps and Sets by content, and treats undefined fields as absent', () => {
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual(new Map([['k', new Set([1, 2])]]), new Map([['k', new Set([2, 1])]]))).toBe(true);
    expect(deepEqual(new Map([['k', 1]]), new Map([['k', 2]]))).toBe(false);
    expect(deepEqual(new Set([1]), new Set([2]))).toBe(false);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ ocsp: Buffer.from('abc') }, { ocsp: Buffer.from('abc') })).toBe(true);
    expect(deepEqual({ ocsp: Buffer.from('abc') }, { ocsp: Buffer.from('abd') })).toBe(false);
    expect(deepEqual({ a: 1 }, [1])).toBe(false);
    // Functions and class instances compare by identity.
    const f = () => 1;
    expect(deepEqual({ f }, { f })).toBe(true);
    expect(deepEqual({ f }, { f: () => 1 })).toBe(false);
  });
});

describe('diffConfigs', () => {
  test('the same config written differently is no change, and hashes the same', () => {
    const a = parse(BASE);
    const b = parse(BASE.replace('port: 8080 }', 'port: 8080, max_connections: 10000 }'));
    const diff = diffConfigs(a, b);
    expect(isEmptyDiff(diff)).toBe(true);
    expect(describeDiff(diff)).toBe('no change');
    expect(configHash(parse(BASE))).toBe(configHash(a));
    expect(configHash(b)).not.toBe(configHash(a));
  });

  test('names what was added, removed and modified, backends as cluster/id', () => {
    const a = parse(BASE);
    const b = parse(`listeners: [{ name: main, port: 8080 }, { name: admin, port: 8081 }]
routes:
  - { name: api, match: { path: /v2/ }, cluster: api }
  - { name: new, cluster: other }
clusters:
  api: { backends: ["10.0.0.1:80", "10.0.0.3:80"] }
  other: { backends: ["10.0.2.1:80"] }
timeouts: { connect: 1s }
`);
    const diff = diffConfigs(a, b);
    expect(diff.listeners).toEqual({ added: ['admin'], removed: [], modified: [] });
    expect(diff.routes).toEqual({ added: ['new'], removed: ['web'], modified: ['api'] });
    expect(diff.clusters).toEqual({ added: ['other'], removed: ['web'], modified: ['api'] });
    expect(diff.backends).toEqual({
      added: ['api/10.0.0.3:80', 'other/10.0.2.1:80'],
      removed: ['api/10.0.0.2:80', 'web/10.0.1.1:80'],
      modified: [],
    });
    expect(diff.settings).toEqual(['timeouts']);
    expect(describeDiff(diff)).toBe(
      'listeners +admin; routes +new -web ~api; clusters +other -web ~api; backends +api/10.0.0.3:80 +other/10.0.2.1:80 -api/10.0.0.2:80 -web/10.0.1.1:80; settings ~timeouts',
    );
  });

  test('a backend whose weight changes is modified, and so is its cluster', () => {
    const a = parse(BASE);
    const b = parse(BASE.replace('"10.0.0.2:80"', '{ address: "10.0.0.2:80", weight: 3 }'));
    const diff = diffConfigs(a, b);
    expect(diff.backends.modified).toEqual(['api/10.0.0.2:80']);
    expect(diff.clusters.modified).toEqual(['api']);
    expect(diff.routes.modified).toEqual([]);
  });
});

describe('boundDiff', () => {
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const none = { added: [], removed: [], modified: [] };
  const large: ConfigDiff = {
    listeners: none,
    routes: { added: names('r', 5000), removed: names('old', 3), modified: [] },
    clusters: { added: ['c'], removed: [], modified: [] },
    backends: none,
    settings: ['timeouts'],
  };

  test('keeps the first names of a large list and its exact counts, and leaves small lists whole', () => {
    const bound = boundDiff(large, 10);
    expect(bound.routes.added).toEqual(names('r', 10));
    expect(bound.routes.removed).toEqual(names('old', 3));
    expect(entryCounts(bound.routes)).toEqual({ added: 5000, removed: 3, modified: 0 });
    expect(bound.clusters).toBe(large.clusters);
    expect(bound.settings).toEqual(['timeouts']);
    // The remembered default keeps more names than a log line shows: the line is unchanged.
    expect(describeDiff(boundDiff(large))).toBe(describeDiff(large));
    expect(isEmptyDiff(boundDiff({ ...large, routes: none, clusters: none, settings: [] }, 10))).toBe(true);
  });
});

describe('planListeners', () => {
  test('opens new names, closes missing ones, rebinds changed ones and keeps the rest', () => {
    const plan = planListeners(
      [
        { name: 'a', port: 1 },
        { name: 'b', port: 2 },
        { name: 'c', port: 3 },
      ],
      [
        { name: 'a', port: 1 },
        { name: 'b', port: 20 },
        { name: 'd', port: 4 },
      ],
    );
    expect(plan).toEqual({
      open: [{ name: 'd', port: 4 }],
      close: ['c'],
      update: [],
      rebind: [{ name: 'b', port: 20 }],
      keep: ['a'],
    });
  });

  test('an HTTPS listener whose tls section alone changed is updated in place; any other change rebinds', () => {
    const tls = (cert: string) => ({ certificates: [{ id: 'site', cert }] });
    const plan = planListeners(
      [
        { name: 'renewed', port: 443, tls: tls('old') },
        { name: 'moved', port: 443, tls: tls('old') },
        { name: 'became-https', port: 80 },
      ],
      [
        { name: 'renewed', port: 443, tls: tls('new') },
        { name: 'moved', port: 8443, tls: tls('new') },
        { name: 'became-https', port: 80, tls: tls('new') },
      ],
    );
    expect(plan.update.map((c) => c.name)).toEqual(['renewed']);
    expect(plan.rebind.map((c) => c.name)).toEqual(['moved', 'became-https']);
  });
});
