/**
 * HTTPS listeners over real TLS on loopback, with certificates the test CA issues: the certificate
 * chosen by SNI (exact, wildcard, default), ALPN, refused protocol versions, SNI routing, strict SNI
 * binding (421), HSTS only over HTTPS, OCSP stapling, handshake failures and timeouts, and the runtime
 * certificate API (add, a bad replacement that keeps the old certificate, a good one, removal).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, onTestFinished, test } from 'vitest';
import { TlsCertificateError } from '../../src/index.ts';
import { closedPort, echoBackend, type EchoReply } from '../support/backends.ts';
import { createTestCa, type KeyPair } from '../support/certs.ts';
import { connectTo, headerValue, RawClient, readUntil } from '../support/clients.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { httpsGet, TlsClient } from '../support/tls-clients.ts';
import { delay, waitFor } from '../support/wait-for.ts';

const ca = createTestCa('Junction TLS Test CA');
const dir = mkdtempSync(join(tmpdir(), 'junction-e2e-tls-'));
afterAll(() => {
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});

const certs = {
  fallback: ca.issue(['default.example.test']),
  a: ca.issue(['a.example.test']),
  wildcard: ca.issue(['*.b.example.test', 'b.example.test']),
  cd: ca.issue(['c.example.test', 'd.example.test']),
};
for (const [name, pair] of Object.entries(certs)) writePair(name, pair);

function writePair(name: string, pair: KeyPair): void {
  writeFileSync(join(dir, `${name}.pem`), pair.cert);
  writeFileSync(join(dir, `${name}.key`), pair.key);
}

const trust = { ca: ca.cert };

/** An HTTPS listener with the four certificates, `default` first named, plus `extra` listener keys. */
function httpsListener(extra = ''): string {
  return `
  - name: https
    address: 127.0.0.1
    port: 0
    tls:
      certificates:
        - { id: default, cert_file: fallback.pem, key_file: fallback.key }
        - { cert_file: a.pem, key_file: a.key }
        - { cert_file: wildcard.pem, key_file: wildcard.key }
        - { cert_file: cd.pem, key_file: cd.key, ocsp_file: cd.ocsp }
      default_certificate: default${extra}`;
}

writeFileSync(join(dir, 'cd.ocsp'), Buffer.from('not a real OCSP response, but the bytes to staple'));

async function start(yaml: string): Promise<RunningJunction> {
  const junction = await startJunctionFromYaml(yaml, { baseDir: dir });
  onTestFinished(() => junction.close());
  return junction;
}

async function twoClusters(): Promise<string> {
  const app = await echoBackend('app');
  const b = await echoBackend('b-sites');
  onTestFinished(() => app.close());
  onTestFinished(() => b.close());
  return `
clusters:
  app: { backends: ["${app.address}"] }
  b: { backends: ["${b.address}"] }`;
}

function echo(body: Buffer): EchoReply {
  return JSON.parse(body.toString('utf8')) as EchoReply;
}

