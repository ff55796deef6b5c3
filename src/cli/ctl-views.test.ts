import { describe, expect, test } from 'vitest';
import {
  describeLastReload,
  formatBytes,
  renderBackends,
  renderClusters,
  renderStatus,
} from './ctl-views.ts';

const STATUS = {
  version: 3,
  hash: 'abc',
  source: 'junction.yaml',
  file: 'junction.yaml',
  unsaved: false,
  listeners: 1,
  routes: 2,
  clusters: 1,
  backends: 2,
  backendsUp: 1,
  sessions: 5,
};

describe('ctl views', () => {
  test('one server: the tables as before, no worker section', () => {
    expect(renderStatus(STATUS)).not.toContain('worker');
    const clusters = renderClusters({ clusters: [{ name: 'api', strategy: 'round-robin', backends: 2 }] });
    expect(clusters).not.toContain('By worker');
    const backends = renderBackends({ backends: [{ id: 'a', isUp: false, ejected: true }] });
    expect(backends).toMatch(/^a\s+-\s+ejected/m);
    expect(backends).not.toContain('By worker');
  });

  test('the last reload in one line: when, the version, what changed by name', () => {
    expect(renderStatus(STATUS)).toMatch(/^last reload\s+-$/m);
    const empty = { added: [], removed: [], modified: [] };
    const line = describeLastReload({
      at: Date.UTC(2026, 11, 7, 21, 0, 0),
      version: 4,
      diff: {
        listeners: empty,
        routes: { added: ['b', 'c', 'd', 'e', 'f'], removed: [], modified: ['a'] },
        clusters: { added: [], removed: ['old'], modified: [] },
        backends: empty,
        settings: ['timeouts'],
      },
    });
    expect(line).toBe(
      '2026-12-07T21:00:00.000Z v4: routes +b, +c, +d, +e (and 2 more); clusters -old; settings timeouts',
    );
    const cut = { added: ['b', 'c', 'd', 'e', 'f'], removed: [], modified: [], counts: { added: 9000 } };
    expect(describeLastReload({ at: 0, version: 5, diff: { routes: cut } })).toBe(
      '1970-01-01T00:00:00.000Z v5: routes +b, +c, +d, +e (and 8996 more)',
    );
    expect(describeLastReload({ at: 0, version: 2, diff: { settings: [] } })).toBe(
      '1970-01-01T00:00:00.000Z v2: no change by name',
    );
    expect(renderStatus({ ...STATUS, lastReload: { at: 0, version: 2, diff: {} } })).toMatch(
      /^last reload\s+1970-01-01T00:00:00\.000Z v2: no change by name$/m,
    );
  });

  test('several workers: status with the group memory and a table per worker', () => {
    const text = renderStatus({
      ...STATUS,
      rss: 3 * 1024 * 1024,
      consistent: false,
      workers: [
        { worker: 1, pid: 101, version: 3, sessions: 2, rss: 1024 * 1024 },
        { worker: 2, pid: 102, version: 2, sessions: 3, rss: 2 * 1024 * 1024 },
      ],
    });
    expect(text).toMatch(/^workers\s+2$/m);
    expect(text).toMatch(/^memory \(RSS\)\s+3\.0 MiB$/m);
    expect(text).toContain('workers serve different versions');
    expect(text).toMatch(/^WORKER\s+PID\s+VERSION\s+SESSIONS/m);
    // Columns no worker reported are left out.
    expect(text).toMatch(/^2\s+102\s+2\s+3\s+2\.0 MiB$/m);
    expect(text).not.toContain('UPSTREAMINFLIGHT');
  });

  test('several workers: a backend up in some shows so, and each worker’s view follows', () => {
    const text = renderBackends({
      backends: [
        {
          id: 'a',
          address: '127.0.0.1:1',
          isUp: false,
          ejected: true,
          upInWorkers: 1,
          requests: 9,
          workers: [
            { worker: 1, pid: 101, isUp: true, ejected: false, requests: 5 },
            { worker: 2, pid: 102, isUp: false, ejected: true, requests: 4, consecutiveFailures: 3 },
          ],
        },
      ],
    });
    expect(text).toMatch(/^a\s+127\.0\.0\.1:1\s+up in 1\/2\s+-\s+9/m);
    expect(text).toContain('By worker:');
    expect(text).toMatch(/^a\s+1\s+101\s+up\s+-\s+5/m);
    expect(text).toMatch(/^a\s+2\s+102\s+ejected\s+-\s+4\s+-\s+3$/m);
  });

  test('several workers: clusters with each worker’s own backends up', () => {
    const text = renderClusters({
      clusters: [
        {
          name: 'api',
          strategy: 'round-robin',
          backends: 2,
          backendsUp: 1,
          panic: false,
          requests: 9,
          retries: 0,
          workers: [
            { worker: 1, pid: 101, backendsUp: 2, panic: false, requests: 5, retries: 0 },
            { worker: 2, pid: 102, backendsUp: 1, panic: false, requests: 4, retries: 0 },
          ],
        },
      ],
    });
    expect(text).toContain('passive health is per worker');
    expect(text).toMatch(/^api\s+2\s+102\s+1\s+false\s+4\s+0$/m);
  });

  test('formatBytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(undefined)).toBe('-');
  });
});
