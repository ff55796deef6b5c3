import { describe, expect, test } from 'vitest';
import type { SniRoute } from '../config/types.ts';
import { clusterForServerName } from './sni-routes.ts';

const routes: SniRoute[] = [
  { names: [{ kind: 'exact', host: 'db.example.com' }], cluster: 'db' },
  { names: [{ kind: 'wildcard', suffix: '.example.com' }], cluster: 'wild' },
  { names: [{ kind: 'exact', host: 'api.example.com' }], cluster: 'never' },
];

describe('SNI routes', () => {
  test.each([
    ['db.example.com', 'db'],
    ['api.example.com', 'wild'], // the first match wins, in order
    ['a.b.example.com', 'wild'], // a wildcard covers one or more labels
    ['example.com', 'default'], // but not the bare suffix
    ['other.test', 'default'],
    [undefined, 'default'], // no SNI
  ])('%s → %s', (name, cluster) => {
    expect(clusterForServerName(name, routes, 'default')).toBe(cluster);
  });

  test('without a default, an unrouted name has no cluster', () => {
    expect(clusterForServerName('other.test', routes, undefined)).toBeUndefined();
    expect(clusterForServerName(undefined, routes, undefined)).toBeUndefined();
  });
});