describe('certificates chosen by SNI', () => {
  test('an exact name, a wildcard name, and the default for unknown or missing names', async () => {
    const junction = await start(`
listeners:${httpsListener()}
routes: [{ cluster: app }]
${await twoClusters()}
`);
    expect(junction.server.listeners[0]?.scheme).toBe('https');
    const served = async (servername: string | undefined): Promise<string> => {
      const client = await TlsClient.connect(junction.port, {
        ...trust,
        ...(servername === undefined ? {} : { servername }),
      });
      client.close();
      return client.certificateName;
    };
    expect(await served('a.example.test')).toBe('a.example.test');
    expect(await served('A.Example.Test')).toBe('a.example.test');
    expect(await served('x.b.example.test')).toBe('*.b.example.test');
    expect(await served('b.example.test')).toBe('*.b.example.test');
    expect(await served('d.example.test')).toBe('c.example.test');
    // A wildcard covers one label only, as clients check it: deeper names get the default.
    await expect(served('y.x.b.example.test')).rejects.toThrow(/altnames|does not match/i);
    expect(await served(undefined)).toBe('default.example.test');
  });

  test('a request over HTTPS is proxied with X-Forwarded-Proto https, over TLS 1.3 with ALPN http/1.1', async () => {
    const junction = await start(`
listeners:${httpsListener()}
routes: [{ cluster: app }]
${await twoClusters()}
`);
    const { response, client } = await httpsGet(
      junction.port,
      'a.example.test',
      { ...trust, servername: 'a.example.test', ALPNProtocols: ['h2', 'http/1.1'] },
      '/hello?x=1',
    );
    expect(client.alpnProtocol).toBe('http/1.1');
    expect(client.protocol).toBe('TLSv1.3');
    expect(response.statusCode).toBe(200);
    const seen = echo(response.body);
    expect(seen.url).toBe('/hello?x=1');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(junction.server.stats()).toMatchObject({ tlsHandshakes: 1, tlsHandshakeFailures: 0 });
  });

  test('TLS 1.1 and older are refused by default, TLS 1.2 is served; min_version TLSv1.3 refuses 1.2', async () => {
    const junction = await start(`
listeners:${httpsListener()}
  - name: modern
    address: 127.0.0.1
    port: 0
    tls:
      certificates: [{ cert_file: a.pem, key_file: a.key }]
      min_version: TLSv1.3
routes: [{ cluster: app }]
${await twoClusters()}
`);
    const modernPort = junction.server.listeners[1]!.port;
    await expect(
      TlsClient.connect(junction.port, {
        ...trust,
        servername: 'a.example.test',
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
      }),
    ).rejects.toThrow(/protocol|version|alert/i);
    const tls12 = await TlsClient.connect(junction.port, {
      ...trust,
      servername: 'a.example.test',
      maxVersion: 'TLSv1.2',
    });
    expect(tls12.protocol).toBe('TLSv1.2');
    expect((await tls12.request('a.example.test')).statusCode).toBe(200);
    tls12.close();
    await expect(
      TlsClient.connect(modernPort, { ...trust, servername: 'a.example.test', maxVersion: 'TLSv1.2' }),
    ).rejects.toThrow(/protocol|version|alert/i);
    await waitFor(() => junction.server.stats().tlsHandshakeFailures === 2, { timeoutMs: 2000 });
    await waitFor(() => junction.server.stats().sessions === 0, { timeoutMs: 2000 });
    expect(junction.server.stats().tlsHandshakesInProgress).toBe(0);
  });

  test('by default only forward-secret AEAD ciphers are offered to TLS 1.2 clients', async () => {
    const junction = await start(`
listeners:${httpsListener()}
routes: [{ cluster: app }]
${await twoClusters()}
`);
    const tls12 = { ...trust, servername: 'a.example.test', maxVersion: 'TLSv1.2' } as const;
    await expect(
      TlsClient.connect(junction.port, {
        ...tls12,
        ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA',
      }),
    ).rejects.toThrow(/handshake|cipher|alert/i);
    const gcm = await TlsClient.connect(junction.port, {
      ...tls12,
      ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    });
    const cipher = gcm.socket.getCipher().name;
    gcm.close();
    expect(cipher).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
  });

  test('an OCSP response given by file is stapled for its certificate only', async () => {
    const junction = await start(`
listeners:${httpsListener()}
routes: [{ cluster: app }]
${await twoClusters()}
`);
    const stapled = await TlsClient.connect(junction.port, {
      ...trust,
      servername: 'c.example.test',
      requestOCSP: true,
    });
    stapled.close();
    expect(stapled.ocspResponse?.toString()).toBe('not a real OCSP response, but the bytes to staple');
    const plain = await TlsClient.connect(junction.port, {
      ...trust,
      servername: 'a.example.test',
      requestOCSP: true,
    });
    plain.close();
    expect(plain.ocspResponse ?? null).toBeNull();
  });
});

