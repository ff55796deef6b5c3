/**
 * The rule language, table-driven, through the proxy. Each row is a rule set, one request (and what
 * the backend answers), and what must come out: the request the backend received and the response
 * the client got. Every extractor, comparison, modifier and directive of the registries has a row
 * (the last test fails when one has none). Each row runs on a Junction of its own.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { COMPARISONS } from '../../src/rules/comparisons/index.ts';
import { DIRECTIVES } from '../../src/rules/directives/index.ts';
import { EXTRACTORS, MODIFIERS } from '../../src/rules/features/index.ts';
import { DEFAULT_HASH_SEED, hashString } from '../../src/strategies/shared/hash.ts';
import { capturedLogs, type LogLine } from '../support/logs.ts';
import { startJunctionFromYaml } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

// Read once, when the rules load: `{env<…>}` sees it.
process.env['JUNCTION_RULES_TABLE'] = 'from-the-environment';

// ---------------------------------------------------------------------------------------------------------
// The backends: node:http servers that answer with the row's status and fields, and echo the request.

interface Seen {
  readonly backend: string;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

interface UpstreamReply {
  readonly status?: number;
  readonly reason?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering. */
  readonly delayMs?: number;
}

class TableBackend {
  readonly name: string;
  readonly #server: Server;
  reply: UpstreamReply = {};
  readonly seen: Seen[] = [];

  constructor(name: string) {
    this.name = name;
    this.#server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const seen: Seen = {
          backend: name,
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
        };
        this.seen.push(seen);
        const reply = this.reply;
        const answer = (): void => {
          this.#answer(res, reply, seen);
        };
        if (reply.delayMs === undefined) answer();
        else setTimeout(answer, reply.delayMs).unref();
      });
    });
  }

  #answer(res: ServerResponse, reply: UpstreamReply, seen: Seen): void {
    if (res.destroyed) return;
    const body = Buffer.from(JSON.stringify(seen));
    res.writeHead(reply.status ?? 200, reply.reason ?? 'OK', {
      'X-Backend': this.name,
      ...reply.headers,
      'Content-Type': 'application/json',
      'Content-Length': body.length,
    });
    res.end(body);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  get address(): string {
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => {
        resolve();
      });
      this.#server.closeAllConnections();
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// The rows.

/** What the test knows when it checks a row: to compute values that are known only then. */
interface RowContext {
  readonly junctionPort: number;
  readonly clientPort: number;
  readonly backends: Readonly<Record<'a' | 'b', string>>;
}

/** Expected field value: exact text, absent (null), a pattern, or computed from the run. */
type Check = string | null | RegExp | ((ctx: RowContext) => string);

interface Row {
  readonly name: string;
  /** The row shows a known bug: it is expected to fail until the bug is fixed (then remove this). */
  readonly knownBug?: string;
  /** `extractor:name`, `comparison:name`, `modifier:name`, `directive:name`: what the row exercises. */
  readonly covers: readonly string[];
  /** Top-level rules: a YAML list, written from column 0. */
  readonly rules?: string;
  /** The `main` route's rules (remap mode): a YAML list, written from column 0. */
  readonly routeRules?: string;
  /** More top-level YAML (strategies). */
  readonly extra?: string;
  /** The `main` route caches (`cache: true`): the cache's hooks, directives and extractors. */
  readonly cache?: boolean;
  /** Files to write in the config's directory. */
  readonly files?: Readonly<Record<string, string>>;
  readonly request?: {
    readonly method?: string;
    readonly path?: string;
    readonly headers?: Readonly<Record<string, string>>;
  };
  /** What the backends answer. */
  readonly upstream?: UpstreamReply;
  readonly expect: {
    /** The request the backend got; 'none' when no backend may see one. */
    readonly upstream?:
      | 'none'
      | {
          readonly backend?: 'a' | 'b';
          readonly method?: string;
          readonly url?: string;
          readonly headers?: Readonly<Record<string, Check>>;
        };
    readonly response?: {
      readonly status?: number;
      readonly reason?: string;
      readonly headers?: Readonly<Record<string, Check>>;
      readonly body?: string | RegExp;
    };
    /** Lines the rules logged. */
    readonly logs?: readonly { readonly level: number; readonly msg: string; readonly tag?: string }[];
  };
}

const hash = (text: string, buckets: number): string => String(hashString(text, DEFAULT_HASH_SEED) % buckets);

/** Writes `value` of the expression into the response field X-Out at proxy-rsp. */
function out(expression: string, hook = 'proxy-rsp'): string {
  return hook === 'proxy-rsp'
    ? `- when: proxy-rsp\n  do:\n    - proxy-rsp-field<X-Out>: ${expression}\n`
    : `- when: ${hook}\n  do:\n    - var<out>: ${expression}\n- when: proxy-rsp\n  do:\n    - proxy-rsp-field<X-Out>: '{var<out>}'\n`;
}

/** A row for one extractor: its value in X-Out. */
function extractorRow(
  name: string,
  expression: string,
  expected: Check,
  more: Partial<Pick<Row, 'request' | 'upstream' | 'files' | 'cache'>> & {
    hook?: string;
    before?: string;
  } = {},
): Row {
  return {
    name: `extractor ${expression}`,
    covers: [`extractor:${name}`],
    rules: (more.before ?? '') + out(expression.startsWith('{') ? `'${expression}'` : expression, more.hook),
    ...(more.request === undefined ? {} : { request: more.request }),
    ...(more.upstream === undefined ? {} : { upstream: more.upstream }),
    ...(more.files === undefined ? {} : { files: more.files }),
    ...(more.cache === undefined ? {} : { cache: more.cache }),
    expect: { response: { status: more.upstream?.status ?? 200, headers: { 'x-out': expected } } },
  };
}

/** A row for one modifier: the expression's value in X-Out. */
function modifierRow(name: string, expression: string, expected: Check, request: Row['request'] = {}): Row {
  return {
    name: `modifier ${name}: ${expression}`,
    covers: [`modifier:${name}`],
    rules: out(expression),
    request,
    expect: { response: { headers: { 'x-out': expected } } },
  };
}

/**
 * A row for one comparison: it must match the first feature (X-Yes: matched) and not the second
 * (X-No: missed), each in a select with a default case.
 */
function comparisonRow(
  name: string,
  comparison: string,
  matching: string,
  missing: string,
  request: Row['request'] = {},
  extraCovers: readonly string[] = [],
): Row {
  const select = (feature: string, field: string) =>
    `    - with: ${feature}
      continue:
      select:
        - { ${comparison}, do: [{ proxy-rsp-field<${field}>: 'matched' }] }
        - do: [{ proxy-rsp-field<${field}>: 'missed' }]
`;
  return {
    name: `comparison ${comparison}`,
    covers: [`comparison:${name}`, ...extraCovers],
    rules: `- when: proxy-rsp\n  do:\n${select(matching, 'X-Yes')}${select(missing, 'X-No')}`,
    request,
    expect: { response: { headers: { 'x-yes': 'matched', 'x-no': 'missed' } } },
  };
}

const SHOP = { path: '/a/b?x=1&y=2', headers: { Host: 'Shop.Test:8080', Accept: 'text/html' } };

