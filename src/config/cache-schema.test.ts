import { describe, expect, test } from 'vitest';
import { loadConfigText } from './index.ts';

const ROUTES = `
listeners: [{ address: 127.0.0.1, port: 0 }]
routes: [{ cluster: app, cache: true }]
clusters: { app: { backends: ["127.0.0.1:1"] } }
`;

describe('cache: path and disk_size', () => {
  test('a relative path resolves against the config directory; disk_size defaults to 1GiB', async () => {
    const config = await loadConfigText(`cache: { path: var/cache }${ROUTES}`, '<t>', { baseDir: '/srv/j' });
    expect(config.cache?.disk).toEqual({ path: '/srv/j/var/cache', bytes: 1024 ** 3 });
  });

  test('no path: no disk tier', async () => {
    const config = await loadConfigText(`cache: { memory_size: 16MiB }${ROUTES}`, '<t>');
    expect(config.cache?.disk).toBeUndefined();
  });

  test('disk_size needs path, and at least 1MiB', async () => {
    await expect(loadConfigText(`cache: { disk_size: 2GiB }${ROUTES}`, '<t>')).rejects.toThrow(
      /disk_size needs path/,
    );
    await expect(loadConfigText(`cache: { path: /x, disk_size: 10KiB }${ROUTES}`, '<t>')).rejects.toThrow(
      /disk_size/,
    );
  });
});