describe('routing on TLS facts', () => {
  test('routes match on SNI, and rules read it as inbound-sni', async () => {
    const junction = await start(`
listeners:${httpsListener()}
routes:
  - name: b-sites
    match: { sni: '*.b.example.test' }
    cluster: b
  - name: rest
    cluster: app
    rules:
      - when: proxy-req
        do:
          - proxy-req-field<X-Sni>: '{inbound-sni}'
          - proxy-req-field<X-Scheme>: '{ua-req-scheme}'
${await twoClusters()}
`);
    const viaWildcard = await httpsGet(junction.port, 'x.b.example.test', {
      ...trust,
      servername: 'x.b.example.test',
    });
    expect(echo(viaWildcard.response.body).backend).toBe('b-sites');
    const viaExact = await httpsGet(junction.port, 'a.example.test', {
      ...trust,
      servername: 'a.example.test',
    });
    const seen = echo(viaExact.response.body);
    expect(seen.backend).toBe('app');
    expect(seen.headers['x-sni']).toBe('a.example.test');
    expect(seen.headers['x-scheme']).toBe('https');
    // SNI routes by the connection's name, not by Host: a Host of a b site on an `a` connection stays on `rest`.
    const mixed = await httpsGet(junction.port, 'x.b.example.test', {
      ...trust,
      servername: 'a.example.test',
    });
    expect(echo(mixed.response.body).backend).toBe('app');
  });

  test('strict SNI binding answers 421 to a Host the connection certificate does not cover', async () => {
    const junction = await start(`
listeners:${httpsListener('\n      strict_sni_binding: true')}
  - name: lenient
    address: 127.0.0.1
    port: 0
    tls:
      certificates: [{ cert_file: a.pem, key_file: a.key }]
routes: [{ cluster: app }]
${await twoClusters()}
`);
    const client = await TlsClient.connect(junction.port, { ...trust, servername: 'c.example.test' });
    onTestFinished(() => {
      client.close();
    });
    expect((await client.request('c.example.test')).statusCode).toBe(200);
    // Another name of the same certificate is covered: the connection may serve it.
    expect((await client.request('d.example.test')).statusCode).toBe(200);
    const misdirected = await client.request('a.example.test');
    expect(misdirected.statusCode).toBe(421);
    // Not a reason to drop the connection: the client retries elsewhere and this one stays usable.
    expect((await client.request('c.example.test:443')).statusCode).toBe(200);

    const wildcard = await TlsClient.connect(junction.port, { ...trust, servername: 'x.b.example.test' });
    expect((await wildcard.request('y.b.example.test')).statusCode).toBe(200);
    expect((await wildcard.request('z.y.b.example.test')).statusCode).toBe(421);
    wildcard.close();

    const lenientPort = junction.server.listeners[1]!.port;
    const lenient = await httpsGet(lenientPort, 'elsewhere.example.test', {
      ...trust,
      servername: 'a.example.test',
    });
    expect(lenient.response.statusCode).toBe(200);
  });

  test('HSTS is added to a route responses over HTTPS only, and an upstream field wins', async () => {
    const app = await echoBackend('app');
    const own = await echoBackend('own', { headers: { 'strict-transport-security': 'max-age=5' } });
    onTestFinished(() => app.close());
    onTestFinished(() => own.close());
    const junction = await start(`
listeners:${httpsListener()}
  - name: plain
    address: 127.0.0.1
    port: 0
routes:
  - match: { path: /own }
    cluster: own
    hsts: true
  - match: { path: /down }
    cluster: down
    hsts: true
  - cluster: app
    hsts: { max_age: 600, include_subdomains: true }
clusters:
  app: { backends: ["${app.address}"] }
  own: { backends: ["${own.address}"] }
  down: { backends: ["127.0.0.1:${await closedPort()}"] }
`);
    const secure = await httpsGet(junction.port, 'a.example.test', {
      ...trust,
      servername: 'a.example.test',
    });
    expect(headerValue(secure.response.rawHeaders, 'strict-transport-security')).toBe(
      'max-age=600; includeSubDomains',
    );
    const ownField = await httpsGet(
      junction.port,
      'a.example.test',
      { ...trust, servername: 'a.example.test' },
      '/own',
    );
    expect(headerValue(ownField.response.rawHeaders, 'strict-transport-security')).toBe('max-age=5');
    // Junction's own answer on such a route carries it too (a browser heeds it on any HTTPS response).
    const down = await httpsGet(
      junction.port,
      'a.example.test',
      { ...trust, servername: 'a.example.test' },
      '/down',
    );
    expect(down.response.statusCode).toBe(503);
    expect(headerValue(down.response.rawHeaders, 'strict-transport-security')).toBe('max-age=31536000');
    const plainPort = junction.server.listeners[1]!.port;
    const client = await RawClient.connect(plainPort);
    onTestFinished(() => client.close());
    const overHttp = await client.exchange('GET / HTTP/1.1\r\nHost: a.example.test\r\n\r\n');
    expect(overHttp.statusCode).toBe(200);
    expect(headerValue(overHttp.rawHeaders, 'strict-transport-security')).toBeUndefined();
    const downOverHttp = await client.exchange('GET /down HTTP/1.1\r\nHost: a.example.test\r\n\r\n');
    expect(downOverHttp.statusCode).toBe(503);
    expect(headerValue(downOverHttp.rawHeaders, 'strict-transport-security')).toBeUndefined();
    expect(echo(overHttp.body).headers['x-forwarded-proto']).toBe('http');
  });
});

