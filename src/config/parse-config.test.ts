import { describe, expect, test } from 'vitest';
import { parseConfigText } from './parse-config.ts';
import { registerStrategyKind } from './strategy-kinds.ts';
import type { ClusterConfig, JunctionConfig, RouteConfig } from './types.ts';

const MINIMAL = `
listeners:
  - port: 8080
`;

/** The minimal config with every default spelled out: the table of defaults users rely on. */
const MINIMAL_EXPECTED: JunctionConfig = {
  source: 'test.yaml',
  listeners: [
    {
      name: '127.0.0.1:8080',
      address: '127.0.0.1',
      port: 8080,
      maxConnections: 10_000,
      acceptQueueTimeoutMs: 10_000,
      acceptQueueSize: 1024,
      backlog: 4096,
      maxConnectionsPerClient: 0,
    },
  ],
  routes: [],
  clusters: new Map(),
  strategies: new Map(),
  strategyPlugins: new Map(),
  plugins: [],
  rules: undefined,
  timeouts: {
    connectMs: 3_000,
    clientHeadMs: 10_000,
    clientIdleMs: 60_000,
    backendResponseMs: 60_000,
    backendIdleMs: 30_000,
    backendBodyMs: 60_000,
    clientBodyMs: 60_000,
    tunnelIdleMs: 120_000,
    maxSessionMs: 3_600_000,
    shutdownGraceMs: 10_000,
  },
  limits: {
    maxHeadBytes: 32 * 1024,
    maxHeaderCount: 100,
    maxRequestLineBytes: 8 * 1024,
    maxBodyBytes: 1024 ** 3,
    maxPipelinedBytes: 64 * 1024,
    maxResponseHeadBytes: 64 * 1024,
    maxResponseHeaderCount: 200,
  },
  forwarded: { xForwardedFor: true, xForwardedProto: true, xForwardedHost: true },
  accessLog: false,
  requestId: { header: 'X-Request-ID' },
  tracing: { startTraces: true, openTelemetry: false },
  workers: 1,
};

function parse(text: string): JunctionConfig {
  return parseConfigText(text, 'test.yaml');
}

function onlyRoute(match: string): RouteConfig {
  const config = parse(
    `${MINIMAL}routes:\n  - cluster: c\n    match:\n${match}\nclusters:\n  c:\n    backends: [127.0.0.1:1]\n`,
  );
  return config.routes[0]!;
}

function onlyCluster(body: string): ClusterConfig {
  return parse(`${MINIMAL}clusters:\n  c:\n${body}\n`).clusters.get('c')!;
}

