import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../config/index.ts';
import { UpstreamPool } from '../connector/index.ts';
import { BUILTIN_STRATEGIES, type SelectionInput } from '../strategies/index.ts';
import { ClusterRuntime } from './cluster-runtime.ts';
import { UpstreamState } from './upstream-state.ts';

const env = { random: Math.random, now: () => 0 };

/** Options some built-in kinds need; the others take none. */
const OPTIONS: Readonly<Record<string, string>> = {
  failover: '{ kind: failover, groups: [["127.0.0.1:4001"], ["127.0.0.1:4002", "127.0.0.1:4003"]] }',
  'consistent-hash': '{ kind: consistent-hash, key: path }',
};

function runtime(strategy: string, health = '{}', backends = 3): ClusterRuntime {
  const ports = Array.from({ length: backends }, (_, i) => 4001 + i);
  const config = parseConfigText(
    `listeners: [{ port: 0 }]
routes: [{ cluster: c }]
clusters:
  c:
    strategy: ${strategy}
    health: ${health}
    backends: ${JSON.stringify(ports.map((p) => `127.0.0.1:${p}`))}
`,
    '<cluster-runtime.test>',
  ).clusters.get('c')!;
  const upstreams = config.backends.map(
    (b) => new UpstreamState(b, new UpstreamPool(b.host, b.port, { maxIdle: 1, idleTimeoutMs: 1000 })),
  );
  return new ClusterRuntime(config, upstreams, BUILTIN_STRATEGIES, env);
}

function inputs(count: number): SelectionInput[] {
  return Array.from({ length: count }, (_, i) => ({
    method: 'GET',
    host: `h${i}.test`,
    path: `/p/${i}`,
    header: () => undefined,
    clientAddress: `10.0.0.${i % 250}`,
  }));
}

/** The ids a strategy picks over many inputs, or '(none)'. */
function picks(cluster: ClusterRuntime): Set<string> {
  const seen = new Set<string>();
  for (const input of inputs(300)) seen.add(cluster.strategy.select(input, undefined)?.id ?? '(none)');
  return seen;
}

describe('panic mode', () => {
  for (const kind of BUILTIN_STRATEGIES.keys()) {
    test(`${kind}: under the threshold every backend not draining may be picked, above it the healthy only`, () => {
      const cluster = runtime(OPTIONS[kind] ?? kind);
      const [a, b, c] = cluster.upstreams;
      b!.activeDown = true;
      cluster.membersChanged();
      expect(cluster.panic).toBe(false); // 2 of 3 healthy
      expect(picks(cluster).has(b!.id)).toBe(false);

      c!.passiveDown = true;
      cluster.membersChanged();
      expect(cluster.panic).toBe(true); // 1 of 3: active and passive verdicts count alike
      expect([a!.isUp, b!.isUp, c!.isUp]).toEqual([true, true, true]);
      expect(picks(cluster).has('(none)')).toBe(false);

      // Everything down: still every backend, never none.
      a!.activeDown = true;
      cluster.membersChanged();
      expect(picks(cluster).has('(none)')).toBe(false);
      // A backend being drained is never picked, panic or not.
      b!.draining = true;
      cluster.membersChanged();
      expect(picks(cluster).has(b!.id)).toBe(false);
      expect(picks(cluster).has('(none)')).toBe(false);
    });
  }

  test('round robin spreads over all backends in panic mode', () => {
    const cluster = runtime('round-robin');
    for (const u of cluster.upstreams.slice(1)) u.activeDown = true;
    cluster.membersChanged();
    expect(picks(cluster)).toEqual(new Set(cluster.upstreams.map((u) => u.id)));
  });

  test('panic_threshold 0% turns it off: with every backend down there is none to pick', () => {
    const cluster = runtime('round-robin', '{ panic_threshold: 0% }');
    for (const u of cluster.upstreams) u.activeDown = true;
    cluster.membersChanged();
    expect(cluster.panic).toBe(false);
    expect(picks(cluster)).toEqual(new Set(['(none)']));
  });

  test('exactly at the threshold is not panic; the threshold is a share of backends not draining', () => {
    const cluster = runtime('round-robin', '{ panic_threshold: 50% }', 4);
    const [a, b, c, d] = cluster.upstreams;
    a!.activeDown = true;
    b!.activeDown = true;
    cluster.membersChanged();
    expect(cluster.panic).toBe(false); // 2 of 4
    d!.draining = true;
    cluster.membersChanged();
    expect(cluster.panic).toBe(true); // 1 of 3
    expect([a!.isUp, b!.isUp, c!.isUp, d!.isUp]).toEqual([true, true, true, false]);
  });

  test('a runtime built over backends already down starts in panic', () => {
    const first = runtime('round-robin');
    for (const u of first.upstreams) u.passiveDown = true;
    const again = new ClusterRuntime(first.config, first.upstreams, BUILTIN_STRATEGIES, env);
    expect(again.panic).toBe(true);
  });
});