describe('redirect to HTTPS', () => {
  test('a plain listener answers every request with a redirect to the same URL over HTTPS', async () => {
    const app = await echoBackend('app');
    onTestFinished(() => app.close());
    const junction = await start(`
listeners:
  - name: plain
    address: 127.0.0.1
    port: 0
    redirect_to_https: { port: 8443, status: 308 }
  - name: default-redirect
    address: 127.0.0.1
    port: 0
    redirect_to_https: true
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${app.address}"] }
`);
    const client = await RawClient.connect(junction.port);
    onTestFinished(() => client.close());
    const first = await client.exchange('GET /a/b?c=d HTTP/1.1\r\nHost: Shop.Example.test:8080\r\n\r\n');
    expect(first.statusCode).toBe(308);
    expect(headerValue(first.rawHeaders, 'location')).toBe('https://shop.example.test:8443/a/b?c=d');
    // The connection stays usable for a next request (keep-alive) and nothing reached the backend.
    await client.write('HEAD / HTTP/1.1\r\nHost: shop.example.test\r\n\r\n');
    const [second] = await client.readResponses(1, { requestMethods: ['HEAD'] });
    if (second === undefined) throw new Error('no response to HEAD');
    expect(second.statusCode).toBe(308);
    expect(second.body.length).toBe(0);
    // A request with a body is answered at once and its connection closed.
    const posted = await client.exchange(
      'POST /form HTTP/1.1\r\nHost: shop.example.test\r\nContent-Length: 5\r\n\r\nhello',
    );
    expect(posted.statusCode).toBe(308);
    expect(await client.waitForEnd(2000)).toBe(true);
    expect(app.requests.length).toBe(0);

    const defaults = await RawClient.connect(junction.server.listeners[1]!.port);
    onTestFinished(() => defaults.close());
    const moved = await defaults.exchange('GET /x HTTP/1.1\r\nHost: shop.example.test\r\n\r\n');
    expect(moved.statusCode).toBe(301);
    expect(headerValue(moved.rawHeaders, 'location')).toBe('https://shop.example.test/x');
  });
});

