/**
 * Body transforms through the proxy: compression and text replacement on responses framed by length,
 * chunks or the close, HTTP/1.0 clients, request transforms, and a large body under backpressure.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, onTestFinished, test } from 'vitest';
import { compressResponse, definePlugin, replaceText, type PluginDefinition } from '../../src/index.ts';
import { bigBodyBackend, sinkBackend, type SinkReply } from '../support/backends.ts';
import { MiB, trackMemory } from '../support/memory.ts';
import { patternSha256 } from '../support/pattern.ts';
import { RawClient, rawRequest, request } from '../support/clients.ts';
import { listenForTest } from '../support/servers.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

const PAGE = `<html><body>${'<p>hello old world</p>\n'.repeat(2000)}</body></html>`;

/** A backend answering PAGE as text/html: by length, chunked (`/chunked`) or close-delimited (`/close`). */
async function pageBackend(): Promise<string> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.url === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/html' });
      const half = PAGE.length >> 1;
      res.write(PAGE.slice(0, half));
      setTimeout(() => res.end(PAGE.slice(half)), 10);
      return;
    }
    if (req.url === '/close') {
      res.writeHead(200, { 'content-type': 'text/html', connection: 'close' });
      res.end(PAGE);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(PAGE) });
    res.end(PAGE);
  });
  const port = await listenForTest(server);
  return `127.0.0.1:${port}`;
}

/** A plugin that asks for the given response and request transforms on every transaction. */
function transforming(what: 'compress' | 'replace' | 'both' | 'request'): PluginDefinition {
  const compress = compressResponse({ minSize: 100 });
  const replace = replaceText({ search: 'old', replace: 'new', types: ['text/html', 'text/plain'] });
  return definePlugin({
    name: `transform-${what}`,
    setup(api) {
      api.hook('read-request', (txn) => {
        if (what === 'replace' || what === 'both') txn.transformResponse(replace);
        if (what === 'compress' || what === 'both') txn.transformResponse(compress);
        if (what === 'request') txn.transformRequest(replace);
      });
    },
  });
}

async function proxy(backend: string, what: 'compress' | 'replace' | 'both' | 'request') {
  const junction = await startJunctionFromYaml(
    `plugins: [test:t]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: ["${backend}"] }\n`,
    { plugins: { 'test:t': transforming(what) } },
  );
  onTestFinished(() => junction.close());
  return junction;
}

