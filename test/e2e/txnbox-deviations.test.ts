/**
 * The silent deviations issue 18 listed (forms TxnBox gives one meaning and Junction once gave
 * another), each checked through a real Junction from YAML as a TxnBox user writes it: quoting, paths,
 * the no-return rule of `with`, repeated fields, as-bool, in: ranges, query-value names, redirect's
 * default status, random<N>, durations written into fields, and text blocks whose file ends in a newline.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';

let backend: Server;
let junction: RunningJunction;
let dir: string;
/** What the backend saw of the last request: its target and fields. */
let seen: { url: string; headers: IncomingHttpHeaders; raw: string[] } = { url: '', headers: {}, raw: [] };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'junction-deviations-'));
  writeFileSync(join(dir, 'banner.txt'), 'Hello from a file\n');
  backend = createServer((req, res) => {
    seen = { url: req.url ?? '', headers: req.headers, raw: req.rawHeaders };
    res.end('ok');
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const port = (backend.address() as AddressInfo).port;
  junction = await startJunctionFromYaml(
    `
clusters: { origin: { backends: ['127.0.0.1:${port}'] } }
routes: [{ cluster: origin }]
rules:
  - when: post-load
    do:
      - text-block-define: { name: banner, path: banner.txt }
  - when: ua-req
    do:
      # Unquoted: an extractor. Quoted: the text. !literal: the text too.
      - ua-req-field<X-Bare>: ua-req-field<Channel>
      - ua-req-field<X-Quoted>: "ua-req-field<Channel>"
      - ua-req-field<X-Literal>: !literal ua-req-field<Channel>
      - ua-req-field<X-Path>: ua-req-path
      - ua-req-field<X-Bool>: [ ua-req-query-value<DEBUG>, { as-bool: } ]
      - ua-req-field<X-Duration>: "{minutes<90>}"
      - ua-req-field<X-Banner>: text-block<banner>
      - ua-req-field<X-Random>: "{random<1>}"
      # A repeated field is a list: for-any looks at each one; copying keeps them apart.
      - with: ua-req-field<Accept-Language>
        continue:
        select:
          - for-any: { match: "fr" }
            do:
              - ua-req-field<X-French>: "yes"
      - ua-req-field<X-Copy>: ua-req-field<Accept-Language>
      - with: [ ua-req-query-value<n>, { as-integer: } ]
        continue:
        select:
          - in: [ 10, 20 ]
            do:
              - ua-req-field<X-In-Range>: "yes"
      # The no-return rule: a matched case ends the do list; the with against a bare extractor compares with its value.
      - with: ua-req-path
        select:
          - match: ua-req-field<Channel>
            do:
              - ua-req-field<X-Matched>: "channel"
          - prefix: "moved/"
            do:
              - redirect: "http://elsewhere.example/{*}"
      - ua-req-field<X-After>: "ran"
`,
    { baseDir: dir },
  );
});

afterAll(async () => {
  await junction.close();
  await new Promise<void>((resolve) => {
    backend.close(() => {
      resolve();
    });
  });
  rmSync(dir, { recursive: true, force: true });
});

/** A GET with `headers` sent as written: a name given twice is two field lines (fetch would join them). */
function get(
  path: string,
  headers: [string, string][] = [],
): Promise<{ status: number; location: string | null }> {
  const fields: Record<string, string[]> = {};
  for (const [name, value] of headers) (fields[name] ??= []).push(value);
  return new Promise((resolve, reject) => {
    const req = request(`${junction.url}${path}`, { headers: fields, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? null });
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
    req.end();
  });
}

describe("TxnBox's meaning, where Junction's once differed", () => {
  test('an unquoted extractor is an extractor; quoted or !literal text is text', async () => {
    await get('/x', [['Channel', 'news']]);
    expect(seen.headers['x-bare']).toBe('news');
    expect(seen.headers['x-quoted']).toBe('ua-req-field<Channel>');
    expect(seen.headers['x-literal']).toBe('ua-req-field<Channel>');
  });

  test('paths have no leading slash; a matched case ends the do list; with compares with a bare extractor', async () => {
    await get('/news', [['Channel', 'news']]);
    expect(seen.headers['x-path']).toBe('news');
    expect(seen.headers['x-matched']).toBe('channel');
    expect(seen.headers['x-after']).toBeUndefined();
    await get('/other', [['Channel', 'news']]);
    expect(seen.headers['x-matched']).toBeUndefined();
    expect(seen.headers['x-after']).toBe('ran');
  });

  test('repeated fields: for-any sees each, and a copy keeps them separate', async () => {
    await get('/x', [
      ['Accept-Language', 'de'],
      ['Accept-Language', 'fr'],
    ]);
    expect(seen.headers['x-french']).toBe('yes');
    const copies = [];
    for (let i = 0; i < seen.raw.length; i += 2) {
      if (seen.raw[i]!.toLowerCase() === 'x-copy') copies.push(seen.raw[i + 1]);
    }
    expect(copies).toEqual(['de', 'fr']);
  });

  test('as-bool, in: as an inclusive range, query-value names without case', async () => {
    await get('/x?debug=ON&n=20');
    expect(seen.headers['x-bool']).toBe('true');
    expect(seen.headers['x-in-range']).toBe('yes');
    await get('/x?debug=maybe&n=21');
    expect(seen.headers['x-bool']).toBe('false');
    expect(seen.headers['x-in-range']).toBeUndefined();
  });

  test("redirect's default status is 301", async () => {
    expect(await get('/moved/page')).toEqual({ status: 301, location: 'http://elsewhere.example/page' });
  });

  test('random<N> is 0 to N, durations are written as TxnBox writes them, a file’s final newline is not part of a field', async () => {
    const values = new Set<string>();
    for (let i = 0; i < 40 && values.size < 2; i++) {
      await get('/x');
      values.add(String(seen.headers['x-random']));
    }
    expect([...values].sort()).toEqual(['0', '1']);
    expect(seen.headers['x-duration']).toBe('1 h 30 m');
    expect(seen.headers['x-banner']).toBe('Hello from a file');
  });
});