describe('handshakes that fail or stall', () => {
  test('plain HTTP on an HTTPS port (answered 400 in clear), a reset mid-handshake, and a silent client are closed and counted', async () => {
    const junction = await start(`
listeners:${httpsListener('\n      handshake_timeout: 300ms')}
routes: [{ cluster: app }]
${await twoClusters()}
`);
    const plain = await RawClient.connect(junction.port);
    await plain.write('GET / HTTP/1.1\r\nHost: a.example.test\r\n\r\n');
    const [answer] = await plain.readResponses(1, { timeoutMs: 2000 });
    expect(answer?.statusCode).toBe(400);
    expect(answer?.body.toString()).toContain('https://');
    expect(await plain.waitForEnd(2000)).toBe(true);

    const reset = await connectTo(junction.port);
    // The first bytes of a ClientHello, then a reset.
    reset.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xc8, 0x01]));
    await waitFor(() => junction.server.stats().tlsHandshakesInProgress === 1, { timeoutMs: 2000 });
    reset.resetAndDestroy();

    const silent = await connectTo(junction.port);
    const closed = readUntil(silent, () => false, 3000).then(
      () => 'data',
      (error: unknown) => String(error),
    );
    expect(await closed).toMatch(/closed|end/i);
    silent.destroy();

    await waitFor(
      () => {
        const stats = junction.server.stats();
        return stats.tlsHandshakeFailures === 2 && stats.tlsHandshakeTimeouts === 1;
      },
      { timeoutMs: 3000 },
    );
    expect(junction.server.stats()).toMatchObject({
      tlsHandshakesInProgress: 0,
      sessions: 0,
      tlsHandshakes: 0,
    });
    // The listener still serves, and its connection slots were all given back.
    const ok = await httpsGet(junction.port, 'a.example.test', { ...trust, servername: 'a.example.test' });
    expect(ok.response.statusCode).toBe(200);
  });

  test('handshakes count against max_connections and give their slot back when they fail', async () => {
    const junction = await start(`
listeners:${httpsListener('\n      handshake_timeout: 5s')}
    max_connections: 1
    accept_queue_size: 4
routes: [{ cluster: app }]
${await twoClusters()}
`);
    const stalled = await connectTo(junction.port);
    await waitFor(() => junction.server.stats().tlsHandshakesInProgress === 1, { timeoutMs: 2000 });
    // A second client waits in the accept queue while the first holds the only slot...
    const waiting = TlsClient.connect(junction.port, {
      ...trust,
      servername: 'a.example.test',
      timeoutMs: 4000,
    });
    // A deliberate wait: the point is that nothing happens while the slot is held.
    await delay(200);
    expect(junction.server.stats().tlsHandshakes).toBe(0);
    // ...and is served as soon as the stalled one goes.
    stalled.destroy();
    const client = await waiting;
    expect((await client.request('a.example.test')).statusCode).toBe(200);
    client.close();
  });
});

describe('shutdown', () => {
  test('closes idle TLS sessions and handshakes under way without waiting for the grace period', async () => {
    const junction = await start(`
listeners:${httpsListener()}
routes: [{ cluster: app }]
${await twoClusters()}
`);
    const idle = await TlsClient.connect(junction.port, { ...trust, servername: 'a.example.test' });
    expect((await idle.request('a.example.test')).statusCode).toBe(200);
    const stalled = await connectTo(junction.port);
    await waitFor(() => junction.server.stats().tlsHandshakesInProgress === 1, { timeoutMs: 2000 });
    const stalledClosed = readUntil(stalled, () => false, 4000).then(
      () => 'data',
      (error: unknown) => String(error),
    );
    const started = Date.now();
    await junction.close(10_000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await stalledClosed).toMatch(/closed|end/i);
    expect(junction.server.stats()).toMatchObject({ sessions: 0, tlsHandshakesInProgress: 0 });
    idle.close();
  });
});

describe('per-client cap on an HTTPS listener', () => {
  test('a client over max_connections_per_client is closed, not sent a plain-text 429', async () => {
    const junction = await start(`
listeners:${httpsListener()}
    max_connections_per_client: 1
routes: [{ cluster: app }]
${await twoClusters()}
`);
    const first = await TlsClient.connect(junction.port, { ...trust, servername: 'a.example.test' });
    onTestFinished(() => {
      first.close();
    });
    expect((await first.request('a.example.test')).statusCode).toBe(200);
    await expect(
      TlsClient.connect(junction.port, { ...trust, servername: 'a.example.test' }),
    ).rejects.toThrow(/socket|disconnected|ECONNRESET|closed/i);
    expect((await first.request('a.example.test')).statusCode).toBe(200);
  });
});

