import { describe, expect, test } from 'vitest';
import { ConfigErrors } from '../errors/index.ts';
import { parseConfigText } from './parse-config.ts';

function cluster(text: string) {
  return parseConfigText(`listeners: [{ port: 80 }]\nclusters:\n  a: ${text}\n`, 'test.yaml').clusters.get(
    'a',
  )!;
}

function problems(text: string): string[] {
  try {
    cluster(text);
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    return error.errors.map((e) => `${e.at?.line}:${e.at?.column}: ${e.problem}`);
  }
  throw new Error('expected ConfigErrors, but the config parsed');
}

describe('clusters: protocol', () => {
  test('defaults to http/1.1; h2c is clear text; h2 turns TLS on', () => {
    expect(cluster('{ backends: [127.0.0.1:1] }').protocol).toBe('http/1.1');
    const h2c = cluster('{ protocol: h2c, backends: [127.0.0.1:1] }');
    expect(h2c.protocol).toBe('h2c');
    expect(h2c.tls.enabled).toBe(false);
    const h2 = cluster('{ protocol: h2, backends: [127.0.0.1:1] }');
    expect(h2.protocol).toBe('h2');
    expect(h2.tls.enabled).toBe(true);
    expect(cluster('{ protocol: h2, tls: { verify: false }, backends: [127.0.0.1:1] }').tls.verify).toBe(
      false,
    );
  });

  test('refuses what cannot work, with line and column', () => {
    expect(problems('{ protocol: h3, backends: [127.0.0.1:1] }')).toEqual([
      '3:18: protocol: must be http/1.1, h2 or h2c',
    ]);
    expect(problems('{ protocol: h2, tls: false, backends: [127.0.0.1:1] }')).toEqual([
      '3:18: protocol: h2 is HTTP/2 over TLS, and this cluster has tls: false; use h2c for HTTP/2 in clear text',
    ]);
    expect(problems('{ protocol: h2c, tls: true, backends: [127.0.0.1:1] }')).toEqual([
      '3:18: protocol: h2c is HTTP/2 in clear text, and this cluster has tls; use h2 for HTTP/2 over TLS',
    ]);
    expect(problems("{ protocol: h2c, backends: ['https://b.test'] }")).toHaveLength(1);
    expect(problems('{ protocol: h2c, proxy_protocol: v2, backends: [127.0.0.1:1] }')[0]).toContain(
      'proxy_protocol: a PROXY header speaks for one client',
    );
  });
});
