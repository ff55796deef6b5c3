/**
 * The rule sets of examples/rules/ through the proxy, with real backends: each file is included as a
 * config would include it (baseDir examples/, so its file names resolve as in examples/rules.yaml)
 * and checked to do what its comments say. examples/rules.yaml itself runs at the end.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';
import { parse } from 'yaml';
import { loadConfigText } from '../../src/config/index.ts';
import { parseIpAddress } from '../../src/rules/features/index.ts';
import { DEFAULT_HASH_SEED, hashString } from '../../src/strategies/shared/hash.ts';
import {
  echoBackend,
  type EchoBackendOptions,
  type EchoReply,
  type HttpBackend,
} from '../support/backends.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const RULES = join(EXAMPLES, 'rules');

async function backend(name: string, options: EchoBackendOptions = {}): Promise<HttpBackend> {
  const started = await echoBackend(name, options);
  onTestFinished(() => started.close());
  return started;
}

async function proxy(yaml: string, baseDir = EXAMPLES) {
  const junction = await startJunctionFromYaml(yaml, { baseDir });
  onTestFinished(() => junction.close());
  return junction;
}

interface Answer {
  readonly status: number;
  readonly reason: string;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** What the echo backend saw; undefined when the answer did not come from one. */
  readonly seen: (EchoReply & { readonly backend: string }) | undefined;
}