describe('parseConfigText on valid configs', () => {
  test('fills in every default', () => {
    expect(parse(MINIMAL)).toEqual(MINIMAL_EXPECTED);
  });

  test('treats empty sections like absent ones', () => {
    expect(parse(`${MINIMAL}routes:\nclusters:\ntimeouts:\nlimits:\nforwarded:\n`)).toEqual(MINIMAL_EXPECTED);
  });

  test.each([
    ['500', 500],
    ['0', 0],
    ["'500ms'", 500],
    ['3s', 3_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
  ])('shutdown_grace: %s is %d ms', (text, ms) => {
    expect(parse(`${MINIMAL}timeouts:\n  shutdown_grace: ${text}\n`).timeouts.shutdownGraceMs).toBe(ms);
  });

  test('reads every timeout, limit and forwarded key', () => {
    const config = parse(`${MINIMAL}
timeouts: { connect: 1s, client_head: 2s, client_idle: 3s, backend_response: 4s, backend_idle: 5s, shutdown_grace: 6s, client_body: 7s, max_session: 8m, backend_body: 9s, tunnel_idle: 10s }
limits: { max_head_size: 64KiB, max_header_count: 50, max_request_line: 4096B, max_body_size: 2MiB, max_pipelined_size: 8KiB, max_response_head_size: 128KiB, max_response_header_count: 300 }
forwarded: { x_forwarded_for: false, x_forwarded_proto: false, x_forwarded_host: false }
`);
    expect(config.timeouts).toEqual({
      connectMs: 1000,
      clientHeadMs: 2000,
      clientIdleMs: 3000,
      backendResponseMs: 4000,
      backendIdleMs: 5000,
      backendBodyMs: 9000,
      clientBodyMs: 7000,
      tunnelIdleMs: 10_000,
      maxSessionMs: 480_000,
      shutdownGraceMs: 6000,
    });
    expect(config.limits).toEqual({
      maxHeadBytes: 65_536,
      maxHeaderCount: 50,
      maxRequestLineBytes: 4096,
      maxBodyBytes: 2 * 1024 * 1024,
      maxPipelinedBytes: 8 * 1024,
      maxResponseHeadBytes: 128 * 1024,
      maxResponseHeaderCount: 300,
    });
    expect(config.forwarded).toEqual({ xForwardedFor: false, xForwardedProto: false, xForwardedHost: false });
  });

  test('listeners: explicit name, address and max_connections; IPv6 default name is bracketed', () => {
    const config = parse(`
listeners:
  - { name: main, address: 0.0.0.0, port: 80, max_connections: 5 }
  - { address: '::1', port: 0 }
`);
    expect(config.listeners).toEqual([
      {
        name: 'main',
        address: '0.0.0.0',
        port: 80,
        maxConnections: 5,
        acceptQueueTimeoutMs: 10_000,
        acceptQueueSize: 1024,
        backlog: 4096,
        maxConnectionsPerClient: 0,
      },
      {
        name: '[::1]:0',
        address: '::1',
        port: 0,
        maxConnections: 10_000,
        acceptQueueTimeoutMs: 10_000,
        acceptQueueSize: 1024,
        backlog: 4096,
        maxConnectionsPerClient: 0,
      },
    ]);
  });

  test.each<[string, string, RouteConfig['match']]>([
    [
      'a single host, lower-cased, port and trailing dot dropped',
      '      host: API.Example.com.:8443',
      { hosts: [{ kind: 'exact', host: 'api.example.com' }], path: undefined, methods: [], headers: [] },
    ],
    [
      'a host list with a wildcard and an IPv6 literal',
      "      host: ['*.Example.com', '[::1]:8080']",
      {
        hosts: [
          { kind: 'wildcard', suffix: '.example.com' },
          { kind: 'exact', host: '[::1]' },
        ],
        path: undefined,
        methods: [],
        headers: [],
      },
    ],
    [
      'a plain path string is a prefix',
      '      path: /api',
      { hosts: [], path: { kind: 'prefix', value: '/api' }, methods: [], headers: [] },
    ],
    [
      'path {exact}',
      '      path: { exact: /x }',
      { hosts: [], path: { kind: 'exact', value: '/x' }, methods: [], headers: [] },
    ],
    [
      'path {regex}',
      "      path: { regex: '^/v[0-9]+/' }",
      { hosts: [], path: { kind: 'regex', value: '^/v[0-9]+/' }, methods: [], headers: [] },
    ],
    [
      'methods are upper-cased; one or a list',
      '      method: [get, Post]',
      { hosts: [], path: undefined, methods: ['GET', 'POST'], headers: [] },
    ],
    [
      'header conditions: exact, regex, present; names lower-cased',
      "      headers: { X-Canary: '1', x-user: { regex: '^[0-9]+$' }, x-debug: { present: true } }",
      {
        hosts: [],
        path: undefined,
        methods: [],
        headers: [
          { name: 'x-canary', value: '1' },
          { name: 'x-user', regex: '^[0-9]+$' },
          { name: 'x-debug' },
        ],
      },
    ],
  ])('route match: %s', (_name, yaml, expected) => {
    expect(onlyRoute(yaml).match).toEqual(expected);
  });

  test('route names default to route-N, by position', () => {
    const config = parse(`${MINIMAL}
routes:
  - { name: first, cluster: c }
  - cluster: c
clusters:
  c: { backends: [127.0.0.1:1] }
`);
    expect(config.routes.map((route) => route.name)).toEqual(['first', 'route-2']);
  });

  test('route upgrade: any protocol by default, none, or the protocols listed (lower-cased)', () => {
    const config = parse(`${MINIMAL}
routes:
  - { cluster: c }
  - { cluster: c, upgrade: false }
  - { cluster: c, upgrade: [WebSocket, h2c] }
  - { cluster: c, upgrade: websocket }
clusters:
  c: { backends: [127.0.0.1:1] }
`);
    expect(config.routes.map((route) => route.upgrade)).toEqual([
      true,
      false,
      ['websocket', 'h2c'],
      ['websocket'],
    ]);
  });

  test('backends: string and mapping forms, IPv6, ids, weights', () => {
    const cluster = onlyCluster(`    backends:
      - 127.0.0.1:9001
      - { address: '[::1]:9002', weight: 2 }
      - { address: backend.internal:80, id: b3 }`);
    expect(cluster.backends).toEqual([
      { id: '127.0.0.1:9001', host: '127.0.0.1', port: 9001, weight: 1, tls: false },
      { id: '[::1]:9002', host: '::1', port: 9002, weight: 2, tls: false },
      { id: 'b3', host: 'backend.internal', port: 80, weight: 1, tls: false },
    ]);
    expect(cluster).toMatchObject({
      name: 'c',
      strategy: { name: 'round-robin', kind: 'round-robin', options: {} },
      retry: { attempts: 3, onReset: true, onTimeout: false },
    });
  });

  test('strategy: a kind string, or a mapping whose other keys are the options', () => {
    expect(onlyCluster('    strategy: round-robin\n    backends: [127.0.0.1:1]').strategy).toEqual({
      name: 'round-robin',
      kind: 'round-robin',
      options: {},
    });
    // A kind registered without a plugin: its options pass through unchecked, for the Router's plugin.
    registerStrategyKind('test-kind-options');
    const options = onlyCluster(
      '    strategy: { kind: test-kind-options, warmup: 5 }\n    retry: { attempts: 1 }\n    backends: [127.0.0.1:1]',
    );
    // Named after its kind and options: another inline strategy of that kind is another strategy.
    expect(options.strategy).toEqual({
      name: 'test-kind-options {"warmup":5}',
      kind: 'test-kind-options',
      options: { warmup: 5 },
    });
    expect(options.retry.attempts).toBe(1);
  });

  test('strategy kinds: registered globally, or passed per parse', () => {
    const text = `${MINIMAL}clusters:\n  c: { strategy: test-kind-a, backends: [127.0.0.1:1] }\n`;
    expect(() => parse(text)).toThrow(/unknown strategy kind 'test-kind-a'/);
    expect(
      parseConfigText(text, 't', { strategyKinds: new Set(['test-kind-a']) }).clusters.get('c')!.strategy
        .kind,
    ).toBe('test-kind-a');
    registerStrategyKind('test-kind-a');
    expect(parse(text).clusters.get('c')!.strategy.kind).toBe('test-kind-a');
  });

  test('two listeners on port 0 do not collide', () => {
    expect(parse('listeners:\n  - { name: a, port: 0 }\n  - { name: b, port: 0 }\n').listeners).toHaveLength(
      2,
    );
  });

  test('anchors and aliases resolve', () => {
    const config = parse(`${MINIMAL}
clusters:
  a: { backends: &pool [127.0.0.1:1, 127.0.0.1:2] }
  b: { backends: *pool }
`);
    expect(config.clusters.get('b')!.backends.map((backend) => backend.port)).toEqual([1, 2]);
  });
});

test('workers: auto or a count from 1 to 1024', () => {
  const base = 'listeners: [{ port: 80 }]\n';
  expect(parseConfigText(`${base}workers: auto`, 't').workers).toBe('auto');
  expect(parseConfigText(`${base}workers: 4`, 't').workers).toBe(4);
  const problems: Record<string, string> = {
    '0': 'must be at least 1, got 0',
    '1025': 'must be at most 1024, got 1025',
    '1.5': 'must be auto or a whole number from 1 to 1024, got 1.5',
    all: "must be auto or a whole number from 1 to 1024, got 'all'",
  };
  for (const [bad, problem] of Object.entries(problems)) {
    expect(() => parseConfigText(`${base}workers: ${bad}`, 't'), bad).toThrow(`t:2:10: workers: ${problem}`);
  }
});

test('tracing: start_traces and opentelemetry, validated', () => {
  const base = 'listeners: [{ port: 8080 }]\n';
  expect(
    parseConfigText(`${base}tracing: { start_traces: false, opentelemetry: true }`, 't').tracing,
  ).toEqual({
    startTraces: false,
    openTelemetry: true,
  });
  expect(() => parseConfigText(`${base}tracing: { start_traces: sometimes }`, 't')).toThrow(/start_traces/);
  expect(() => parseConfigText(`${base}tracing: { sample: 1 }`, 't')).toThrow(/sample/);
});