describe('strategy instances', () => {
  test('each distinct inline strategy is its own instance with its own options; equal ones share', () => {
    const config = parseConfigText(
      `listeners: [{ port: 0 }]
routes:
  - { match: { path: /one/ }, cluster: c, strategy: { kind: sticky-cookie, cookie: S1 } }
  - { match: { path: /two/ }, cluster: c, strategy: { kind: sticky-cookie, cookie: S2 } }
  - { match: { path: /three/ }, cluster: c, strategy: { kind: sticky-cookie, cookie: S1 } }
  - { match: { path: /four/ }, cluster: c, strategy: { kind: power-of-two, metric: ewma } }
  - { match: { path: /five/ }, cluster: c, strategy: power-of-two }
  - { cluster: c, strategy: sticky-cookie }
clusters:
  c: { strategy: sticky-cookie, backends: [127.0.0.1:4001, 127.0.0.1:4002] }
`,
      '<cluster-runtime.test>',
    );
    const cluster = new ClusterRuntime(
      config.clusters.get('c')!,
      config.clusters
        .get('c')!
        .backends.map(
          (b) => new UpstreamState(b, new UpstreamPool(b.host, b.port, { maxIdle: 1, idleTimeoutMs: 1000 })),
        ),
      BUILTIN_STRATEGIES,
      env,
    );
    const [one, two, three, four, five, plain] = config.routes.map((r) => cluster.strategyFor(r.strategy!));
    expect(new Set([cluster.strategy, one, two, four, five]).size).toBe(5);
    expect(three).toBe(one);
    expect(plain).toBe(cluster.strategy);
    const cookieOf = (strategy: typeof one): string | undefined =>
      strategy!.responseHeaders?.(cluster.upstreams[0]!, inputs(1)[0]!)?.[1]?.split('=')[0];
    expect([cookieOf(one), cookieOf(two), cookieOf(cluster.strategy)]).toEqual(['S1', 'S2', 'JUNCTIONID']);
    expect(config.routes.map((r) => r.strategy!.name)).toEqual([
      'sticky-cookie {"cookie":"S1"}',
      'sticky-cookie {"cookie":"S2"}',
      'sticky-cookie {"cookie":"S1"}',
      'power-of-two {"metric":"ewma"}',
      'power-of-two',
      'sticky-cookie',
    ]);
  });

  test('the options are compared as data: key order does not matter', () => {
    const cluster = runtime('round-robin');
    const a = cluster.strategyFor({
      name: 'x',
      kind: 'power-of-two',
      options: { metric: 'ewma', decay_ms: 5 },
    });
    const b = cluster.strategyFor({
      name: 'x',
      kind: 'power-of-two',
      options: { decay_ms: 5, metric: 'ewma' },
    });
    const c = cluster.strategyFor({
      name: 'x',
      kind: 'power-of-two',
      options: { decay_ms: 6, metric: 'ewma' },
    });
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });
});
