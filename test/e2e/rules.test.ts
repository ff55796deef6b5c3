/**
 * The rule language through the proxy: global rules at several hooks, selection, route rules in remap
 * mode with a nested when, included rule files with a root, and load-time errors with positions.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { ConfigErrors } from '../../src/errors/index.ts';
import { loadConfigText } from '../../src/config/index.ts';
import { echoBackend, type EchoReply, type HttpBackend } from '../support/backends.ts';
import { request } from '../support/clients.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';

async function echo(name = 'b'): Promise<HttpBackend> {
  const backend = await echoBackend(name);
  onTestFinished(() => backend.close());
  return backend;
}

async function proxy(yaml: string, baseDir?: string) {
  const junction = await startJunctionFromYaml(yaml, baseDir === undefined ? {} : { baseDir });
  onTestFinished(() => junction.close());
  return junction;
}

function seen(res: { json(): unknown }): EchoReply {
  return res.json() as EchoReply;
}

describe('rules through the proxy', () => {
  test('fields at ua-req and proxy-rsp, a variable between them, selection on the path', async () => {
    const backend = await echo();
    const junction = await proxy(`
rules:
  - when: ua-req
    do:
      - ua-req-field<X-Client-Host>: '{ua-req-host}:{ua-req-path}'
      - var<section>: 'other'
      - with: ua-req-path
        select:
          - prefix: 'api/'
            do:
              - var<section>: 'api'
          - rxp: '^users/(\\d+)$'
            do:
              - ua-req-field<X-User-Id>: '{1}'
              - var<section>: 'users'
  - when: proxy-rsp
    do:
      - proxy-rsp-field<X-Section>: '{var<section>}'
      - proxy-rsp-field<Server>: null
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    const api = await request(junction.port, { path: '/api/x', headers: { host: 'shop.test' } });
    expect(api.headers['x-section']).toBe('api');
    expect(seen(api).headers['x-client-host']).toBe('shop.test:api/x');
    const user = await request(junction.port, { path: '/users/42' });
    expect(user.headers['x-section']).toBe('users');
    expect(seen(user).headers['x-user-id']).toBe('42');
    const other = await request(junction.port, { path: '/else' });
    expect(other.headers['x-section']).toBe('other');
    expect(seen(other).headers['x-user-id']).toBeUndefined();
  });

  test('proxy-reply, redirect and deny answer without the backend', async () => {
    const backend = await echo();
    const junction = await proxy(`
rules:
  - when: ua-req
    do:
      - with: '{ua-req-path}'
        select:
          - match: 'maintenance'
            do:
              - proxy-reply: { status: 503, body: "down for maintenance\\n" }
          - match: 'old'
            do:
              - redirect: { status: 301, location: 'https://{ua-req-host}/new' }
          - prefix: 'admin'
            do:
              - deny: 403
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`);
    const down = await request(junction.port, { path: '/maintenance' });
    expect([down.status, down.text]).toEqual([503, 'down for maintenance\n']);
    const moved = await request(junction.port, { path: '/old', headers: { host: 'example.test' } });
    expect([moved.status, moved.headers.location]).toEqual([301, 'https://example.test/new']);
    expect((await request(junction.port, { path: '/admin/x' })).status).toBe(403);
    expect(backend.requests).toHaveLength(0);
    expect((await request(junction.port, { path: '/ok' })).status).toBe(200);
  });

  test('route rules run at remap; a nested when schedules directives for the response', async () => {
    const a = await echo('a');
    const b = await echo('b');
    const junction = await proxy(`
routes:
  - name: canary
    match: { path: /app/ }
    cluster: stable
    rules:
      - with: '{ua-req-cookie<canary>}'
        select:
          - match: 'yes'
            do:
              - cluster: 'canary'
              - when: proxy-rsp
                do:
                  - proxy-rsp-field<X-Canary>: 'true'
clusters:
  stable: { backends: ["${a.address}"] }
  canary: { backends: ["${b.address}"] }
`);
    const stable = await request(junction.port, { path: '/app/1' });
    const canary = await request(junction.port, { path: '/app/1', headers: { cookie: 'canary=yes' } });
    expect(seen(stable).backend).toBe('a');
    expect(seen(canary).backend).toBe('b');
    expect(stable.headers['x-canary']).toBeUndefined();
    expect(canary.headers['x-canary']).toBe('true');
  });

  test('an included rule file, from a root inside a larger document', async () => {
    const backend = await echo();
    const dir = mkdtempSync(join(tmpdir(), 'junction-rules-'));
    writeFileSync(
      join(dir, 'shared.yaml'),
      'other: 1\ntxn_box:\n  example-1:\n    - when: proxy-rsp\n      do:\n        - proxy-rsp-field<X-Included>: "yes"\n',
    );
    const junction = await proxy(
      `
rules:
  - { include: shared.yaml, root: txn_box.example-1 }
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
      dir,
    );
    expect((await request(junction.port)).headers['x-included']).toBe('yes');
  });
});

describe('include order', () => {
  test('an included file runs at the place of its include, between the rules around it', async () => {
    const backend = await echo();
    const dir = mkdtempSync(join(tmpdir(), 'junction-rules-'));
    writeFileSync(
      join(dir, 'mid.yaml'),
      "- when: ua-req\n  do:\n    - ua-req-field-append<X-Order>: 'included'\n",
    );
    const junction = await proxy(
      `
rules:
  - { when: ua-req, do: [{ ua-req-field-append<X-Order>: 'first' }] }
  - include: mid.yaml
  - { when: ua-req, do: [{ ua-req-field-append<X-Order>: 'last' }] }
routes: [{ cluster: app }]
clusters:
  app: { backends: ["${backend.address}"] }
`,
      dir,
    );
    expect(seen(await request(junction.port)).headers['x-order']).toBe('first, included, last');
  });
});

describe('rule errors at load time', () => {
  async function problems(yaml: string, baseDir = process.cwd()): Promise<string[]> {
    try {
      const config = await loadConfigText(yaml, 'junction.yaml', { baseDir });
      config.rules?.dispose();
    } catch (error) {
      if (!(error instanceof ConfigErrors)) throw error;
      return error.errors.map((e) => e.message);
    }
    throw new Error('expected the rules to fail');
  }

  test('an unknown directive, with its position and a suggestion', async () => {
    expect(
      await problems(`listeners: [{ port: 0 }]
rules:
  - when: ua-req
    do:
      - ua-req-feild<X>: y
`),
    ).toEqual(["junction.yaml:5:9: unknown directive 'ua-req-feild'; did you mean 'ua-req-field'?"]);
  });

  test('an extractor at a hook where it is not valid', async () => {
    const [message] = await problems(`listeners: [{ port: 0 }]
rules:
  - when: ua-req
    do:
      - var<x>: '{proxy-rsp-status}'
`);
    expect(message).toMatch(/^junction\.yaml:5:17: .*proxy-rsp-status/);
  });

  test('a misspelt key beside include is an error, not a silently ignored root', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'junction-rules-'));
    writeFileSync(join(dir, 'inc.yaml'), 'a:\n  b: []\n');
    expect(
      await problems(`listeners: [{ port: 0 }]\nrules:\n  - { include: inc.yaml, rot: a.b }\n`, dir),
    ).toEqual(["junction.yaml:3:26: unknown key 'rot' in an include (expected include, root)"]);
  });

  test('an error in an included file points into that file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'junction-rules-'));
    writeFileSync(join(dir, 'bad.yaml'), '- when: ua-req\n  do:\n    - nonsense: 1\n');
    const [message] = await problems(`listeners: [{ port: 0 }]\nrules:\n  - include: bad.yaml\n`, dir);
    expect(message).toBe(`${join(dir, 'bad.yaml')}:3:7: unknown directive 'nonsense'`);
  });
});

describe("TxnBox's reading of rule values", () => {
  test('an unquoted value is an extractor, a quoted one text, !literal text without extractors', async () => {
    const backend = await echo();
    const dir = mkdtempSync(join(tmpdir(), 'junction-rules-'));
    writeFileSync(
      join(dir, 'remap.yaml'),
      "remap:\n  - with: ua-req-path\n    continue:\n    select:\n      - prefix: 'shop/'\n        do: [{ ua-req-field<X-Rest>: '{*}' }]\n  - ua-req-field<X-Route>: route\n",
    );
    const junction = await proxy(
      `
rules:
  - when: proxy-req
    do:
      - proxy-req-field<Org-Host>: ua-req-field<Host>
      - proxy-req-field<Text>: "ua-req-field<Host>"
      - proxy-req-field<Literal>: !literal "{ua-req-host}"
routes:
  - name: shop
    cluster: app
    rules: { include: remap.yaml, root: remap }
clusters:
  app: { backends: ["${backend.address}"] }
`,
      dir,
    );
    const headers = seen(
      await request(junction.port, { path: '/shop/cart', headers: { host: 'shop.test' } }),
    ).headers;
    expect([headers['org-host'], headers['text'], headers['literal']]).toEqual([
      'shop.test',
      'ua-req-field<Host>',
      '{ua-req-host}',
    ]);
    expect([headers['x-rest'], headers['x-route']]).toEqual(['cart', 'shop']);
  });

  test('an unquoted word that names no extractor is refused, with how to write text', async () => {
    const [message] = await (async () => {
      try {
        await loadConfigText(
          'listeners: [{ port: 0 }]\nrules:\n  - when: ua-req\n    do:\n      - cluster: canary\n',
          'junction.yaml',
        );
      } catch (error) {
        if (error instanceof ConfigErrors) return error.errors.map((e) => e.message);
        throw error;
      }
      return [];
    })();
    expect(message).toMatch(/^junction\.yaml:5:18: unknown extractor 'canary'.*quote it/);
  });
});
