/**
 * The config of TCP listeners, of PROXY protocol on listeners and clusters: defaults, built values,
 * and errors with their positions.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ConfigErrors } from '../errors/index.ts';
import { loadConfigFile } from './load-config.ts';
import { parseConfigText } from './parse-config.ts';
import type { JunctionConfig } from './types.ts';

function parse(text: string): JunctionConfig {
  return parseConfigText(text, 'test.yaml');
}

function problems(text: string): string[] {
  try {
    parse(text);
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    return error.errors.map((e) => `${e.at?.line}:${e.at?.column}: ${e.problem}`);
  }
  throw new Error('expected ConfigErrors, but the config parsed');
}

const CLUSTERS = 'clusters:\n  db: { backends: [127.0.0.1:5432] }\n  web: { backends: [127.0.0.1:8443] }\n';

describe('tcp listeners', () => {
  test('a cluster, with the idle timeout from timeouts.tcp_idle', () => {
    const config = parse(
      `listeners:\n  - { port: 5432, protocol: tcp, cluster: db }\ntimeouts: { tcp_idle: 90s }\n${CLUSTERS}`,
    );
    expect(config.listeners[0]!.tcp).toEqual({ cluster: 'db', sniRoutes: [], idleTimeoutMs: 90_000 });
    expect(config.listeners[0]!.proxyProtocol).toBeUndefined();
  });

  test('SNI routes with wildcards, a default cluster, and a listener idle timeout', () => {
    const config = parse(`listeners:
  - port: 443
    protocol: tcp
    cluster: web
    idle_timeout: 10s
    sni_routes:
      - { sni: [db.example.com, "*.db.example.com"], cluster: db }
${CLUSTERS}`);
    expect(config.listeners[0]!.tcp).toEqual({
      cluster: 'web',
      idleTimeoutMs: 10_000,
      sniRoutes: [
        {
          cluster: 'db',
          names: [
            { kind: 'exact', host: 'db.example.com' },
            { kind: 'wildcard', suffix: '.db.example.com' },
          ],
        },
      ],
    });
  });

  test('http listeners by default; a tcp idle timeout of 5 minutes', () => {
    const config = parse(
      `listeners:\n  - { port: 80 }\n  - { port: 81, protocol: tcp, cluster: db }\n${CLUSTERS}`,
    );
    expect(config.listeners[0]!.tcp).toBeUndefined();
    expect(config.listeners[1]!.tcp?.idleTimeoutMs).toBe(300_000);
    expect(parse(`listeners:\n  - { port: 81, protocol: http }\n`).listeners[0]!.tcp).toBeUndefined();
  });

  test('errors, with positions', () => {
    expect(problems(`listeners:\n  - { port: 1, protocol: tcp }\n${CLUSTERS}`)).toEqual([
      '2:5: listeners[0]: a tcp listener needs a cluster, sni_routes, or both',
    ]);
    expect(problems(`listeners:\n  - { port: 1, cluster: db }\n${CLUSTERS}`)).toEqual([
      '2:25: cluster: is for tcp listeners only (add protocol: tcp)',
    ]);
    expect(problems(`listeners:\n  - { port: 1, protocol: udp, cluster: db }\n${CLUSTERS}`)).toEqual([
      '2:26: protocol: must be http or tcp',
    ]);
    expect(
      problems(
        `listeners:\n  - { port: 1, protocol: tcp, sni_routes: [{ sni: a.test, cluster: dbb }] }\n${CLUSTERS}`,
      ),
    ).toEqual(["2:68: cluster: unknown cluster 'dbb'; did you mean 'db'?"]);
    expect(problems(`listeners:\n  - { port: 1, protocol: tcp, cluster: nope }\n`)).toEqual([
      "2:40: cluster: unknown cluster 'nope'; no clusters are defined",
    ]);
    expect(
      problems(
        `listeners:\n  - { port: 1, protocol: tcp, cluster: db, sni_routes: [{ sni: 'a*.test', cluster: db }] }\n${CLUSTERS}`,
      ),
    ).toHaveLength(1);
  });
});

describe('proxy_protocol', () => {
  test('on a listener: trusted networks, the header timeout, untrusted peers refused by default', () => {
    const config = parse(
      'listeners:\n  - { port: 80, proxy_protocol: { trusted: [10.0.0.0/8, "::1", 192.168.1.7] } }\n',
    );
    expect(config.listeners[0]!.proxyProtocol).toEqual({
      trusted: ['10.0.0.0/8', '::1/128', '192.168.1.7/32'],
      timeoutMs: 5_000,
      untrusted: 'reject',
    });
    const direct = parse(
      'listeners:\n  - { port: 80, proxy_protocol: { trusted: 10.0.0.1, timeout: 1s, untrusted: direct } }\n',
    );
    expect(direct.listeners[0]!.proxyProtocol).toEqual({
      trusted: ['10.0.0.1/32'],
      timeoutMs: 1000,
      untrusted: 'direct',
    });
  });

  test('on a cluster: v1 or v2', () => {
    const config = parse(
      'listeners: [{ port: 80 }]\nclusters:\n  a: { proxy_protocol: v1, backends: [127.0.0.1:1] }\n  b: { proxy_protocol: v2, backends: [127.0.0.1:1] }\n  c: { backends: [127.0.0.1:1] }\n',
    );
    expect(config.clusters.get('a')!.proxyProtocol).toBe(1);
    expect(config.clusters.get('b')!.proxyProtocol).toBe(2);
    expect(config.clusters.get('c')!.proxyProtocol).toBeUndefined();
  });

  test('errors, with positions', () => {
    expect(problems('listeners:\n  - { port: 80, proxy_protocol: { trusted: [10.0.0.0/33] } }\n')).toEqual([
      "2:45: trusted[0]: '10.0.0.0/33' has a prefix length outside 0 to 32",
    ]);
    expect(problems('listeners:\n  - { port: 80, proxy_protocol: { trusted: [example.com] } }\n')).toEqual([
      "2:45: trusted[0]: 'example.com' is not an IP address or a CIDR network",
    ]);
    expect(problems('listeners:\n  - { port: 80, proxy_protocol: { trusted: [] } }\n')).toEqual([
      '2:44: trusted: must not be empty',
    ]);
    expect(problems('listeners:\n  - { port: 80, proxy_protocol: {} }\n')).toHaveLength(1);
    expect(
      problems(
        'listeners: [{ port: 80 }]\nclusters:\n  a: { proxy_protocol: v3, backends: [127.0.0.1:1] }\n',
      ),
    ).toEqual(['3:24: proxy_protocol: must be v1 or v2']);
  });
});

describe('the examples', () => {
  const examples = new URL('../../examples/', import.meta.url);

  test('examples/tcp.yaml: a plain TCP listener and TLS passthrough by SNI', async () => {
    const config = await loadConfigFile(fileURLToPath(new URL('tcp.yaml', examples)));
    const [postgres, passthrough] = config.listeners;
    expect(postgres!.tcp).toEqual({ cluster: 'postgres', sniRoutes: [], idleTimeoutMs: 1_800_000 });
    expect(passthrough!.tcp?.cluster).toBe('web');
    expect(passthrough!.tcp?.idleTimeoutMs).toBe(600_000);
    expect(passthrough!.tcp?.sniRoutes.map((r) => r.cluster)).toEqual(['postgres-tls', 'api']);
  });

  test('examples/proxy-protocol.yaml: PROXY headers in from load balancers, out to backends', async () => {
    const config = await loadConfigFile(fileURLToPath(new URL('proxy-protocol.yaml', examples)));
    expect(config.listeners[0]!.proxyProtocol).toEqual({
      trusted: ['10.0.0.0/24', 'fd00:10::/64'],
      timeoutMs: 3000,
      untrusted: 'reject',
    });
    expect(config.listeners[1]!.tcp?.cluster).toBe('mail');
    expect(config.clusters.get('app')!.proxyProtocol).toBe(2);
    expect(config.clusters.get('mail')!.proxyProtocol).toBe(1);
  });
});