const EXTRACTOR_ROWS: Row[] = [
  extractorRow('ua-req-method', '{ua-req-method}', 'DELETE', { request: { method: 'DELETE' } }),
  extractorRow('ua-req-scheme', '{ua-req-scheme}', 'http'),
  extractorRow('ua-req-host', '{ua-req-host}', 'shop.test', { request: SHOP }),
  extractorRow('ua-req-port', '{ua-req-port}', '8080', { request: SHOP }),
  extractorRow('ua-req-loc', '{ua-req-loc}', 'shop.test:8080', { request: SHOP }),
  extractorRow('ua-req-path', '{ua-req-path}', 'a/b', { request: SHOP }),
  extractorRow('ua-req-query', '{ua-req-query}', 'x=1&y=2', { request: SHOP }),
  extractorRow('ua-req-url', '{ua-req-url}', 'http://shop.test:8080/a/b?x=1&y=2', { request: SHOP }),
  extractorRow('ua-req-query-value', '{ua-req-query-value<q>}', 'red shoes', {
    request: { path: '/search?page=2&q=red+shoes' },
  }),
  extractorRow('ua-req-field', '{ua-req-field<Accept>}', 'text/html', { request: SHOP }),
  extractorRow('ua-req-cookie', '{ua-req-cookie<sid>}', 'abc123', {
    request: { headers: { Cookie: 'theme=dark; sid=abc123' } },
  }),
  // The proxy request: the same request, with the rewrites made at ua-req.
  ...(
    [
      ['proxy-req-method', 'GET'],
      ['proxy-req-host', 'backend.internal'],
      ['proxy-req-port', '8081'],
      ['proxy-req-loc', 'backend.internal:8081'],
      ['proxy-req-path', 'v2/a/b'],
      ['proxy-req-query', 'x=1&y=2'],
      ['proxy-req-url', 'http://backend.internal:8081/v2/a/b?x=1&y=2'],
    ] as const
  ).map(([name, expected]) =>
    extractorRow(name, `{${name}}`, expected, {
      request: SHOP,
      before: `- when: ua-req\n  do:\n    - ua-req-host: 'backend.internal:8081'\n    - ua-req-path: '/v2/{ua-req-path}'\n`,
    }),
  ),
  extractorRow('proxy-req-field', '{proxy-req-field<X-Added>}', 'at ua-req', {
    before: `- when: ua-req\n  do:\n    - ua-req-field<X-Added>: at ua-req\n`,
    hook: 'proxy-req',
  }),
  extractorRow('upstream-rsp-status', '{upstream-rsp-status}', '201', {
    upstream: { status: 201, reason: 'Made It' },
    hook: 'upstream-rsp',
  }),
  extractorRow('upstream-rsp-reason', '{upstream-rsp-reason}', 'Made It', {
    upstream: { status: 201, reason: 'Made It' },
  }),
  extractorRow('upstream-rsp-field', '{upstream-rsp-field<X-From-Backend>}', 'v1', {
    upstream: { headers: { 'X-From-Backend': 'v1' } },
    hook: 'upstream-rsp',
  }),
  extractorRow('proxy-rsp-status', '{proxy-rsp-status}', '202', { upstream: { status: 202 } }),
  extractorRow('proxy-rsp-reason', '{proxy-rsp-reason}', 'Accepted Later', {
    upstream: { status: 202, reason: 'Accepted Later' },
  }),
  extractorRow('proxy-rsp-field', '{proxy-rsp-field<X-Backend>}', 'a'),
  extractorRow('inbound-addr-remote', '{inbound-addr-remote}', '127.0.0.1'),
  extractorRow('inbound-port-remote', '{inbound-port-remote}', (ctx) => String(ctx.clientPort)),
  extractorRow('inbound-addr-local', '{inbound-addr-local}', '127.0.0.1'),
  extractorRow('inbound-port-local', '{inbound-port-local}', (ctx) => String(ctx.junctionPort)),
  extractorRow('inbound-sni', "['{inbound-sni}', { else: 'no-tls' }]", 'no-tls'),
  extractorRow('inbound-protocol', '{inbound-protocol}', 'http/1.1'),
  extractorRow('inbound-txn-count', '{inbound-txn-count}', '1'),
  extractorRow('var', '{var<tier>}', 'gold', { before: `- when: ua-req\n  do:\n    - var<tier>: 'gold'\n` }),
  extractorRow('route', '{route}', 'main'),
  extractorRow('cluster', '{cluster}', 'a'),
  extractorRow('upstream', '{upstream}', (ctx) => ctx.backends.a),
  extractorRow('txn-elapsed', '{txn-elapsed}', /^(\d+ ms)?$/),
  extractorRow('random', '{random<7-7>}', '7'),
  extractorRow('now', '{now}', /^\d{10}$/),
  extractorRow('env', '{env<JUNCTION_RULES_TABLE>}', 'from-the-environment'),
  extractorRow('duration', '{duration<1h 30m>}', '1 h 30 m'),
  extractorRow('ip-space', '{ip-space<nets,kind>}', 'loopback', {
    files: { 'nets.csv': '10.0.0.0/8,private\n127.0.0.0/8,loopback\n' },
    before: `- when: post-load\n  do:\n    - ip-space-define: { name: nets, path: nets.csv, columns: [kind] }\n`,
  }),
  extractorRow('text-block', '{text-block<motd>}', 'hello from a text block', {
    before: `- when: post-load\n  do:\n    - text-block-define: { name: motd, text: hello from a text block }\n`,
  }),
  extractorRow('stat', '{stat<seen>}', '41', {
    before: `- when: post-load\n  do:\n    - stat-define: { name: seen, value: 41 }\n`,
  }),
  // The cache's (one request: a miss, so the stored head's extractors are null).
  extractorRow('cache-key', '{cache-key}', /^http:\/\/127\.0\.0\.1:\d+\/k\?q=1$/, {
    cache: true,
    request: { path: '/k?q=1' },
  }),
  extractorRow('cache-lookup-status', '{cache-lookup-status}', 'miss', { cache: true, hook: 'cache-lookup' }),
  extractorRow('cache-status', '{cache-status}', 'miss', { cache: true }),
  extractorRow('cache-rsp-status', "['{cache-rsp-status}', { else: 'none' }]", 'none', { cache: true }),
  extractorRow('cache-rsp-field', "['{cache-rsp-field<ETag>}', { else: 'none' }]", 'none', { cache: true }),
];

const MODIFIER_ROWS: Row[] = [
  modifierRow('else', `['{ua-req-field<X-User>}', { else: 'anonymous' }]`, 'anonymous'),
  modifierRow('hash', `['{ua-req-cookie<uid>}', { hash: 64 }]`, hash('u-17', 64), {
    headers: { Cookie: 'uid=u-17' },
  }),
  modifierRow('as-integer', `['{ua-req-query-value<page>}', { as-integer: -1 }]`, '-1', {
    path: '/?page=two',
  }),
  modifierRow('as-ip-addr', `['{ua-req-field<X-Real-IP>}', { as-ip-addr: }]`, '2001:db8::1', {
    headers: { 'X-Real-IP': '[2001:DB8:0:0:0:0:0:1]' },
  }),
  modifierRow('as-duration', `['{ua-req-field<X-Timeout>}', { as-duration: }]`, '1 m 30 s', {
    headers: { 'X-Timeout': '1m 30s' },
  }),
  modifierRow('as-bool', `['{ua-req-query-value<debug>}', { as-bool: }]`, 'true', {
    path: '/?debug=YES',
  }),
  modifierRow('join', `[['{ua-req-method}', '{ua-req-path}'], { join: ' ' }]`, 'GET x', { path: '/x' }),
  modifierRow('concat', `['{ua-req-path}', { concat: ['?', '{ua-req-query}'] }]`, 'p?q=1', {
    path: '/p?q=1',
  }),
  modifierRow('lower', `['{ua-req-field<X-Mode>}', { lower: }]`, 'fast', { headers: { 'X-Mode': 'FaSt' } }),
  modifierRow('upper', `['{ua-req-method}', { upper: }]`, 'GET'),
  modifierRow('trim', `['{ua-req-query-value<t>}', { trim: }]`, 'x y', { path: '/?t=%20%20x%20y%20' }),
  modifierRow('url-encode', `['{ua-req-query-value<next>}', { url-encode: }]`, 'a%20b%2Fc', {
    path: '/?next=a+b/c',
  }),
  modifierRow('url-decode', `['{ua-req-field<X-Next>}', { url-decode: }]`, '/a b', {
    headers: { 'X-Next': '%2Fa%20b' },
  }),
  modifierRow('length', `['{ua-req-path}', { length: }]`, '5', { path: '/abcde' }),
];

