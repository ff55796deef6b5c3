/**
 * The cluster settings of the routing core (retry, health, pool, dns, tls), named strategies and
 * strategy modules: their defaults, their parsed form, and their errors with positions.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ConfigErrors } from '../errors/index.ts';
import { loadConfigText } from './load-config.ts';
import { parseConfigText } from './parse-config.ts';
import type { ClusterConfig, JunctionConfig } from './types.ts';

const LISTENERS = 'listeners: [{ port: 1 }]\n';

function parse(text: string, baseDir?: string): JunctionConfig {
  return parseConfigText(`${LISTENERS}${text}`, 'test.yaml', baseDir === undefined ? {} : { baseDir });
}

function cluster(body: string, baseDir?: string): ClusterConfig {
  return parse(`clusters:\n  c:\n${body}\n    backends: [127.0.0.1:1]\n`, baseDir).clusters.get('c')!;
}

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    return error.errors.map((e) => `${e.at?.line}:${e.at?.column}: ${e.problem}`);
  }
  throw new Error('expected ConfigErrors, but the config parsed');
}

async function asyncProblems(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    return error.errors.map((e) => `${e.at?.line}:${e.at?.column}: ${e.problem}`);
  }
  throw new Error('expected ConfigErrors, but the config parsed');
}

describe('cluster defaults', () => {
  test('retry, health, pool, dns and tls defaults', () => {
    const c = cluster('    strategy: round-robin');
    expect(c.retry).toEqual({
      attempts: 3,
      onReset: true,
      onTimeout: false,
      onStatuses: new Set(),
      budgetRatio: 0.2,
      budgetMinPerSecond: 10,
      backoffBaseMs: 25,
      backoffMaxMs: 250,
    });
    expect(c.health).toEqual({
      passive: {
        consecutiveFailures: 3,
        failureRate: 0,
        minRequests: 20,
        windowMs: 10_000,
        ejectionMs: 1000,
        maxEjectionMs: 30_000,
        maxEjectionRatio: 0.5,
      },
      active: undefined,
      panicThreshold: 0.5,
    });
    expect(c.pool).toEqual({
      maxIdle: 4096,
      maxTotal: 0,
      idleTimeoutMs: 30_000,
      maxRequestsPerConnection: 0,
    });
    expect(c.dns).toEqual({ minTtlMs: 1000, maxTtlMs: 300_000 });
    expect(c.tls).toMatchObject({ enabled: false, verify: true, serverName: undefined, ca: undefined });
  });

  test('the pool idle timeout follows timeouts.backend_idle unless the cluster sets its own', () => {
    const text = `timeouts: { backend_idle: 5s }\nclusters:\n  a: { backends: [127.0.0.1:1] }\n  b: { pool: { idle_timeout: 2s }, backends: [127.0.0.1:1] }\n`;
    const config = parse(text);
    expect(config.clusters.get('a')!.pool.idleTimeoutMs).toBe(5000);
    expect(config.clusters.get('b')!.pool.idleTimeoutMs).toBe(2000);
  });
});

describe('retry', () => {
  test('conditions, statuses, 5xx, budget and backoff', () => {
    const c = cluster(
      '    retry: { attempts: 5, on: [timeout, 502, "503", 5xx], budget: { share: 50%, min_per_second: 0 }, backoff: { base: 0ms, max: 1s } }',
    );
    expect(c.retry.attempts).toBe(5);
    expect(c.retry.onReset).toBe(false);
    expect(c.retry.onTimeout).toBe(true);
    expect(c.retry.onStatuses.size).toBe(100);
    expect(c.retry.onStatuses.has(599)).toBe(true);
    expect(c.retry.onStatuses.has(499)).toBe(false);
    expect(c.retry.budgetRatio).toBe(0.5);
    expect(c.retry.budgetMinPerSecond).toBe(0);
    expect([c.retry.backoffBaseMs, c.retry.backoffMaxMs]).toEqual([0, 1000]);
  });

  test('an empty `on` retries connect failures only', () => {
    const c = cluster('    retry: { on: [] }');
    expect([c.retry.onReset, c.retry.onTimeout, c.retry.onStatuses.size]).toEqual([false, false, 0]);
  });

  test('bad conditions, shares and backoffs are reported where they are written', () => {
    expect(
      problems(() =>
        cluster(
          '    retry:\n      on: [reset, 200, refused]\n      budget: { share: 120% }\n      backoff: { base: 2s, max: 1s }',
        ),
      ),
    ).toEqual([
      '5:19: on[1]: must be reset, timeout, connect-failure, 5xx or a status from 400 to 599, got 200',
      "5:24: on[2]: must be reset, timeout, connect-failure, 5xx or a status from 400 to 599, got 'refused'",
      "6:24: share: must be a percentage from 0% to 100%, like '20%', got '120%'",
      '7:24: base: must not exceed backoff.max',
    ]);
  });
});

describe('health', () => {
  test('passive and active settings', () => {
    const c = cluster(`    health:
      passive: { consecutive_failures: 0, failure_rate: 50%, min_requests: 5, window: 30s, ejection: 2s, max_ejection: 1m, max_ejection_percent: 30% }
      active: { path: /healthz, method: head, host: api.internal, interval: 1s, timeout: 300ms, healthy_threshold: 1, unhealthy_threshold: 2, expect: [200, 2xx, 300-304] }
      panic_threshold: 0%`);
    expect(c.health.passive).toEqual({
      consecutiveFailures: 0,
      failureRate: 0.5,
      minRequests: 5,
      windowMs: 30_000,
      ejectionMs: 2000,
      maxEjectionMs: 60_000,
      maxEjectionRatio: 0.3,
    });
    expect(c.health.panicThreshold).toBe(0);
    expect(
      problems(() => cluster('    health: { panic_threshold: 50, passive: { max_ejection_percent: 101% } }')),
    ).toEqual([
      "4:32: panic_threshold: must be a percentage from 0% to 100%, like '20%', got 50",
      "4:69: max_ejection_percent: must be a percentage from 0% to 100%, like '20%', got '101%'",
    ]);
    expect(c.health.active).toEqual({
      method: 'HEAD',
      path: '/healthz',
      host: 'api.internal',
      intervalMs: 1000,
      timeoutMs: 300,
      healthyThreshold: 1,
      unhealthyThreshold: 2,
      expectStatuses: [
        [200, 200],
        [200, 299],
        [300, 304],
      ],
    });
  });

  test('active checks with no settings get the defaults', () => {
    expect(cluster('    health: { active: {} }').health.active).toEqual({
      method: 'GET',
      path: '/',
      host: undefined,
      intervalMs: 5000,
      timeoutMs: 2000,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      expectStatuses: [[200, 399]],
    });
  });

  test('errors: a bad status range, a path without a slash, a timeout longer than the interval', () => {
    expect(
      problems(() => cluster('    health:\n      active: { path: healthz, expect: [299-200] }')),
    ).toEqual([
      "5:23: path: must start with '/', got 'healthz'",
      "5:41: expect[0]: must be a status (200), a class ('2xx') or a range ('200-399'), got '299-200'",
    ]);
    expect(problems(() => cluster('    health:\n      active: { interval: 1s, timeout: 2s }'))).toEqual([
      '5:40: timeout: must not exceed the check interval',
    ]);
  });
});

describe('pool and dns', () => {
  test('settings are read', () => {
    const c = cluster(
      '    pool: { max_idle: 8, max_total: 64, idle_timeout: 10s, max_requests_per_connection: 1000 }\n    dns: { min_ttl: 5s, max_ttl: 1m }',
    );
    expect(c.pool).toEqual({
      maxIdle: 8,
      maxTotal: 64,
      idleTimeoutMs: 10_000,
      maxRequestsPerConnection: 1000,
    });
    expect(c.dns).toEqual({ minTtlMs: 5000, maxTtlMs: 60_000 });
  });

  test('min_ttl above max_ttl is an error', () => {
    expect(problems(() => cluster('    dns: { min_ttl: 10m, max_ttl: 1m }'))).toEqual([
      '4:21: min_ttl: must not exceed max_ttl',
    ]);
  });
});

describe('upstream tls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-config-'));
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  writeFileSync(join(dir, 'ca.pem'), PEM);
  writeFileSync(join(dir, 'not-pem.txt'), 'hello');

  test('https backends, `tls: true`, and a CA file relative to the config', () => {
    const config = parse(
      `clusters:\n  a: { backends: ["https://api.example.com", "http://10.0.0.1", "https://[::1]:8443"] }\n  b: { tls: true, backends: [127.0.0.1:1] }\n  c: { tls: { server_name: api.internal, ca_file: ca.pem, verify: false }, backends: [127.0.0.1:1] }\n`,
      dir,
    );
    expect(config.clusters.get('a')!.backends.map((b) => [b.host, b.port, b.tls])).toEqual([
      ['api.example.com', 443, true],
      ['10.0.0.1', 80, false],
      ['::1', 8443, true],
    ]);
    expect(config.clusters.get('a')!.tls.enabled).toBe(false);
    expect(config.clusters.get('b')!.tls.enabled).toBe(true);
    expect(config.clusters.get('c')!.tls).toMatchObject({
      enabled: true,
      serverName: 'api.internal',
      ca: PEM,
      caFile: join(dir, 'ca.pem'),
      verify: false,
    });
  });

  test('missing and non-PEM files, a cert without its key, a backend URL with a path', () => {
    expect(
      problems(() =>
        parse(
          `clusters:\n  c:\n    tls: { ca_file: missing.pem, cert_file: not-pem.txt }\n    backends: ["https://a.example/x"]\n`,
          dir,
        ),
      ),
    ).toEqual([
      "4:21: ca_file: cannot read 'missing.pem' (ENOENT)",
      "4:45: cert_file: 'not-pem.txt' is not a PEM file",
      "5:16: backends[0]: 'https://a.example/x' must be an address only, without a path",
    ]);
    expect(
      problems(() => parse(`clusters:\n  c: { tls: { cert_file: ca.pem }, backends: [127.0.0.1:1] }\n`, dir)),
    ).toEqual(['3:26: cert_file: a client certificate needs both cert_file and key_file']);
  });
});

describe('named strategies and route overrides', () => {
  const text = `strategies:
  by-user: { kind: consistent-hash, key: 'header:x-user' }
routes:
  - { cluster: c, strategy: by-user }
  - { cluster: c, strategy: { kind: random } }
  - { cluster: c }
clusters:
  c: { strategy: by-user, backends: [127.0.0.1:1] }
`;

  test('a name stands for its kind and options wherever a strategy is named', () => {
    const config = parse(text);
    const byUser = { name: 'by-user', kind: 'consistent-hash', options: { key: 'header:x-user' } };
    expect(config.strategies.get('by-user')).toEqual(byUser);
    expect(config.clusters.get('c')!.strategy).toEqual(byUser);
    expect(config.routes.map((r) => r.strategy)).toEqual([
      byUser,
      { name: 'random', kind: 'random', options: {} },
      undefined,
    ]);
  });

  test('unknown names, options beside a name, bad options, kind and module together', () => {
    expect(
      problems(() =>
        parse(`strategies:
  a: { kind: consistent-hash, key: nonsense }
  b: { kind: round-robin, module: ./x.js }
  c: { kind: round-robbin }
routes:
  - { cluster: k, strategy: by-usr }
clusters:
  k: { strategy: { kind: a, key: path }, backends: [127.0.0.1:1] }
`),
      ),
    ).toEqual([
      expect.stringMatching(/^3:6: a: .*nonsense/),
      '4:6: b: a strategy needs exactly one of kind, module, got both',
      expect.stringMatching(
        /^5:14: kind: unknown strategy kind 'round-robbin'; did you mean 'round-robin'\?/,
      ),
      expect.stringMatching(
        /^7:29: strategy: unknown strategy 'by-usr' \(named: a, b, c; kinds: round-robin/,
      ),
      "9:18: strategy: 'a' is a named strategy: set its options under strategies.a",
    ]);
  });
});

describe('strategy modules', () => {
  const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'junction-modules-'));
  writeFileSync(join(dir, 'not-a-plugin.js'), 'export default { kind: "x" };\n');
  writeFileSync(join(dir, 'throws.js'), 'throw new Error("boom at import");\n');

  test('the example module loads, registers its kind, and checks its options', async () => {
    const config = await loadConfigText(
      `${LISTENERS}strategies:\n  fast: { module: ./strategies/least-latency.js, decay: 0.5 }\nclusters:\n  c: { strategy: fast, backends: [127.0.0.1:1] }\n`,
      'inline.yaml',
      { baseDir: examples },
    );
    expect(config.strategies.get('fast')).toEqual({
      name: 'fast',
      kind: 'least-latency',
      options: { decay: 0.5 },
    });
    expect(config.strategyPlugins.get('least-latency')?.kind).toBe('least-latency');
    expect(
      await asyncProblems(() =>
        loadConfigText(
          `${LISTENERS}strategies:\n  fast: { module: ./strategies/least-latency.js, decay: 2 }\n`,
          'inline.yaml',
          { baseDir: examples },
        ),
      ),
    ).toEqual(['3:9: fast: decay must be a number from 0 to 1, got 2']);
  });

  test('a missing module, a module without a plugin, a module that throws: errors at the module key', async () => {
    expect(
      await asyncProblems(() =>
        loadConfigText(
          `${LISTENERS}strategies:\n  a: { module: ./nope.js }\n  b: { module: ./not-a-plugin.js }\n  c: { module: ./throws.js }\n`,
          'bad.yaml',
          { baseDir: dir },
        ),
      ),
    ).toEqual([
      "3:16: module: cannot load strategy module './nope.js': not found",
      "4:16: module: strategy module './not-a-plugin.js' exports a plugin without a parseOptions() function",
      "5:16: module: cannot load strategy module './throws.js': boom at import",
    ]);
  });

  test('parsed without the loader, a module is an error that says how to load it', () => {
    expect(problems(() => parse('strategies:\n  a: { module: ./x.js }\n'))).toEqual([
      '3:16: module: strategy modules are loaded only when the config is read with loadConfigFile()',
    ]);
  });
});