describe('certificates at runtime', () => {
  test('add, a bad replacement that keeps the old certificate, a good replacement, and removal', async () => {
    const junction = await start(`
listeners:${httpsListener()}
routes: [{ cluster: app }]
${await twoClusters()}
`);
    const server = junction.server;
    const fingerprintFor = async (servername: string): Promise<string> => {
      const client = await TlsClient.connect(junction.port, { ...trust, servername });
      client.close();
      return client.certificate.fingerprint256;
    };
    const listed = server.certificates();
    expect(listed.map((c) => [c.listener, c.id, c.isDefault])).toEqual([
      ['https', 'default', true],
      ['https', 'a.example.test', false],
      ['https', '*.b.example.test', false],
      ['https', 'c.example.test', false],
    ]);
    expect(listed[2]!.names).toEqual(['*.b.example.test', 'b.example.test']);
    expect(listed[3]!.hasOcsp).toBe(true);
    expect(listed[1]!.issuer).toContain('Junction TLS Test CA');
    expect(Date.parse(listed[1]!.notAfter)).toBeGreaterThan(Date.now());

    // Added from PEM text: served at once for its name.
    const e = ca.issue(['e.example.test']);
    const added = server.addCertificate('https', { cert: e.cert, key: e.key });
    expect(added.id).toBe('e.example.test');
    expect(await fingerprintFor('e.example.test')).toBe(added.fingerprint);

    // A replacement whose key belongs to another certificate is refused; the old one keeps serving.
    const before = await fingerprintFor('a.example.test');
    const a2 = ca.issue(['a.example.test']);
    let thrown: unknown;
    try {
      server.replaceCertificate('https', 'a.example.test', { cert: a2.cert, key: certs.cd.key });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TlsCertificateError);
    expect((thrown as TlsCertificateError).code).toBe('JCT_ERR_TLS_CERTIFICATE');
    expect((thrown as Error).message).toMatch(/does not match/);
    expect(() =>
      server.replaceCertificate('https', 'a.example.test', {
        certFile: join(dir, 'missing.pem'),
        key: a2.key,
      }),
    ).toThrow(/cannot read/);
    expect(await fingerprintFor('a.example.test')).toBe(before);

    // A good replacement, from files, is served by the next handshake; connections already open keep theirs.
    const open = await TlsClient.connect(junction.port, { ...trust, servername: 'a.example.test' });
    writePair('a2', a2);
    const replaced = server.replaceCertificate('https', 'a.example.test', {
      certFile: join(dir, 'a2.pem'),
      keyFile: join(dir, 'a2.key'),
    });
    expect(replaced.fingerprint).not.toBe(before);
    expect(await fingerprintFor('a.example.test')).toBe(replaced.fingerprint);
    expect((await open.request('a.example.test')).statusCode).toBe(200);
    open.close();

    // Removed: its name falls back to the default certificate.
    server.removeCertificate('https', 'e.example.test');
    await expect(fingerprintFor('e.example.test')).rejects.toThrow(/altnames|does not match/i);
    expect(server.certificates().map((c) => c.id)).not.toContain('e.example.test');

    // The default can go too (the first certificate left takes over), but never the last one.
    server.removeCertificate('https', 'default');
    expect(server.certificates().find((c) => c.isDefault)?.id).toBe('a.example.test');
    expect(() => server.addCertificate('https', { cert: e.cert, key: e.key, id: 'a.example.test' })).toThrow(
      /already exists/,
    );
    expect(() => {
      server.removeCertificate('nope', 'x');
    }).toThrow(TlsCertificateError);
  });

  test('the last certificate cannot be removed, and a plain listener has none to change', async () => {
    const app = await echoBackend('app');
    onTestFinished(() => app.close());
    const junction = await start(`
listeners:
  - name: one
    address: 127.0.0.1
    port: 0
    tls: { certificates: [{ cert_file: a.pem, key_file: a.key }] }
  - name: plain
    address: 127.0.0.1
    port: 0
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${app.address}"] }
`);
    expect(() => {
      junction.server.removeCertificate('one', 'a.example.test');
    }).toThrow(/last/);
    expect(() => junction.server.addCertificate('plain', { cert: certs.a.cert, key: certs.a.key })).toThrow(
      /not an HTTPS listener/,
    );
    const ok = await httpsGet(junction.port, 'a.example.test', { ...trust, servername: 'a.example.test' });
    expect(ok.response.statusCode).toBe(200);
  });
});