const COMPARISON_ROWS: Row[] = [
  comparisonRow('match', "match: 'exact'", `'{ua-req-path}'`, `'{ua-req-field<X-Other>}'`, {
    path: '/exact',
    headers: { 'X-Other': '/exactly' },
  }),
  comparisonRow(
    'match',
    "match<nc>: ['GET', 'HEAD']",
    `'{ua-req-method}'`,
    `'{ua-req-field<X-Other>}'`,
    { method: 'head', headers: { 'X-Other': 'POST' } },
    [],
  ),
  comparisonRow('prefix', "prefix: ['api/', 'v2/']", `'{ua-req-path}'`, `'{ua-req-field<X-Other>}'`, {
    path: '/v2/users',
    headers: { 'X-Other': '/web/v2/' },
  }),
  comparisonRow('suffix', 'suffix<nc>: [.jpg, .png]', `'{ua-req-path}'`, `'{ua-req-field<X-Other>}'`, {
    path: '/logo.PNG',
    headers: { 'X-Other': '/logo.png.txt' },
  }),
  comparisonRow('contains', "contains: 'bot'", `'{ua-req-field<User-Agent>}'`, `'{ua-req-field<X-Other>}'`, {
    headers: { 'User-Agent': 'Googlebot/2.1', 'X-Other': 'Mozilla/5.0' },
  }),
  comparisonRow('tld', "tld<nc>: 'example.com'", `'{ua-req-host}'`, `'{ua-req-field<X-Other>}'`, {
    headers: { Host: 'A.B.Example.COM', 'X-Other': 'badexample.com' },
  }),
  comparisonRow('path', "path: 'api'", `'{ua-req-path}'`, `'{ua-req-field<X-Other>}'`, {
    path: '/api/',
    headers: { 'X-Other': '/api/users' },
  }),
  comparisonRow('rxp', `rxp: '^users/[0-9]+$'`, `'{ua-req-path}'`, `'{ua-req-field<X-Other>}'`, {
    path: '/users/42',
    headers: { 'X-Other': '/users/me' },
  }),
  comparisonRow('is-null', 'is-null: null', `'{ua-req-field<X-Absent>}'`, `'{ua-req-field<X-Empty>}'`, {
    headers: { 'X-Empty': '' },
  }),
  comparisonRow('is-empty', 'is-empty: null', `'{ua-req-field<X-Empty>}'`, `'{ua-req-field<X-Other>}'`, {
    headers: { 'X-Empty': '', 'X-Other': 'x' },
  }),
  comparisonRow(
    'is-true',
    'is-true: null',
    `['{ua-req-field<X-Debug>}', { as-bool: }]`,
    `'{ua-req-field<X-Debug>}'`,
    { headers: { 'X-Debug': 'true' } },
    ['modifier:as-bool'],
  ),
  comparisonRow(
    'is-false',
    'is-false: null',
    `['{ua-req-field<X-Debug>}', { as-bool: }]`,
    `['{ua-req-field<X-Other>}', { as-bool: }]`,
    { headers: { 'X-Debug': 'off', 'X-Other': 'on' } },
  ),
  comparisonRow('eq', 'eq: [301, 302]', `'{ua-req-field<X-N>}'`, `'{ua-req-field<X-Other>}'`, {
    headers: { 'X-N': '302', 'X-Other': '303' },
  }),
  comparisonRow('ne', 'ne: 200', `'{ua-req-field<X-N>}'`, `'{ua-req-field<X-Other>}'`, {
    headers: { 'X-N': '404', 'X-Other': 'abc' },
  }),
  comparisonRow('lt', 'lt: 400', `'{ua-req-field<X-N>}'`, `'{ua-req-field<X-Other>}'`, {
    headers: { 'X-N': '399', 'X-Other': '400' },
  }),
  comparisonRow('le', 'le: 400', `'{ua-req-field<X-N>}'`, `'{ua-req-field<X-Other>}'`, {
    headers: { 'X-N': '400', 'X-Other': '401' },
  }),
  comparisonRow('gt', 'gt: 2s', `['{ua-req-field<X-N>}', { as-duration: }]`, `'{ua-req-field<X-Other>}'`, {
    headers: { 'X-N': '2001ms', 'X-Other': '2000' },
  }),
  comparisonRow('ge', `ge: '{ua-req-field<X-Limit>}'`, `'{ua-req-field<X-N>}'`, `'{ua-req-field<X-Other>}'`, {
    headers: { 'X-Limit': '10', 'X-N': '10', 'X-Other': '9' },
  }),
  comparisonRow(
    'in',
    'in: [10.0.0.0/8, 127.0.0.0/8]',
    `'{inbound-addr-remote}'`,
    `'{ua-req-field<X-Other>}'`,
    { headers: { 'X-Other': '192.168.1.1' } },
  ),
  comparisonRow(
    'any-of',
    "any-of: [{ prefix: 'static/' }, { suffix: .css }]",
    `'{ua-req-path}'`,
    `'{ua-req-field<X-Other>}'`,
    { path: '/site.css', headers: { 'X-Other': '/site.js' } },
  ),
  comparisonRow(
    'all-of',
    "all-of: [{ prefix: 'api/' }, { none-of: [{ prefix: 'api/internal/' }] }]",
    `'{ua-req-path}'`,
    `'{ua-req-field<X-Other>}'`,
    { path: '/api/users', headers: { 'X-Other': '/api/internal/x' } },
  ),
  comparisonRow(
    'none-of',
    "none-of: [{ match: 'GET' }, { match: 'HEAD' }]",
    `'{ua-req-method}'`,
    `'{ua-req-field<X-Other>}'`,
    { method: 'POST', headers: { 'X-Other': 'HEAD' } },
  ),
  comparisonRow(
    'for-any',
    "for-any: { prefix<nc>: 'gzip' }",
    `[['{ua-req-field<X-A>}', '{ua-req-field<X-B>}']]`,
    `[['{ua-req-field<X-B>}', '{ua-req-field<X-B>}']]`,
    { headers: { 'X-A': 'GZIP', 'X-B': 'br' } },
  ),
  comparisonRow(
    'for-all',
    'for-all: { in: 10.0.0.0/8 }',
    `[['{ua-req-field<X-A>}', '{ua-req-field<X-B>}']]`,
    `[['{ua-req-field<X-A>}', '{ua-req-field<X-C>}']]`,
    { headers: { 'X-A': '10.1.1.1', 'X-B': '10.2.2.2', 'X-C': '11.0.0.1' } },
  ),
  comparisonRow(
    'for-none',
    "for-none: { match<nc>: 'no-cache' }",
    `[['{ua-req-field<X-A>}', '{ua-req-field<X-B>}']]`,
    `[['{ua-req-field<X-A>}', '{ua-req-field<X-C>}']]`,
    { headers: { 'X-A': 'max-age=0', 'X-B': 'private', 'X-C': 'No-Cache' } },
  ),
  comparisonRow(
    'as-tuple',
    "as-tuple: [{ match: 'GET' }, { prefix: 'api/' }]",
    `[['{ua-req-method}', '{ua-req-path}']]`,
    `[['{ua-req-method}', '{ua-req-field<X-Other>}']]`,
    { path: '/api/v1', headers: { 'X-Other': '/web/' } },
  ),
  {
    name: 'comparison rxp sets the capture groups',
    covers: ['comparison:rxp'],
    rules: `- when: ua-req
  do:
    - with: '{ua-req-path}'
      select:
        - rxp: '^users/([0-9]+)(/edit)?$'
          do:
            - ua-req-field<X-User>: '{1}'
            - ua-req-field<X-Edit>: '[{2}]'
            - ua-req-field<X-Whole>: '{0}'
`,
    request: { path: '/users/42' },
    expect: { upstream: { headers: { 'x-user': '42', 'x-edit': '[]', 'x-whole': 'users/42' } } },
  },
  {
    name: 'comparison in<space>',
    covers: ['comparison:in', 'directive:ip-space-define'],
    files: { 'office.csv': '192.0.2.0/24\n127.0.0.1\n' },
    rules: `- when: post-load
  do:
    - ip-space-define: { name: office, path: office.csv }
- when: ua-req
  do:
    - with: '{inbound-addr-remote}'
      select:
        - in<office>:
          do: [{ ua-req-field<X-Office>: 'yes' }]
        - do: [{ ua-req-field<X-Office>: 'no' }]
`,
    expect: { upstream: { headers: { 'x-office': 'yes' } } },
  },
];

/** `when: <hook>` + one directive, as YAML. */
const at = (hook: string, ...directives: string[]) =>
  `- when: ${hook}\n  do:\n${directives.map((d) => `    - ${d}\n`).join('')}`;