describe('response transforms', () => {
  test.each(['/length', '/chunked', '/close'])(
    'gzip on a body framed by %s: re-framed chunked, no Content-Length, decodes to the original',
    async (path) => {
      const junction = await proxy(await pageBackend(), 'compress');
      const client = await RawClient.connect(junction.port);
      onTestFinished(() => client.close());
      const res = await client.exchange(`GET ${path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.headers['content-length']).toBeUndefined();
      expect(res.headers['vary']).toMatch(/accept-encoding/i);
      expect(res.body.length).toBeLessThan(PAGE.length / 5);
      expect(gunzipSync(res.body).toString()).toBe(PAGE);
      // Keep-alive survives a transformed response.
      const next = await client.exchange('GET /length HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\n\r\n');
      expect(next.headers['content-encoding']).toBe('br');
      expect(brotliDecompressSync(next.body).toString()).toBe(PAGE);
    },
  );

  test('a client that accepts no coding gets the body untouched, with its Content-Length', async () => {
    const junction = await proxy(await pageBackend(), 'compress');
    const res = await request(junction.port, { path: '/length', headers: { 'accept-encoding': 'identity' } });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(PAGE)));
    expect(res.text).toBe(PAGE);
  });

  test('an HTTP/1.0 client gets a transformed body delimited by the close', async () => {
    const junction = await proxy(await pageBackend(), 'both');
    const res = await rawRequest(
      junction.port,
      'GET /chunked HTTP/1.0\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n',
    );
    const [response] = res.responses;
    expect(response?.headers['transfer-encoding']).toBeUndefined();
    expect(response?.headers['content-length']).toBeUndefined();
    expect(res.ended).toBe(true);
    expect(gunzipSync(response!.body).toString()).toBe(PAGE.replaceAll('old', 'new'));
  });

  test('two transforms in a row: replace, then compress', async () => {
    const junction = await proxy(await pageBackend(), 'both');
    const client = await RawClient.connect(junction.port);
    onTestFinished(() => client.close());
    const res = await client.exchange('GET /chunked HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n');
    expect(gunzipSync(res.body).toString()).toBe(PAGE.replaceAll('old', 'new'));
  });
});

describe('a large body through a transform', () => {
  test('256 MiB through a replace transform: byte for byte, with bounded memory', async () => {
    const bytes = 256 * MiB;
    const backend = await bigBodyBackend(bytes, { chunked: true });
    onTestFinished(() => backend.close());
    const junction = await startJunctionFromYaml(
      `plugins: [test:t]\nroutes: [{ cluster: app }]\nclusters:\n  app: { backends: ["${backend.address}"] }\n`,
      {
        plugins: {
          // A search the pattern never contains: the body must come out unchanged, all of it streamed.
          'test:t': definePlugin({
            name: 'replace-binary',
            setup(api) {
              const factory = replaceText({
                search: '\u0000never\u0000',
                replace: '!',
                types: ['application/octet-stream'],
              });
              api.hook('read-response', (txn) => {
                txn.transformResponse(factory);
              });
            },
          }),
        },
      },
    );
    onTestFinished(() => junction.close());
    const expected = patternSha256(bytes);
    const memory = trackMemory();
    const res = await request(junction.port, { collectBody: false, timeoutMs: 55_000 });
    const growth = memory.stop();
    expect(res.status).toBe(200);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.bodyLength).toBe(bytes);
    expect(res.bodySha256).toBe(expected);
    expect(growth.liveBytes).toBeLessThan(64 * MiB);
  }, 60_000);
});

describe('request transforms', () => {
  test('a request body is rewritten and sent upstream chunked, without its Content-Length', async () => {
    const sink = await sinkBackend();
    onTestFinished(() => sink.close());
    const junction = await proxy(sink.address, 'request');
    const body = 'the old text, '.repeat(5000);
    const res = await request(junction.port, {
      method: 'POST',
      path: '/upload',
      headers: { 'content-type': 'text/plain' },
      body,
    });
    const reply = res.json() as SinkReply;
    expect(reply.bytes).toBe(Buffer.byteLength(body.replaceAll('old', 'new')));
    expect(reply.headers['transfer-encoding']).toBe('chunked');
    expect(reply.headers['content-length']).toBeUndefined();
  });
});

describe('built-in transform plugins, from config alone', () => {
  test('junction:compress globally and junction:replace-text on one route', async () => {
    const backend = await pageBackend();
    const junction = await startJunctionFromYaml(`
plugins:
  - { module: 'junction:compress', config: { min_size: 100, encodings: [gzip] } }
routes:
  - { match: { path: /chunked }, cluster: app, plugins: [{ module: 'junction:replace-text', config: { replace: { old: new } } }] }
  - { cluster: app }
clusters:
  app: { backends: ["${backend}"] }
`);
    onTestFinished(() => junction.close());
    const client = await RawClient.connect(junction.port);
    onTestFinished(() => client.close());
    const replaced = await client.exchange(
      'GET /chunked HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\n\r\n',
    );
    expect(replaced.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(replaced.body).toString()).toBe(PAGE.replaceAll('old', 'new'));
    const plain = await client.exchange('GET /length HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n');
    expect(gunzipSync(plain.body).toString()).toBe(PAGE);
  });

  test('a bad built-in plugin config is a config error at its position', async () => {
    await expect(
      startJunctionFromYaml(`plugins:\n  - { module: 'junction:compress', config: { encodings: [zstd] } }\n`),
    ).rejects.toThrow(/<e2e>:3:44: config: plugin 'compress': encodings: 'zstd' is not br or gzip/);
    await expect(startJunctionFromYaml(`plugins: ['junction:gzip']\n`)).rejects.toThrow(
      /no built-in plugin 'junction:gzip' \(built in: junction:compress, junction:replace-text\)/,
    );
  });
});