/** One GET over a fresh connection, from `from` (a loopback address: 127.0.0.2 is not 127.0.0.1). */
function get(
  port: number,
  path = '/',
  headers: Record<string, string> = {},
  from = '127.0.0.1',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, headers, localAddress: from, agent: false, timeout: 10_000 },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          const json = (res.headers['content-type'] ?? '').includes('application/json');
          resolve({
            status: res.statusCode ?? 0,
            reason: res.statusMessage ?? '',
            headers: res.headers,
            text,
            seen: json ? (JSON.parse(text) as EchoReply) : undefined,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

function clusters(entries: Record<string, HttpBackend>): string {
  return Object.entries(entries)
    .map(([name, b]) => `  ${name}: { backends: ["${b.address}"] }`)
    .join('\n');
}

/** Rules from an examples/rules file, parsed (the node a `root:` would select). */
function ruleFile(name: string): unknown {
  return parse(readFileSync(join(RULES, name), 'utf8'));
}

describe('examples/rules/header-hygiene.yaml', () => {
  const includeHygiene = 'rules:\n  - include: rules/header-hygiene.yaml\n';

  test('clients cannot set forwarding, proxy or internal fields; other fields pass', async () => {
    const app = await backend('app');
    const junction = await proxy(
      `${includeHygiene}routes: [{ cluster: app }]\nclusters:\n${clusters({ app })}`,
    );
    const answer = await get(junction.port, '/', {
      'X-Forwarded-For': '203.0.113.9',
      Forwarded: 'for=203.0.113.9',
      'X-Real-IP': '203.0.113.9',
      Proxy: 'http://evil.test:3128',
      'X-Internal-User': 'admin',
      'X-Debug-Token': 'secret',
      'X-Keep': 'yes',
    });
    const seen = answer.seen!.headers;
    // Junction's own X-Forwarded-For, without the made-up chain.
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    for (const name of ['forwarded', 'x-real-ip', 'proxy', 'x-internal-user', 'x-debug-token']) {
      expect(seen[name], name).toBeUndefined();
    }
    expect(seen['x-keep']).toBe('yes');
  });

  test("responses lose Server and X-Powered-By and gain security headers, Junction's own 404 too", async () => {
    const leaky = await backend('leaky', {
      headers: { Server: 'Apache/2.4.1', 'X-Powered-By': 'PHP/5.6', 'X-AspNet-Version': '4.0' },
    });
    const framed = await backend('framed', { headers: { 'X-Frame-Options': 'DENY' } });
    const junction = await proxy(`${includeHygiene}
routes:
  - { match: { path: /leaky/ }, cluster: leaky }
  - { match: { path: /framed/ }, cluster: framed }
clusters:
${clusters({ leaky, framed })}`);
    const fromLeaky = await get(junction.port, '/leaky/');
    expect(fromLeaky.seen?.backend).toBe('leaky');
    expect(fromLeaky.headers).not.toHaveProperty('server');
    expect(fromLeaky.headers).not.toHaveProperty('x-powered-by');
    expect(fromLeaky.headers).not.toHaveProperty('x-aspnet-version');
    expect(fromLeaky.headers['x-content-type-options']).toBe('nosniff');
    expect(fromLeaky.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(fromLeaky.headers['x-frame-options']).toBe('SAMEORIGIN');
    // Plain HTTP: no HSTS.
    expect(fromLeaky.headers).not.toHaveProperty('strict-transport-security');

    // A backend's own framing policy is kept.
    expect((await get(junction.port, '/framed/')).headers['x-frame-options']).toBe('DENY');

    const notFound = await get(junction.port, '/nowhere');
    expect(notFound.status).toBe(404);
    expect(notFound.headers['x-content-type-options']).toBe('nosniff');
    expect(notFound.headers['x-frame-options']).toBe('SAMEORIGIN');
  });
});

describe('examples/rules/canary.yaml', () => {
  async function shop() {
    const stable = await backend('stable');
    const canary = await backend('canary');
    const junction = await proxy(`
routes:
  - name: shop
    match: { path: /shop/ }
    cluster: shop-stable
    rules: ${JSON.stringify(ruleFile('canary.yaml'))}
clusters:
${clusters({ 'shop-stable': stable, 'shop-canary': canary })}`);
    return junction;
  }

  test('canary=always goes to the canary, marked both ways; canary=never stays', async () => {
    const junction = await shop();
    const always = await get(junction.port, '/shop/cart', { Cookie: 'canary=always' });
    expect(always.seen?.backend).toBe('canary');
    expect(always.seen?.headers['x-canary']).toBe('1');
    expect(always.headers['x-canary']).toBe('yes');
    expect(always.headers).not.toHaveProperty('set-cookie');

    const never = await get(junction.port, '/shop/cart', { Cookie: 'other=1; canary=never' });
    expect(never.seen?.backend).toBe('stable');
    expect(never.seen?.headers).not.toHaveProperty('x-canary');
    expect(never.headers['x-canary']).toBe('no');
    expect(never.headers).not.toHaveProperty('set-cookie');
  });

  test('without the cookie about one request in ten tries the canary and is told to keep it', async () => {
    const junction = await shop();
    const answers: Answer[] = [];
    for (let batch = 0; batch < 10; batch++) {
      answers.push(...(await Promise.all(Array.from({ length: 20 }, () => get(junction.port, '/shop/')))));
    }
    const toCanary = answers.filter((a) => a.seen?.backend === 'canary');
    for (const answer of answers) {
      const canary = answer.seen?.backend === 'canary';
      expect(answer.headers['x-canary']).toBe(canary ? 'yes' : 'no');
      expect(answer.headers['set-cookie']).toEqual(
        canary ? ['canary=always; Path=/; Max-Age=86400'] : undefined,
      );
    }
    // Binomial(200, 0.1): outside [3, 50] about once in five million runs.
    expect(toCanary.length).toBeGreaterThanOrEqual(3);
    expect(toCanary.length).toBeLessThanOrEqual(50);
  });

  test('examples/rules.yaml carries these rules under its shop route', () => {
    const config = parse(readFileSync(join(EXAMPLES, 'rules.yaml'), 'utf8')) as {
      routes: { name: string; rules?: unknown }[];
    };
    expect(config.routes.find((route) => route.name === 'shop')?.rules).toEqual(ruleFile('canary.yaml'));
  });
});

describe('examples/rules/geo.yaml and geo.csv', () => {
  const includeGeo = (file: string) => `rules:\n  - include: ${file}\n`;

  test('a client on this host is internal: the country field says so, and the route keeps its cluster', async () => {
    const site = await backend('site');
    const junction = await proxy(`${includeGeo('rules/geo.yaml')}routes: [{ cluster: site }]
clusters:
${clusters({ site, eu: await backend('eu'), us: await backend('us') })}`);
    const answer = await get(junction.port, '/', {
      'X-Client-Country': 'FR',
      'X-Internal-Client': '10.9.9.9',
    });
    expect(answer.seen?.backend).toBe('site');
    expect(answer.seen?.headers['x-client-country']).toBe('internal');
    expect(answer.seen?.headers['x-internal-client']).toBe('127.0.0.1');
  });

  test('geo.csv maps the ranges its comments name, most specific first', async () => {
    const config = await loadConfigText(`listeners: [{ port: 0 }]\n${includeGeo('rules/geo.yaml')}`, 'geo', {
      baseDir: EXAMPLES,
    });
    onTestFinished(() => config.rules?.dispose());
    const geo = config.rules!.resources.ipSpace('geo')!;
    const row = (address: string) => geo.lookup(parseIpAddress(address)!);
    expect(row('10.20.30.40')).toEqual(['internal', 'internal']);
    expect(row('192.168.1.1')).toEqual(['internal', 'internal']);
    expect(row('127.0.0.1')).toEqual(['internal', 'internal']);
    expect(row('::1')).toEqual(['internal', 'internal']);
    expect(row('fd00::5')).toEqual(['internal', 'internal']);
    expect(row('192.0.2.44')).toEqual(['FR', 'eu']);
    expect(row('198.51.100.7')).toEqual(['US', 'us']);
    expect(row('203.0.113.5')).toEqual(['DE', 'eu']);
    expect(row('203.0.113.200')).toEqual(['CA', 'us']);
    expect(row('2001:db8:e0::1')).toEqual(['NL', 'eu']);
    expect(row('2001:db8:1::1')).toEqual(['US', 'us']);
    expect(row('8.8.8.8')).toBeUndefined();
  });

  test('the region chooses the cluster (a CSV that puts loopback addresses in regions)', async () => {
    // The rules of the example, with a CSV of our own beside a config in a scratch directory.
    const dir = mkdtempSync(join(tmpdir(), 'junction-geo-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(
      join(dir, 'rules', 'geo.csv'),
      '127.0.0.1,internal,internal\n127.0.0.2,FR,eu\n127.0.0.3,US,us\n',
    );
    const site = await backend('site');
    const eu = await backend('eu');
    const us = await backend('us');
    const junction = await proxy(
      `${includeGeo(join(RULES, 'geo.yaml'))}routes: [{ cluster: site }]\nclusters:\n${clusters({ site, eu, us })}`,
      dir,
    );
    const fromEu = await get(junction.port, '/', {}, '127.0.0.2');
    expect([fromEu.seen?.backend, fromEu.seen?.headers['x-client-country']]).toEqual(['eu', 'FR']);
    expect(fromEu.seen?.headers).not.toHaveProperty('x-internal-client');
    const fromUs = await get(junction.port, '/', {}, '127.0.0.3');
    expect([fromUs.seen?.backend, fromUs.seen?.headers['x-client-country']]).toEqual(['us', 'US']);
    const unknown = await get(junction.port, '/', { 'X-Client-Country': 'FR' }, '127.0.0.4');
    expect([unknown.seen?.backend, unknown.seen?.headers['x-client-country']]).toEqual(['site', 'unknown']);
  });
});

describe('examples/rules/maintenance.yaml', () => {
  const includeMaintenance = (file: string) => `rules:\n  - include: ${file}\n`;

  async function site(file = 'rules/maintenance.yaml', baseDir = EXAMPLES) {
    const app = await backend('app');
    const junction = await proxy(
      `${includeMaintenance(file)}routes: [{ cluster: app }]\nclusters:\n${clusters({ app })}`,
      baseDir,
    );
    return { app, junction };
  }

  test('everyone else gets the 503 page from rules/maintenance.html; the backend sees nothing', async () => {
    const { app, junction } = await site();
    const answer = await get(junction.port, '/shop/', {}, '127.0.0.2');
    expect([answer.status, answer.reason]).toEqual([503, 'Down for maintenance']);
    expect(answer.text).toBe(readFileSync(join(RULES, 'maintenance.html'), 'utf8'));
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['retry-after']).toBe('600');
    expect(answer.headers['cache-control']).toBe('no-store');
    const wrongKey = await get(junction.port, '/', { 'X-Maintenance-Key': 'guess' }, '127.0.0.2');
    expect(wrongKey.status).toBe(503);
    expect(app.requests).toHaveLength(0);
  });

  test('the key, this host and health checks get through; the key does not go upstream', async () => {
    const { app, junction } = await site();
    const withKey = await get(junction.port, '/admin', { 'X-Maintenance-Key': 'open-sesame' }, '127.0.0.2');
    expect(withKey.status).toBe(200);
    expect(withKey.seen?.url).toBe('/admin');
    expect(withKey.seen?.headers).not.toHaveProperty('x-maintenance-key');
    expect((await get(junction.port, '/', {}, '127.0.0.1')).status).toBe(200);
    expect((await get(junction.port, '/healthz', {}, '127.0.0.2')).status).toBe(200);
    expect((await get(junction.port, '/healthz/', {}, '127.0.0.2')).status).toBe(200);
    expect((await get(junction.port, '/healthzz', {}, '127.0.0.2')).status).toBe(503);
    expect(app.requests.map((r) => r.url)).toEqual(['/admin', '/', '/healthz', '/healthz/']);
  });

  test('without the page file the short text is served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'junction-maintenance-'));
    const { junction } = await site(join(RULES, 'maintenance.yaml'), dir);
    const answer = await get(junction.port, '/', {}, '127.0.0.2');
    expect(answer.status).toBe(503);
    expect(answer.text).toBe('Down for maintenance. Please try again in a few minutes.\n');
  });
});

/** The bucket ab-test.yaml puts a visitor in: the `hash` modifier of `<experiment>/<visitor>`. */
function bucket(experiment: string, visitor: string, buckets: number): number {
  return hashString(`${experiment}/${visitor}`, DEFAULT_HASH_SEED) % buckets;
}

describe('examples/rules/ab-test.yaml', () => {
  async function checkout() {
    const a = await backend('a');
    const b = await backend('b');
    // The default route's backend tries to set the variant itself: the rules remove it.
    const web = await backend('web', { headers: { 'X-Variant': 'forged' } });
    const junction = await proxy(`
rules:
  - { include: rules/ab-test.yaml, root: experiments.checkout }
routes:
  - { match: { path: /checkout/ }, cluster: checkout-a }
  - { cluster: web }
clusters:
${clusters({ 'checkout-a': a, 'checkout-b': b, web })}`);
    return junction;
  }

  test('a uid lands in the variant of its bucket, every time, on that variant’s cluster', async () => {
    const junction = await checkout();
    const uids = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const expected = uids.map((uid) => (bucket('checkout', uid, 100) < 80 ? 'A' : 'B'));
    // The test means something only if both variants occur.
    expect(new Set(expected)).toEqual(new Set(['A', 'B']));
    for (const [i, uid] of uids.entries()) {
      for (let again = 0; again < 2; again++) {
        const answer = await get(junction.port, '/checkout/cart', { Cookie: `uid=${uid}` });
        expect(answer.headers['x-variant'], uid).toBe(expected[i]);
        expect(answer.seen?.headers['x-variant']).toBe(expected[i]);
        expect(answer.seen?.backend).toBe(expected[i] === 'A' ? 'a' : 'b');
      }
    }
  });

  test("without a cookie the client's address is the visitor; other paths are not in the test", async () => {
    const junction = await checkout();
    const variant = bucket('checkout', '127.0.0.1', 100) < 80 ? 'A' : 'B';
    const anonymous = await get(junction.port, '/checkout/');
    expect(anonymous.headers['x-variant']).toBe(variant);
    expect(anonymous.seen?.backend).toBe(variant.toLowerCase());
    const elsewhere = await get(junction.port, '/home', { Cookie: 'uid=user-1' });
    expect(elsewhere.seen?.backend).toBe('web');
    expect(elsewhere.seen?.headers).not.toHaveProperty('x-variant');
    expect(elsewhere.headers).not.toHaveProperty('x-variant');
  });

  test('the pricing experiment splits product pages in two, independently of checkout', async () => {
    const app = await backend('app');
    const junction = await proxy(`
rules:
  - { include: rules/ab-test.yaml, root: experiments.pricing }
routes: [{ cluster: app }]
clusters:
${clusters({ app })}`);
    const uids = Array.from({ length: 24 }, (_, i) => `visitor-${i}`);
    const seen = new Set<string>();
    for (const uid of uids) {
      const answer = await get(junction.port, '/products/42', { Cookie: `uid=${uid}` });
      const price = answer.seen?.headers['x-price-test'] as string;
      expect(price, uid).toBe(bucket('pricing', uid, 2) === 0 ? 'control' : 'discount');
      seen.add(price);
    }
    expect(seen).toEqual(new Set(['control', 'discount']));
    const other = await get(junction.port, '/checkout/', { Cookie: 'uid=visitor-1' });
    expect(other.seen?.headers).not.toHaveProperty('x-price-test');
    expect(other.seen?.headers).not.toHaveProperty('x-variant');
  });
});

describe('examples/rules.yaml', () => {
  test('runs with every rule set together', async () => {
    const one = await backend('one');
    const two = await backend('two');
    const three = await backend('three');
    const text = readFileSync(join(EXAMPLES, 'rules.yaml'), 'utf8')
      .replace('port: 8080', 'port: 0')
      .replaceAll('127.0.0.1:9101', one.address)
      .replaceAll('127.0.0.1:9102', two.address)
      .replaceAll('127.0.0.1:9103', three.address);
    const junction = await proxy(text);

    const home = await get(junction.port, '/', { 'X-Internal-User': 'root' });
    expect(home.headers['x-served-by']).toBe('web');
    expect(home.headers['x-content-type-options']).toBe('nosniff');
    expect(home.seen?.headers['x-client-country']).toBe('internal');
    expect(home.seen?.headers).not.toHaveProperty('x-internal-user');

    const canary = await get(junction.port, '/shop/', { Cookie: 'canary=always' });
    expect([canary.seen?.backend, canary.headers['x-canary'], canary.headers['x-served-by']]).toEqual([
      'two',
      'yes',
      'shop-canary',
    ]);

    const variant = bucket('checkout', 'user-7', 100) < 80 ? 'A' : 'B';
    const cart = await get(junction.port, '/checkout/cart', { Cookie: 'uid=user-7' });
    expect(cart.headers['x-variant']).toBe(variant);
    expect(cart.headers['x-served-by']).toBe(variant === 'A' ? 'checkout-a' : 'checkout-b');
  });
});