const DIRECTIVE_ROWS: Row[] = [
  {
    name: 'cache-key sets the key the lookup uses',
    covers: ['directive:cache-key'],
    cache: true,
    rules: at('ua-req', "cache-key: 'http://shared/{ua-req-path}'") + out("'{cache-key}'"),
    request: { path: '/p?x=1' },
    expect: { response: { headers: { 'x-out': 'http://shared/p' } } },
  },
  {
    name: 'cache-lookup-status leaves a miss a miss (nothing stored to revalidate)',
    covers: ['directive:cache-lookup-status'],
    cache: true,
    rules: at('cache-lookup', "cache-lookup-status: 'miss'") + out("'{cache-lookup-status} {cache-status}'"),
    expect: { response: { headers: { 'x-out': 'miss miss', 'cache-status': /^Junction; fwd=miss/ } } },
  },
  {
    name: "txn-debug: the transaction's debug lines are written",
    covers: ['directive:txn-debug'],
    rules: at('ua-req', 'txn-debug: true', "debug: 'debugging {ua-req-path}'"),
    request: { path: '/x' },
    expect: { logs: [{ level: 20, msg: 'debugging x' }] },
  },
  {
    name: "upstream-reason sets the reason of the backend's response",
    covers: ['directive:upstream-reason'],
    rules: at('upstream-rsp', "upstream-reason: 'Fine today'"),
    expect: { response: { status: 200, reason: 'Fine today' } },
  },
  {
    name: "ua-req-scheme and remap-redirect: a 302 to the https URL the route's rules made",
    covers: ['directive:ua-req-scheme', 'directive:remap-redirect'],
    routeRules: "- ua-req-scheme: 'https'\n- remap-redirect:\n",
    request: { path: '/a?b=1', headers: { Host: 'shop.test' } },
    expect: { upstream: 'none', response: { status: 302, headers: { location: 'https://shop.test/a?b=1' } } },
  },
  {
    name: 'ua-req-field sets, replaces and removes request fields',
    covers: ['directive:ua-req-field'],
    rules: at(
      'ua-req',
      `ua-req-field<X-New>: '{ua-req-method} {ua-req-path}'`,
      "ua-req-field<X-Old>: 'replaced'",
      'ua-req-field<X-Gone>: null',
      `ua-req-field<X-Two>: ['one', 'two']`,
    ),
    request: { path: '/p', headers: { 'X-Old': 'original', 'X-Gone': 'bye' } },
    expect: {
      upstream: { headers: { 'x-new': 'GET p', 'x-old': 'replaced', 'x-gone': null, 'x-two': 'one, two' } },
    },
  },
  {
    name: 'ua-req-field-append adds after the values a field has',
    covers: ['directive:ua-req-field-append'],
    rules: at(
      'ua-req',
      "ua-req-field-append<X-Tag>: 'two'",
      "ua-req-field-append<X-Fresh>: ['a', 'b']",
      'ua-req-field-append<X-Nothing>: null',
    ),
    request: { headers: { 'X-Tag': 'one' } },
    expect: { upstream: { headers: { 'x-tag': 'one, two', 'x-fresh': 'a, b', 'x-nothing': null } } },
  },
  {
    name: 'proxy-req-field at proxy-req',
    covers: ['directive:proxy-req-field'],
    rules: at('proxy-req', `proxy-req-field<X-Upstream>: '{upstream}'`, 'proxy-req-field<Cookie>: null'),
    request: { headers: { Cookie: 'secret=1' } },
    expect: { upstream: { headers: { 'x-upstream': (ctx) => ctx.backends.a, cookie: null } } },
  },
  {
    name: 'proxy-req-field-append at post-remap',
    covers: ['directive:proxy-req-field-append'],
    rules: at('post-remap', `proxy-req-field-append<Via>: '1.1 junction-{route}'`),
    request: { headers: { Via: '1.0 edge' } },
    expect: { upstream: { headers: { via: '1.0 edge, 1.1 junction-main' } } },
  },
  {
    name: 'upstream-rsp-field changes the backend response',
    covers: ['directive:upstream-rsp-field'],
    rules: at(
      'upstream-rsp',
      'upstream-rsp-field<X-Secret>: null',
      `upstream-rsp-field<X-Seen-Status>: '{upstream-rsp-status}'`,
    ),
    upstream: { headers: { 'X-Secret': 's3cr3t' } },
    expect: { response: { headers: { 'x-secret': null, 'x-seen-status': '200' } } },
  },
  {
    name: 'upstream-rsp-field-append',
    covers: ['directive:upstream-rsp-field-append'],
    rules: at('upstream-rsp', "upstream-rsp-field-append<Vary>: 'Cookie'"),
    upstream: { headers: { Vary: 'Accept-Encoding' } },
    expect: { response: { headers: { vary: 'Accept-Encoding, Cookie' } } },
  },
  {
    name: 'proxy-rsp-field',
    covers: ['directive:proxy-rsp-field'],
    rules: at('proxy-rsp', "proxy-rsp-field<Best-Band>: 'Delain'", 'proxy-rsp-field<X-Backend>: null'),
    expect: { response: { headers: { 'best-band': 'Delain', 'x-backend': null } } },
  },
  {
    name: 'proxy-rsp-field-append adds a Set-Cookie',
    covers: ['directive:proxy-rsp-field-append'],
    rules: at('proxy-rsp', 'proxy-rsp-field-append<Set-Cookie>: seen=1; Path=/'),
    upstream: { headers: { 'Set-Cookie': 'a=1' } },
    expect: { response: { headers: { 'set-cookie': 'a=1|seen=1; Path=/' } } },
  },
  {
    name: 'ua-req-url with an absolute URL sets host, port, path and query',
    covers: ['directive:ua-req-url'],
    rules: at('ua-req', `ua-req-url: 'http://stage.video.test:8443/v2/search?q=1#frag'`),
    request: { path: '/old?x=9' },
    expect: { upstream: { url: '/v2/search?q=1', headers: { host: 'stage.video.test:8443' } } },
  },
  {
    name: 'ua-req-url with an https URL towards a plain-HTTP cluster: 502, not sent in plain HTTP',
    covers: ['directive:ua-req-url'],
    rules:
      at('ua-req', `ua-req-url: 'https://stage.video.test/v2/search'`) + out("'{ua-req-scheme}'", 'ua-req'),
    expect: { upstream: 'none', response: { status: 502 } },
  },
  {
    name: 'proxy-req-url with a path keeps the host',
    covers: ['directive:proxy-req-url'],
    rules: at('proxy-req', `proxy-req-url: '/internal/{ua-req-path}'`),
    request: { path: '/cart?id=1', headers: { Host: 'shop.test' } },
    expect: { upstream: { url: '/internal/cart', headers: { host: 'shop.test' } } },
  },
  {
    name: 'ua-req-host sets the host and the Host field',
    covers: ['directive:ua-req-host'],
    rules: at('ua-req', "ua-req-host: 'Beta.Service.Test'"),
    request: { headers: { Host: 'shop.test:8080' } },
    expect: { upstream: { headers: { host: 'beta.service.test:8080' } } },
  },
  {
    name: 'proxy-req-host with a port',
    covers: ['directive:proxy-req-host'],
    rules: at('proxy-req', `proxy-req-host: 'backend.internal:9000'`),
    expect: { upstream: { headers: { host: 'backend.internal:9000' } } },
  },
  {
    name: 'ua-req-port',
    covers: ['directive:ua-req-port'],
    rules: at('ua-req', 'ua-req-port: 8443'),
    request: { headers: { Host: 'shop.test' } },
    expect: { upstream: { headers: { host: 'shop.test:8443' } } },
  },
  {
    name: 'proxy-req-port',
    covers: ['directive:proxy-req-port'],
    rules: at('post-remap', `proxy-req-port: '{ua-req-field<X-Port>}'`),
    request: { headers: { Host: 'shop.test:1234', 'X-Port': '9000' } },
    expect: { upstream: { headers: { host: 'shop.test:9000' } } },
  },
  {
    name: 'ua-req-path adds the leading slash and encodes what a path cannot hold',
    covers: ['directive:ua-req-path'],
    rules: at('ua-req', `ua-req-path: 'v1/my file'`),
    request: { path: '/old?keep=1' },
    expect: { upstream: { url: '/v1/my%20file?keep=1' } },
  },
  {
    name: 'proxy-req-path',
    covers: ['directive:proxy-req-path'],
    rules: at('proxy-req', `proxy-req-path: '/api/{ua-req-path}'`),
    request: { path: '/users?x=1' },
    expect: { upstream: { url: '/api/users?x=1' } },
  },
  {
    name: 'ua-req-query',
    covers: ['directive:ua-req-query'],
    rules: at('ua-req', `ua-req-query: '?lang=en&debug=0'`),
    request: { path: '/p?old=1' },
    expect: { upstream: { url: '/p?lang=en&debug=0' } },
  },
  {
    name: 'proxy-req-query null removes the query',
    covers: ['directive:proxy-req-query'],
    rules: at('proxy-req', 'proxy-req-query: null'),
    request: { path: '/p?secret=1' },
    expect: { upstream: { url: '/p' } },
  },
  {
    name: 'ua-req-query-value removes a parameter, and sets one',
    covers: ['directive:ua-req-query-value'],
    rules: at('ua-req', 'ua-req-query-value<utm_source>: null', 'ua-req-query-value<lang>: fr ca'),
    request: { path: '/p?a=1&utm_source=mail&b=2&utm_source=x' },
    expect: { upstream: { url: '/p?a=1&b=2&lang=fr%20ca' } },
  },
  {
    name: 'proxy-req-query-value replaces a value in place',
    covers: ['directive:proxy-req-query-value'],
    rules: at('post-remap', `proxy-req-query-value<region>: '{cluster}'`),
    request: { path: '/p?region=none&z=1' },
    expect: { upstream: { url: '/p?region=a&z=1' } },
  },
  {
    name: 'upstream-rsp-status',
    covers: ['directive:upstream-rsp-status'],
    rules: at('upstream-rsp', 'upstream-rsp-status: 503'),
    expect: { response: { status: 503, reason: 'Service Unavailable' } },
  },
  {
    name: 'proxy-rsp-status with a reason',
    covers: ['directive:proxy-rsp-status'],
    rules: at('proxy-rsp', `proxy-rsp-status: [404, 'Desk too messy']`),
    expect: { response: { status: 404, reason: 'Desk too messy' } },
  },
  {
    name: 'proxy-rsp-reason keeps the status',
    covers: ['directive:proxy-rsp-reason'],
    rules: at('proxy-rsp', 'proxy-rsp-reason: Short and stout'),
    upstream: { status: 418, reason: "I'm a teapot" },
    expect: { response: { status: 418, reason: 'Short and stout' } },
  },
  {
    name: 'proxy-reply answers without a backend; proxy-rsp rules still apply',
    covers: ['directive:proxy-reply'],
    rules:
      at(
        'ua-req',
        `proxy-reply: { status: 503, reason: 'Down', body: 'down: {ua-req-path}', headers: { Retry-After: '120' } }`,
      ) + at('proxy-rsp', "proxy-rsp-field<X-Late>: 'still'"),
    request: { path: '/shop' },
    expect: {
      upstream: 'none',
      response: {
        status: 503,
        reason: 'Down',
        body: 'down: shop',
        headers: { 'retry-after': '120', 'content-type': 'text/plain; charset=utf-8', 'x-late': 'still' },
      },
    },
  },
  {
    name: 'redirect',
    covers: ['directive:redirect'],
    rules: at('ua-req', `redirect: [301, 'https://www.example.test/{ua-req-path}']`),
    request: { path: '/old' },
    expect: {
      upstream: 'none',
      response: { status: 301, headers: { location: 'https://www.example.test/old' } },
    },
  },
  {
    name: 'deny at upstream-rsp replaces the backend response',
    covers: ['directive:deny'],
    rules: at('upstream-rsp', "deny: { status: 451, body: 'gone' }"),
    expect: { upstream: { backend: 'a' }, response: { status: 451, body: 'gone' } },
  },
  {
    name: 'route sends the request to another route',
    covers: ['directive:route'],
    rules: at('pre-remap', "route: 'other'"),
    expect: { upstream: { backend: 'b' }, response: { headers: { 'x-backend': 'b' } } },
  },
  {
    name: "cluster in a route's rules",
    covers: ['directive:cluster'],
    routeRules: `- with: '{ua-req-field<X-Want>}'\n  select:\n    - match: 'b'\n      do: [{ cluster: 'b' }]\n`,
    request: { headers: { 'X-Want': 'b' } },
    expect: { upstream: { backend: 'b' } },
  },
  {
    name: 'upstream picks a backend of the cluster by id',
    covers: ['directive:upstream'],
    rules: at('ua-req', "cluster: 'both'", "upstream: 'beta'"),
    expect: { upstream: { backend: 'b' } },
  },
  {
    name: 'strategy picks the backend with another strategy',
    covers: ['directive:strategy'],
    // Weighted round robin starts with the heaviest backend; the cluster's round robin with alpha.
    extra: `strategies:\n  heavy: { kind: weighted-round-robin }\n`,
    rules: at('ua-req', "cluster: 'weighted'", "strategy: 'heavy'"),
    expect: { upstream: { backend: 'b' } },
  },
  {
    name: 'timeout<backend-response> turns a slow backend into a 504',
    covers: ['directive:timeout'],
    rules: at('ua-req', 'timeout<backend-response>: 100ms'),
    upstream: { delayMs: 1000 },
    expect: { response: { status: 504 } },
  },
  {
    name: 'timeout<connect> from the request: a value that is not a duration fails the transaction',
    covers: ['directive:timeout'],
    rules: at('ua-req', `timeout<connect>: '{ua-req-field<X-Connect>}'`),
    request: { headers: { 'X-Connect': 'soon' } },
    expect: { upstream: 'none', response: { status: 500 } },
  },
  {
    name: 'var keeps a value from one hook to another',
    covers: ['directive:var'],
    rules:
      at('ua-req', `var<path>: '{ua-req-path}'`, 'ua-req-path: /rewritten') +
      at('proxy-rsp', `proxy-rsp-field<X-Was>: '{var<path>}'`),
    request: { path: '/original' },
    expect: { upstream: { url: '/rewritten' }, response: { headers: { 'x-was': 'original' } } },
  },
  {
    name: 'debug, note, warning and error log with rule: true',
    covers: ['directive:debug', 'directive:note', 'directive:warning', 'directive:error'],
    rules: at(
      'proxy-rsp',
      `debug: 'path was {ua-req-path}'`,
      `note: ['canary', 'sent {ua-req-host} on']`,
      `warning: 'status {proxy-rsp-status}'`,
      `error: 'from {inbound-addr-remote}'`,
    ),
    request: { path: '/logged', headers: { Host: 'shop.test' } },
    expect: {
      logs: [
        { level: 20, msg: 'path was logged' },
        { level: 30, msg: 'sent shop.test on', tag: 'canary' },
        { level: 40, msg: 'status 200' },
        { level: 50, msg: 'from 127.0.0.1' },
      ],
    },
  },
  {
    name: 'proxy-rsp-bytes at txn-close counts what was written to the client',
    covers: ['extractor:proxy-rsp-bytes'],
    rules: `- when: txn-close
  do:
    - with: '{proxy-rsp-bytes}'
      select:
        - { in: 100-100000, do: [{ note: 'a head and a body were sent' }] }
        - do: [{ note: 'sent {proxy-rsp-bytes} bytes' }]
`,
    expect: { logs: [{ level: 30, msg: 'a head and a body were sent' }] },
  },
  {
    name: 'stat-define and stat-update count',
    covers: ['directive:stat-define', 'directive:stat-update'],
    rules:
      at('post-load', 'stat-define: { name: hits, value: 10 }', 'stat-define: misses') +
      at('ua-req', 'stat-update<hits>: 5', 'stat-update<misses>:') +
      at('proxy-rsp', `proxy-rsp-field<X-Hits>: '{stat<hits>}/{stat<misses>}'`),
    expect: { response: { headers: { 'x-hits': '15/1' } } },
  },
  {
    name: 'ip-space-define with named columns',
    covers: ['directive:ip-space-define'],
    files: { 'geo.csv': '0.0.0.0/0,ZZ,0\n127.0.0.0/8,LO,7\n127.0.0.1,ME,1\n' },
    rules:
      at(
        'post-load',
        "ip-space-define: { name: geo, path: geo.csv, columns: [{ name: cc }, { name: 'n', type: integer }] }",
      ) + at('ua-req', `ua-req-field<X-Geo>: '{ip-space<geo,cc>}-{ip-space<geo,2>}'`),
    expect: { upstream: { headers: { 'x-geo': 'ME-1' } } },
  },
  {
    name: 'text-block-define from a file',
    covers: ['directive:text-block-define'],
    files: { 'page.txt': 'the page\n' },
    rules:
      at('post-load', 'text-block-define: { name: page, path: page.txt, text: fallback }') +
      at('ua-req', `proxy-reply: { status: 200, body: '{text-block<page>}' }`),
    expect: { upstream: 'none', response: { status: 200, body: 'the page\n' } },
  },
];

/** Structure: selection, defaults, continue, nested when, route rules and hook names. */
const STRUCTURE_ROWS: Row[] = [
  {
    name: 'select: the first matching case runs and ends the rule; continue on the with goes on after it',
    covers: [],
    rules: `- when: ua-req
  do:
    - with: '{ua-req-path}'
      continue:
      select:
        - prefix: 'a'
          do: [{ ua-req-field-append<X-Cases>: 'prefix-a' }]
        - suffix: '/z'
          do: [{ ua-req-field-append<X-Cases>: 'suffix-z' }]
    - with: '{ua-req-path}'
      select:
        - suffix: '/z'
          do: [{ ua-req-field-append<X-Cases>: 'suffix-z' }]
        - contains: 'm'
          do: [{ ua-req-field-append<X-Cases>: 'contains-m' }]
        - do: [{ ua-req-field-append<X-Cases>: 'default' }]
    - ua-req-field-append<X-Cases>: 'never: the with before matched'
`,
    request: { path: '/a/m/z' },
    expect: { upstream: { headers: { 'x-cases': 'prefix-a, suffix-z' } } },
  },
  {
    name: 'without a strategy directive the weighted cluster starts with alpha (the strategy row means something)',
    covers: [],
    rules: at('ua-req', "cluster: 'weighted'"),
    expect: { upstream: { backend: 'a' } },
  },
  {
    name: 'Junction hook names work like the TxnBox ones',
    covers: [],
    rules:
      at('read-request', "ua-req-field<X-At>: 'read-request'") +
      at('send-response', "proxy-rsp-field<X-At>: 'send-response'"),
    expect: {
      upstream: { headers: { 'x-at': 'read-request' } },
      response: { headers: { 'x-at': 'send-response' } },
    },
  },
  {
    name: 'route rules run in remap mode; a nested when schedules a later hook',
    covers: [],
    routeRules: `- ua-req-field<X-Route>: '{route}'
- when: proxy-rsp
  do:
    - proxy-rsp-field<X-Later>: '{upstream-rsp-status}'
`,
    upstream: { status: 207 },
    expect: {
      upstream: { headers: { 'x-route': 'main' } },
      response: { status: 207, headers: { 'x-later': '207' } },
    },
  },
  {
    name: 'global rules run before the route rules at the same request; {...} is the selected feature',
    covers: [],
    rules: at('ua-req', "var<order>: 'global'"),
    routeRules: `- with: '{var<order>}'\n  select:\n    - match: 'global'\n      do: [{ ua-req-field<X-Order>: '{...}, then route' }]\n`,
    expect: { upstream: { headers: { 'x-order': 'global, then route' } } },
  },
];

// ---------------------------------------------------------------------------------------------------------
// TxnBox's vocabulary beyond Junction's first one: several names per row (each row is a Junction).

/** A row writing each expression into a response field X-1, X-2, … */
function manyRow(
  name: string,
  values: readonly (readonly [covers: string, expression: string, expected: Check])[],
  more: Partial<Pick<Row, 'request' | 'upstream' | 'files' | 'routeRules'>> & { before?: string } = {},
): Row {
  const fields = values.map(([, expression], i) => `    - proxy-rsp-field<X-${i + 1}>: '${expression}'\n`);
  return {
    name,
    covers: values.map(([covers]) => covers),
    rules: `${more.before ?? ''}- when: proxy-rsp\n  do:\n${fields.join('')}`,
    ...(more.request === undefined ? {} : { request: more.request }),
    ...(more.upstream === undefined ? {} : { upstream: more.upstream }),
    ...(more.files === undefined ? {} : { files: more.files }),
    ...(more.routeRules === undefined ? {} : { routeRules: more.routeRules }),
    expect: {
      response: {
        headers: Object.fromEntries(values.map(([, , expected], i) => [`x-${i + 1}`, expected])),
      },
    },
  };
}

const PRE_REMAP_PARTS: readonly (readonly [string, string])[] = [
  ['scheme', 'http'],
  ['host', 'shop.test'],
  ['port', '8080'],
  ['loc', 'shop.test:8080'],
  ['path', 'a/b'],
  ['query', 'x=1&y=2'],
  ['url', 'http://shop.test:8080/a/b?x=1&y=2'],
  ['fragment', ''],
];

const TXNBOX_ROWS: Row[] = [
  manyRow(
    'TxnBox remap target, the connections and their certificates (none without TLS)',
    [
      // The main route matches every host and path: no literal host, an empty prefix.
      ['extractor:remap-target-scheme', '{remap-target-scheme}', 'http'],
      ['extractor:remap-target-host', '[{remap-target-host}]', '[]'],
      ['extractor:remap-target-port', '{remap-target-port}', '80'],
      ['extractor:remap-target-loc', '[{remap-target-loc}]', '[]'],
      ['extractor:remap-target-path', '[{remap-target-path}]', '[]'],
      ['extractor:remap-target-url', '[{remap-target-url}]', '[]'],
      ['extractor:outbound-addr-local', '{outbound-addr-local}', '127.0.0.1'],
      ['extractor:outbound-cert-local-issuer-field', '[{outbound-cert-local-issuer-field<CN>}]', '[]'],
      ['extractor:outbound-cert-local-subject-field', '[{outbound-cert-local-subject-field<CN>}]', '[]'],
      ['extractor:outbound-cert-remote-issuer-field', '[{outbound-cert-remote-issuer-field<O>}]', '[]'],
      [
        'extractor:outbound-cert-remote-subject-field',
        '[{outbound-cert-remote-subject-field<commonName>}]',
        '[]',
      ],
      // The client connection is plain: no certificate, and OpenSSL's 69 (unsupported) as the verify result.
      ['extractor:inbound-cert-verify-result', '{inbound-cert-verify-result}', '69'],
      ['extractor:inbound-cert-local-issuer-field', '[{inbound-cert-local-issuer-field<CN>}]', '[]'],
      ['extractor:inbound-cert-local-subject-field', '[{inbound-cert-local-subject-field<CN>}]', '[]'],
      ['extractor:inbound-cert-remote-issuer-field', '[{inbound-cert-remote-issuer-field<O>}]', '[]'],
      ['extractor:inbound-cert-remote-subject-field', '[{inbound-cert-remote-subject-field<CN>}]', '[]'],
    ],
    { request: SHOP },
  ),
  {
    name: 'unmatched: what a prefix match left over',
    covers: ['extractor:unmatched'],
    rules: `- when: proxy-rsp
  do:
    - with: ua-req-path
      select:
        - prefix: "rest/"
          do:
            - proxy-rsp-field<X-Rest>: "{unmatched}"
`,
    request: { path: '/rest/of/it' },
    expect: { response: { headers: { 'x-rest': 'of/it' } } },
  },
  manyRow(
    'TxnBox request and response extractors',
    [
      ['extractor:ua-req-url-host', '{ua-req-url-host}', 'shop.test'],
      ['extractor:ua-req-url-port', '{ua-req-url-port}', '8080'],
      ['extractor:ua-req-url-loc', '{ua-req-url-loc}', 'shop.test:8080'],
      ['extractor:ua-req-fragment', '[{ua-req-fragment}]', '[]'],
      ['extractor:proxy-req-url-host', '{proxy-req-url-host}', 'shop.test'],
      ['extractor:proxy-req-url-port', '{proxy-req-url-port}', '8080'],
      ['extractor:proxy-req-url-loc', '{proxy-req-url-loc}', 'shop.test:8080'],
      ['extractor:proxy-req-fragment', '[{proxy-req-fragment}]', '[]'],
      ['extractor:proxy-req-query-value', '{proxy-req-query-value<Y>}', '2'],
      ['extractor:upstream-rsp-status-reason', '{upstream-rsp-status-reason}', 'Fine'],
      ['extractor:proxy-rsp-status-reason', '{proxy-rsp-status-reason}', 'Fine'],
      ['extractor:is-internal', '{is-internal}', 'false'],
      ['extractor:ts-uuid', '{ts-uuid}', /^[0-9a-f]{8}-[0-9a-f]{4}-/],
      ['extractor:has-inbound-protocol-prefix', '{has-inbound-protocol-prefix<ipv>}', 'true'],
      ['extractor:inbound-protocol-stack', '{inbound-protocol-stack}', 'ipv4, tcp, http/1.1'],
      ['extractor:outbound-addr-remote', '{outbound-addr-remote}', '127.0.0.1'],
      ['extractor:proxy-req-scheme', '{proxy-req-scheme}', 'http'],
      ['extractor:outbound-protocol-stack', '{outbound-protocol-stack}', 'ipv4, tcp, http/1.1'],
      ['extractor:outbound-protocol', '{outbound-protocol<tc>}', 'tcp'],
      ['extractor:has-outbound-protocol-prefix', '{has-outbound-protocol-prefix<tls>}', 'false'],
    ],
    { request: SHOP, upstream: { reason: 'Fine' } },
  ),
  manyRow('TxnBox duration extractors, written as TxnBox writes durations', [
    ['extractor:milliseconds', '{milliseconds<1500>}', '1 s 500 ms'],
    ['extractor:seconds', '{seconds<90>}', '1 m 30 s'],
    ['extractor:minutes', '{minutes<90>}', '1 h 30 m'],
    ['extractor:hours', '{hours<25>}', '1 d 1 h'],
    ['extractor:days', '{days<8>}', '1 w 1 d'],
    ['extractor:weeks', '{weeks<2>}', '2 w'],
  ]),
  manyRow(
    'pre-remap (and pristine) extractors: the URL before the route rules rewrote it',
    PRE_REMAP_PARTS.flatMap(([part, value]): (readonly [string, string, Check])[] => [
      [`extractor:pre-remap-${part}`, `[{pre-remap-${part}}]`, `[${value}]`],
      [`extractor:pristine-${part}`, `[{pristine-${part}}]`, `[${value}]`],
    ]).concat([
      ['extractor:pre-remap-query-value', '{pre-remap-query-value<X>}', '1'],
      ['extractor:pristine-query-value', '{pristine-query-value<y>}', '2'],
    ]),
    { request: SHOP, routeRules: "- ua-req-url: 'http://other.test/rewritten?z=3'\n" },
  ),
  {
    name: 'modifier ip-space with ip-col: a column of the row the address is in',
    covers: ['modifier:ip-space', 'extractor:ip-col'],
    files: { 'acl.csv': '127.0.0.0/8,allow\n0.0.0.0/0,deny\n' },
    rules: `- when: post-load
  do:
    - ip-space-define: { name: acl, path: acl.csv, columns: [{ name: access }] }
- when: proxy-rsp
  do:
    - proxy-rsp-field<X-Out>: [inbound-addr-remote, { ip-space<acl>: '{ip-col<access>}' }]
    - proxy-rsp-field<X-Zero>: [inbound-addr-remote, { ip-space<acl>: '{ip-col<0>}' }]
`,
    expect: { response: { headers: { 'x-out': 'allow', 'x-zero': '127.0.0.1' } } },
  },
  {
    name: 'modifier filter, as-text-block, rxp-replace, query-sort, query-filter (name and value)',
    covers: [
      'modifier:filter',
      'modifier:as-text-block',
      'modifier:rxp-replace',
      'modifier:query-sort',
      'modifier:query-filter',
      'extractor:name',
      'extractor:value',
    ],
    rules: `- when: post-load
  do:
    - text-block-define: { name: motd, text: 'hello' }
- when: proxy-rsp
  do:
    - proxy-rsp-field<X-Filter>: [ua-req-field<X-Tag>, { filter: [{ match: 'b', drop: }, { pass: }] }]
    - proxy-rsp-field<X-Block>: [ua-req-field<X-Block>, { as-text-block: 'none' }]
    - proxy-rsp-field<X-Rxp>: [ua-req-field<X-Bands>, { rxp-replace: ['(\\w+),(\\w+)', '{2};{1}'] }]
    - proxy-rsp-field<X-Sort>: [ua-req-query, { query-sort: }]
    - proxy-rsp-field<X-Query>: [ua-req-query, { query-filter: [{ match: 'y', drop: }, { match: 'x', replace: { name: 'w', value: '{name}{value}' } }, { pass: }] }]
`,
    request: {
      path: '/q?y=2&x=1&a=0',
      headers: { 'X-Tag': 'a', 'X-Block': 'motd', 'X-Bands': 'Nightwish,Delain' },
    },
    expect: {
      response: {
        headers: {
          'x-filter': 'a',
          'x-block': 'hello',
          'x-rxp': 'Delain;Nightwish',
          'x-sort': 'a=0&x=1&y=2',
          'x-query': 'w=x1&a=0',
        },
      },
    },
  },
  {
    name: 'comparison otherwise: the default case, after cases that did not match',
    covers: ['comparison:otherwise'],
    rules: `- when: proxy-rsp
  do:
    - with: '{ua-req-method}'
      select:
        - match: 'POST'
          do: [{ proxy-rsp-field<X-Yes>: 'post' }]
        - otherwise:
          do: [{ proxy-rsp-field<X-Yes>: 'other' }]
`,
    expect: { response: { headers: { 'x-yes': 'other' } } },
  },
  {
    name: 'TxnBox URL location directives set host and port (and Host)',
    covers: [
      'directive:ua-req-url-host',
      'directive:ua-req-url-port',
      'directive:ua-req-loc',
      'directive:ua-req-url-loc',
      'directive:proxy-req-url-host',
      'directive:proxy-req-url-port',
      'directive:proxy-req-loc',
      'directive:proxy-req-url-loc',
    ],
    rules: `- when: ua-req
  do:
    - ua-req-url-host: 'one.test'
    - ua-req-url-port: 8081
    - ua-req-field<X-Ua-1>: '{ua-req-loc}'
    - ua-req-loc: ['two.test', 8082]
    - ua-req-field<X-Ua-2>: '{ua-req-loc}'
    - ua-req-url-loc: 'three.test:8083'
- when: proxy-req
  do:
    - proxy-req-url-host: 'four.test'
    - proxy-req-url-port: 8084
    - proxy-req-field<X-Proxy-1>: '{proxy-req-loc}'
    - proxy-req-loc: 'five.test:8085'
    - proxy-req-field<X-Proxy-2>: '{proxy-req-loc}'
    - proxy-req-url-loc: 'six.test'
`,
    expect: {
      upstream: {
        headers: {
          'x-ua-1': 'one.test:8081',
          'x-ua-2': 'two.test:8082',
          'x-proxy-1': 'four.test:8084',
          'x-proxy-2': 'five.test:8085',
          host: 'six.test:8085',
        },
      },
    },
  },
  {
    name: 'directive upstream-rsp-body replaces the body; txn-error answers 500',
    covers: ['directive:upstream-rsp-body', 'directive:txn-error'],
    rules: `- when: upstream-rsp
  do:
    - upstream-rsp-body: 'replaced'
- when: ua-req
  do:
    - with: '{ua-req-path}'
      select:
        - match: 'fail'
          do:
            - txn-error: true
`,
    expect: { response: { status: 200, body: 'replaced' } },
  },
  {
    name: 'txn-conf: a Traffic Server timeout Junction has, set and read in seconds',
    covers: ['directive:txn-conf', 'extractor:txn-conf'],
    rules: `- when: ua-req
  do:
    - txn-conf<proxy.config.http.connect_attempts_timeout>: 7
- when: proxy-rsp
  do:
    - proxy-rsp-field<X-Out>: '{txn-conf<proxy.config.http.connect_attempts_timeout>}'
`,
    expect: { response: { headers: { 'x-out': '7' } } },
  },
  {
    name: 'directive proxy-rsp-body replaces the body the client gets',
    covers: ['directive:proxy-rsp-body'],
    rules: `- when: proxy-rsp\n  do:\n    - proxy-rsp-body: 'for the client'\n`,
    expect: { response: { status: 200, body: 'for the client' } },
  },
  {
    name: 'txn-error: true answers 500 without asking a backend',
    covers: [],
    rules: `- when: ua-req\n  do:\n    - txn-error: true\n`,
    expect: { upstream: 'none', response: { status: 500 } },
  },
];

const ROWS: readonly Row[] = [
  ...TXNBOX_ROWS,
  ...EXTRACTOR_ROWS,
  ...MODIFIER_ROWS,
  ...COMPARISON_ROWS,
  ...DIRECTIVE_ROWS,
  ...STRUCTURE_ROWS,
];

// ---------------------------------------------------------------------------------------------------------
// Running a row.

const backends = { a: new TableBackend('a'), b: new TableBackend('b') };

beforeAll(async () => {
  await Promise.all([backends.a.listen(), backends.b.listen()]);
});
afterAll(async () => {
  await Promise.all([backends.a.close(), backends.b.close()]);
});

function indent(yaml: string, by: string): string {
  return yaml
    .trimEnd()
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}

function configFor(row: Row): string {
  const { a, b } = backends;
  return `${row.rules === undefined ? '' : `rules:\n${indent(row.rules, '  ')}\n`}${row.extra ?? ''}
routes:
  - name: main
    cluster: a${row.cache === true ? '\n    cache: true' : ''}
${row.routeRules === undefined ? '' : `    rules:\n${indent(row.routeRules, '      ')}\n`}  - name: other
    match: { path: /other-route/ }
    cluster: b
clusters:
  a: { backends: ["${a.address}"] }
  b: { backends: ["${b.address}"] }
  both:
    backends:
      - { address: "${a.address}", id: alpha }
      - { address: "${b.address}", id: beta }
  weighted:
    backends:
      - { address: "${a.address}", id: alpha, weight: 1 }
      - { address: "${b.address}", id: beta, weight: 100 }
`;
}

interface ClientAnswer {
  readonly status: number;
  readonly reason: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly clientPort: number;
}

function send(port: number, request: NonNullable<Row['request']>): Promise<ClientAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: request.method ?? 'GET',
        path: request.path ?? '/',
        headers: request.headers ?? {},
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        const clientPort = res.socket.localPort ?? 0;
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            reason: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(parts).toString('utf8'),
            clientPort,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}

function checkFields(
  what: string,
  headers: IncomingHttpHeaders,
  expected: Readonly<Record<string, Check>>,
  ctx: RowContext,
): void {
  for (const [name, check] of Object.entries(expected)) {
    const raw = headers[name.toLowerCase()];
    // Several fields of a name: node:http lists Set-Cookie, joins the others with ', '.
    const actual = Array.isArray(raw) ? raw.join('|') : raw;
    const label = `${what} field ${name}`;
    if (check === null) expect(actual, label).toBeUndefined();
    else if (check instanceof RegExp) expect(actual, label).toMatch(check);
    else expect(actual, label).toBe(typeof check === 'function' ? check(ctx) : check);
  }
}

async function runRow(row: Row): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'junction-rules-table-'));
  for (const [name, text] of Object.entries(row.files ?? {})) writeFileSync(join(dir, name), text);
  for (const backend of Object.values(backends)) {
    backend.reply = row.upstream ?? {};
    backend.seen.length = 0;
  }
  const logs = capturedLogs('debug');
  const junction = await startJunctionFromYaml(configFor(row), { baseDir: dir, logger: logs.logger });
  onTestFinished(() => junction.close(0));

  const answer = await send(junction.port, row.request ?? {});
  const ctx: RowContext = {
    junctionPort: junction.port,
    clientPort: answer.clientPort,
    backends: { a: backends.a.address, b: backends.b.address },
  };
  const seen = [...backends.a.seen, ...backends.b.seen];
  const upstream = row.expect.upstream;
  if (upstream === 'none') {
    expect(seen, 'no backend may see the request').toEqual([]);
  } else if (upstream !== undefined) {
    expect(seen, 'exactly one request upstream').toHaveLength(1);
    const got = seen[0]!;
    if (upstream.backend !== undefined) expect(got.backend, 'backend').toBe(upstream.backend);
    if (upstream.method !== undefined) expect(got.method, 'method upstream').toBe(upstream.method);
    if (upstream.url !== undefined) expect(got.url, 'path and query upstream').toBe(upstream.url);
    checkFields('upstream', got.headers, upstream.headers ?? {}, ctx);
  }
  const response = row.expect.response;
  if (response?.status !== undefined) expect(answer.status, 'status').toBe(response.status);
  if (response?.reason !== undefined) expect(answer.reason, 'reason').toBe(response.reason);
  if (response?.body !== undefined) {
    if (response.body instanceof RegExp) expect(answer.body).toMatch(response.body);
    else expect(answer.body, 'body').toBe(response.body);
  }
  checkFields('response', answer.headers, response?.headers ?? {}, ctx);
  for (const line of row.expect.logs ?? []) {
    const found = (candidate: LogLine) =>
      candidate['rule'] === true &&
      candidate.level === line.level &&
      candidate.msg === line.msg &&
      candidate['tag'] === line.tag;
    await waitFor(() => logs.lines.some(found), { timeoutMs: 2000 }).catch(() => undefined);
    expect(
      logs.lines.filter((l) => l['rule'] === true),
      `a rule log line ${JSON.stringify(line)}`,
    ).toContainEqual(expect.objectContaining({ level: line.level, msg: line.msg, rule: true }));
    expect(logs.lines.find(found), `tag of ${line.msg}`).toBeDefined();
  }
}

describe('rules, row by row through the proxy', () => {
  test.each(ROWS.filter((row) => row.knownBug === undefined).map((row) => [row.name, row] as const))(
    '%s',
    async (_name, row) => {
      await runRow(row);
    },
  );
  // Each fails today for the reason it gives; when one passes, its bug is fixed: drop knownBug.
  test.fails.each(ROWS.filter((row) => row.knownBug !== undefined).map((row) => [row.name, row] as const))(
    '%s (known bug)',
    async (_name, row) => {
      await runRow(row);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------
// Coverage: every registry entry has a row, and each row uses what it claims to cover.

const USES: Record<string, (name: string) => RegExp> = {
  extractor: (name) => new RegExp(`\\{${name}(?:[<:}])`),
  comparison: (name) => new RegExp(`(?:^|[\\s{,-])${name}(?:<[^>]*>)?:`, 'm'),
  modifier: (name) => new RegExp(`\\{ ?${name}(?:<[^>]*>)?:`),
  directive: (name) => new RegExp(`(?:^|[\\s{])${name}(?:<[^>]*>)?:`, 'm'),
};

describe('the table covers the whole vocabulary', () => {
  const registries = {
    extractor: [...EXTRACTORS.keys()],
    comparison: [...COMPARISONS.keys()],
    modifier: [...MODIFIERS.keys()],
    directive: [...DIRECTIVES.keys()],
  };
  const covered = new Set(ROWS.flatMap((row) => row.covers));

  test.each(Object.entries(registries).flatMap(([kind, names]) => names.map((name) => `${kind}:${name}`)))(
    '%s has a row',
    (entry) => {
      expect(covered).toContain(entry);
    },
  );

  test.each(ROWS.filter((row) => row.covers.length > 0).map((row) => [row.name, row] as const))(
    'the row "%s" uses what it covers',
    (_name, row) => {
      const text = `${row.rules ?? ''}\n${row.routeRules ?? ''}`;
      for (const entry of row.covers) {
        const [kind, name] = entry.split(':') as [string, string];
        expect(text, entry).toMatch(USES[kind]!(name));
      }
    },
  );
});
