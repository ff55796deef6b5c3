/**
 * TxnBox compatibility: TxnBox's own gold tests (test/e2e/txnbox/, see its README for where they come
 * from), run black box through a real Junction over 127.0.0.1. Each gold test's config is adapted
 * mechanically: its global rules are the top-level rules (an include with the gold test's --key as
 * root), each Traffic Server remap line `map FROM TO` is a route matching FROM's host and path whose
 * rules are the remap's TxnBox config, after the two directives that do what Traffic Server's own URL
 * rewrite does (host, and path prefix when they differ). The replay file's requests are sent as
 * written; a backend the test starts answers each with the replay's server response for its uuid, and
 * the proxy request and the client's response are checked as Proxy Verifier checks them (`as:`).
 *
 * A case is one transaction of a replay. The test passes while the pass rate stays at or above the
 * recorded floor; every failing case and its reason is printed, and listed in the README.
 */
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  type Server,
} from 'node:http';
import { createServer as createTlsServer, request as tlsRequest } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isMap, isSeq, parse, parseDocument, visit, Document, type Node } from 'yaml';
import { createTestCa, type KeyPair, type TestCa } from '../support/certs.ts';
import { startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import {
  EXPECTED_FAILURES,
  GOLD_TESTS,
  type GoldTest,
  type Identity,
  type Remap,
} from './txnbox/manifest.ts';

const GOLD = join(import.meta.dirname, 'txnbox', 'gold');

/** The pass rate this suite must keep (cases passed / cases in the manifest). */
const PASS_RATE_FLOOR = 0.95;

type Fields = readonly (readonly [unknown, unknown])[];

/** A replay scalar as text (YAML may give numbers and booleans where text is meant). */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return value === null || value === undefined ? '' : JSON.stringify(value);
}

interface Message {
  readonly method?: string;
  readonly url?: unknown;
  readonly status?: number;
  readonly reason?: string;
  readonly headers?: { readonly fields?: Fields };
  readonly content?: { readonly size?: number; readonly data?: string };
}

interface Transaction {
  readonly all?: { readonly headers?: { readonly fields?: Fields } };
  readonly 'client-request'?: Message | null;
  readonly 'proxy-request'?: Message | null;
  readonly 'server-response'?: Message | null;
  readonly 'proxy-response'?: Message | null;
}

interface Session {
  readonly protocol?: readonly { readonly name?: string; readonly sni?: string }[];
  readonly transactions?: readonly Transaction[];
}

interface Outcome {
  readonly test: string;
  readonly index: number;
  readonly uuid: string;
  readonly problems: readonly string[];
}

const outcomes: Outcome[] = [];

/** The value of a field check, or undefined when it is not one (`[name, value]` without `as`). */
function checkOf(spec: unknown): { as: string; value: unknown } | undefined {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return undefined;
  const record = spec as Record<string, unknown>;
  return typeof record['as'] === 'string' ? { as: record['as'], value: record['value'] } : undefined;
}

function uuidOf(txn: Transaction): string | undefined {
  const fields = [...(txn.all?.headers?.fields ?? []), ...(txn['client-request']?.headers?.fields ?? [])];
  const found = fields.find(([name]) => text(name).toLowerCase() === 'uuid');
  return found === undefined ? undefined : text(found[1]);
}

/** Checks fields as Proxy Verifier's `as:` does; returns what failed. */
function checkFields(what: string, expected: Fields, actual: IncomingHttpHeaders): string[] {
  const problems: string[] = [];
  for (const [rawName, spec] of expected) {
    const check = checkOf(spec);
    if (check === undefined) continue;
    const name = text(rawName).toLowerCase();
    const value = actual[name];
    // Node joins repeated fields with ', ' (Set-Cookie aside): a list of values compares that way.
    const got = Array.isArray(value) ? value.join(', ') : value;
    const want = Array.isArray(check.value) ? check.value.map(text).join(', ') : text(check.value);
    let ok: boolean;
    switch (check.as) {
      case 'absent':
        ok = got === undefined;
        break;
      case 'present':
        ok = got !== undefined;
        break;
      case 'equal':
        ok = got === want;
        break;
      case 'contains':
        ok = got?.includes(want) ?? false;
        break;
      case 'prefix':
        ok = got?.startsWith(want) ?? false;
        break;
      case 'suffix':
        ok = got?.endsWith(want) ?? false;
        break;
      default:
        ok = true; // a check kind Proxy Verifier does not define
    }
    if (!ok)
      problems.push(
        `${what} ${text(rawName)} ${check.as} ${JSON.stringify(want)}, got ${JSON.stringify(got)}`,
      );
  }
  return problems;
}

/** URL checks: `url: [[path, { value, as }], [host, …], [query, …]]`. */
function checkUrl(what: string, expected: unknown, target: string, host: string | undefined): string[] {
  if (!Array.isArray(expected)) return [];
  const parsed = new URL(target, `http://${host ?? 'unknown'}`);
  const parts: Record<string, string> = {
    path: parsed.pathname,
    host: parsed.hostname,
    query: parsed.search.replace(/^\?/, ''),
    scheme: parsed.protocol.replace(/:$/, ''),
  };
  const problems: string[] = [];
  for (const entry of expected as unknown[]) {
    if (!Array.isArray(entry)) continue;
    const [part, spec] = entry as [string, unknown];
    const check = checkOf(spec);
    const actual = parts[part];
    if (check === undefined || actual === undefined) continue;
    const want = text(check.value);
    const ok =
      check.as === 'equal'
        ? actual === want
        : check.as === 'prefix'
          ? actual.startsWith(want)
          : check.as === 'contains'
            ? actual.includes(want)
            : true;
    if (!ok)
      problems.push(`${what} url ${part} ${check.as} ${JSON.stringify(want)}, got ${JSON.stringify(actual)}`);
  }
  return problems;
}

interface Seen {
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A backend answering each request with the replay's server response for its uuid (or, for a test
 * with client runs, its URL: the verifier server's `--format "{url}"`), over TLS when given a key pair
 * (asking the proxy for its client certificate, as Proxy Verifier's server does).
 */
async function replayBackend(
  responses: ReadonlyMap<string, Message>,
  seen: Map<string, Seen>,
  keyOf: (req: IncomingMessage) => string,
  tls?: KeyPair,
): Promise<{ server: Server; port: number }> {
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const key = keyOf(req);
    seen.set(key, { target: req.url ?? '', headers: req.headers });
    req.resume();
    const response = responses.get(key);
    const status = response?.status ?? 404;
    const size = response?.content?.size ?? 0;
    const headers: [string, string][] = [];
    for (const [name, value] of response?.headers?.fields ?? []) {
      const lower = text(name).toLowerCase();
      if (lower === 'content-length' || lower === 'transfer-encoding') continue;
      headers.push([text(name), typeof value === 'object' ? '' : text(value)]);
    }
    const body = response?.content?.data ?? 'x'.repeat(size);
    res.writeHead(status, response?.reason ?? undefined, [
      ...headers.flat(),
      'Content-Length',
      String(Buffer.byteLength(body)),
    ]);
    res.end(body);
  };
  const server: Server =
    tls === undefined
      ? createServer(handle)
      : createTlsServer(
          { cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: false },
          handle,
        );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('backend has no port');
  return { server, port: address.port };
}

/** Where a case's request goes: the plain listener, or the TLS one (with the CA to trust). */
interface Target {
  readonly port: number;
  readonly ca?: string;
  /** The TLS server name; default: the Host (Proxy Verifier's). */
  readonly sni?: string;
  /** The client certificate the session presents. */
  readonly cert?: KeyPair;
}

function send(
  target: Target,
  message: Message,
  extra: Fields,
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  const headers: Record<string, string | string[]> = {};
  for (const [rawName, value] of [...extra, ...(message.headers?.fields ?? [])]) {
    if (typeof value === 'object' && value !== null) continue;
    const name = text(rawName);
    if (name.toLowerCase() === 'content-length') continue; // the body sent decides it
    const known = Object.keys(headers).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name;
    const previous = headers[known];
    headers[known] = previous === undefined ? text(value) : [previous, text(value)].flat();
  }
  const size = message.content?.size ?? 0;
  const body = message.content?.data ?? 'x'.repeat(size);
  if (body.length > 0) headers['Content-Length'] = String(Buffer.byteLength(body));
  const hostField = Object.entries(headers).find(([name]) => name.toLowerCase() === 'host')?.[1];
  const servername =
    target.sni ?? (typeof hostField === 'string' ? hostField.replace(/:\d+$/, '') : 'base.ex');
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port: target.port,
      method: message.method ?? 'GET',
      path: typeof message.url === 'string' ? message.url : '/',
      headers,
      agent: false,
      timeout: 5000,
    };
    // A TLS session: the Host as SNI, as Proxy Verifier sends it.
    const req =
      target.ca === undefined
        ? request(options)
        : tlsRequest({
            ...options,
            ca: target.ca,
            servername,
            ...(target.cert === undefined ? {} : { cert: target.cert.cert, key: target.cert.key }),
          });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A YAML node holding TxnBox's config at a dotted key path of a file, kept as written (quoting included). */
function nodeAt(file: string, key: string): Node {
  const doc = parseDocument(readFileSync(join(GOLD, file), 'utf8'), { merge: true });
  const node = doc.getIn(key.split('.'), true) as Node | undefined;
  if (node === undefined) throw new Error(`${file} has no ${key}`);
  return node;
}

function wholeFile(file: string): Node {
  const contents = parseDocument(readFileSync(join(GOLD, file), 'utf8'), { merge: true }).contents;
  if (contents === null) throw new Error(`${file} is empty`);
  return contents;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The route for one remap line: Traffic Server's URL rewrite, then the remap's TxnBox rules. */
function remapRoute(doc: Document, remap: Remap, index: number, cluster: string): unknown {
  const from = new URL(remap.from === '/' ? 'http://any/' : remap.from);
  const to = new URL(remap.to ?? (remap.from === '/' ? 'http://any/' : remap.from));
  const fromPath = from.pathname === '/' ? '' : from.pathname.replace(/^\//, '');
  const toPath = to.pathname === '/' ? '' : to.pathname.replace(/^\//, '');
  const rewrite: unknown[] = [];
  if (to.hostname !== from.hostname && remap.from !== '/') rewrite.push({ 'ua-req-host': to.hostname });
  if (remap.from === '/' && remap.to !== undefined) rewrite.push({ 'ua-req-host': to.hostname });
  if (fromPath !== toPath) {
    rewrite.push({
      with: '{ua-req-path}',
      continue: null,
      select: [{ rxp: `^${escapeRegex(fromPath)}(.*)$`, do: [{ 'ua-req-path': `${toPath}{1}` }] }],
    });
  }
  const match = {
    ...(remap.from === '/' ? {} : { host: from.hostname }),
    ...(from.pathname === '/' ? {} : { path: from.pathname }),
  };
  const route: Record<string, unknown> = {
    name: `remap-${index + 1}`,
    ...(Object.keys(match).length === 0 ? {} : { match }),
    cluster,
  };
  const configs = remap.configs ?? [];
  if (configs.length === 1 && rewrite.length === 0) {
    const [file, key] = configs[0]!;
    route['rules'] = { include: join(GOLD, file), ...(key === undefined ? {} : { root: key }) };
  } else if (configs.length > 0 || rewrite.length > 0) {
    // The rewrite first, then each config's rules, inlined as written (quoting kept).
    const rules = doc.createNode(rewrite) as Node;
    // The rewrite's own strings are text: quoted, as TxnBox reads an unquoted word as an extractor.
    visit(rules, {
      Scalar(_key, scalar) {
        if (typeof scalar.value === 'string') scalar.type = 'QUOTE_DOUBLE';
      },
    });
    for (const [file, key] of configs) {
      const node = key === undefined ? wholeFile(file) : nodeAt(file, key);
      if (isSeq(rules) && isSeq(node)) rules.items.push(...node.items);
      else if (isSeq(rules) && isMap(node)) rules.items.push(node);
    }
    route['rules'] = rules;
  }
  return route;
}

/** A certificate for every host name the gold tests use (wildcards for their subdomains), and its files. */
interface ServerCert {
  readonly ca: TestCa;
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
}

let serverCert: ServerCert | undefined;

function certificate(): ServerCert {
  if (serverCert !== undefined) return serverCert;
  // Named as the issuer of TxnBox's test server.pem, which tls-cert reads (inbound-cert-local-issuer-field<CN>).
  const ca = createTestCa('random.server.com');
  const dir = mkdtempSync(join(tmpdir(), 'junction-txnbox-'));
  // alpha.ex: tls-cert's SNI (a wildcard over one label, *.ex, covers nothing); alpha, bravo: mTLS's.
  const pair = ca.issue([
    'base.ex',
    '*.base.ex',
    'protected.ex',
    '*.protected.ex',
    '*.ex',
    'alpha.ex',
    'alpha',
    'bravo',
  ]);
  writeFileSync(join(dir, 'cert.pem'), pair.cert);
  writeFileSync(join(dir, 'key.pem'), pair.key);
  serverCert = { ca, dir, certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  return serverCert;
}

/** TxnBox's client test keys, made alike: a CA per name and the certificate it signed, with their files. */
interface Identities {
  readonly signed: Readonly<
    Record<Identity, KeyPair & { readonly certFile: string; readonly keyFile: string }>
  >;
  /** ca-bundle.pem: the alpha, bravo and charlie CAs. */
  readonly bundleFile: string;
  /** Proxy Verifier's server certificate (CN server_cn), for a TLS backend. */
  readonly upstream: KeyPair;
  readonly cas: readonly TestCa[];
}

let identities: Identities | undefined;

function testKeys(): Identities {
  if (identities !== undefined) return identities;
  const dir = certificate().dir;
  const cas: TestCa[] = [];
  const signed = {} as Record<Identity, KeyPair & { certFile: string; keyFile: string }>;
  for (const name of ['alpha', 'bravo', 'charlie'] as const) {
    // openssl.cnf of TxnBox's test/autest/ssl: [DN-CA] and [DN-Signed].
    const ca = createTestCa(`TxnBox CA ${name}`, {
      subject: `/CN=TxnBox CA ${name}/O=TxnBox/C=S3/ST=Confusion/L=Dazed`,
    });
    cas.push(ca);
    const pair = ca.issue([`${name}.client.ex`], {
      subject: `/CN=base.ex:role.${name}/O=TxnBox/C=S3/ST=Amber/L=Kolvir`,
    });
    const certFile = join(dir, `${name}-signed.pem`);
    const keyFile = join(dir, `${name}-signed.key`);
    writeFileSync(certFile, pair.cert);
    writeFileSync(keyFile, pair.key);
    signed[name] = { ...pair, certFile, keyFile };
  }
  const bundleFile = join(dir, 'ca-bundle.pem');
  writeFileSync(bundleFile, cas.map((ca) => ca.cert).join(''));
  const upstream = certificate().ca.issue(['server.ex'], { subject: '/CN=server_cn' });
  identities = { signed, bundleFile, upstream, cas };
  return identities;
}

/** Traffic Server settings (records.config) that are Junction settings: name → config path and value. */
const RECORDS: Readonly<Record<string, (value: number) => [path: string, value: unknown]>> = {
  'proxy.config.http.transaction_no_activity_timeout_out': (seconds) => [
    'timeouts.backend_body',
    `${seconds}s`,
  ],
  'proxy.config.http.transaction_active_timeout_out': (seconds) => [
    'timeouts.backend_response',
    `${seconds}s`,
  ],
  'proxy.config.http.connect_attempts_timeout': (seconds) => ['timeouts.connect', `${seconds}s`],
  // Per origin server: the cluster's pool limit per backend.
  'proxy.config.http.per_server.connection.max': (max) => ['clusters.backend.pool.max_total', max],
  // The proportion of the body read when the client left past which the cache write is finished.
  'proxy.config.http.background_fill_completed_threshold': (ratio) => [
    'cache.background_fill.threshold',
    ratio,
  ],
};

/** The Junction config for a gold test, as YAML text: a plain listener, and a TLS one when a session needs it. */
function junctionConfig(gold: GoldTest, backendPort: number, tls: boolean): string {
  const doc = new Document({});
  const config: Record<string, unknown> = {};
  config['listeners'] = [
    { name: 'http', address: '127.0.0.1', port: 0 },
    ...(tls
      ? [
          {
            name: 'https',
            address: '127.0.0.1',
            port: 0,
            tls: {
              certificates: [{ cert_file: certificate().certFile, key_file: certificate().keyFile }],
              ...(gold.clientCertificates === undefined
                ? {}
                : {
                    client_certificates: { verify: gold.clientCertificates, ca_file: testKeys().bundleFile },
                  }),
            },
          },
        ]
      : []),
  ];
  if (gold.global !== undefined) {
    const [file, key] = gold.global;
    config['rules'] = [{ include: join(GOLD, file), root: key }];
  }
  // An https:// line matches what its http:// twin does (the suite sends plain HTTP): the first is kept.
  const seen = new Set<string>();
  const remaps = (gold.remaps ?? [{ from: '/' }]).filter((remap) => {
    const key = remap.from.replace(/^https?:\/\//, '').replace(/\/$/, '');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  config['routes'] = remaps.map((remap, index) => ({
    ...(remapRoute(doc, remap, index, 'backend') as Record<string, unknown>),
    ...(gold.cache === true ? { cache: true } : {}),
  }));
  const upstreamTls = gold.upstreamTls;
  const client = upstreamTls === undefined ? undefined : testKeys().signed[upstreamTls.clientCertificate];
  config['clusters'] = {
    backend: {
      backends: [`127.0.0.1:${backendPort}`],
      ...(client === undefined
        ? {}
        : { tls: { enabled: true, verify: false, cert_file: client.certFile, key_file: client.keyFile } }),
    },
  };
  for (const [name, value] of Object.entries(gold.records ?? {})) {
    const mapped = RECORDS[name]?.(value);
    if (mapped === undefined) continue; // no Junction setting: rules reading it are refused at load
    // Set at a dotted path, making the mappings on the way.
    const keys = mapped[0].split('.');
    let at = config;
    for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
    at[keys.at(-1)!] = mapped[1];
  }
  doc.contents = doc.createNode(config);
  return doc.toString({ lineWidth: 0 });
}

const running: { junction?: RunningJunction; server?: Server }[] = [];
afterAll(async () => {
  for (const ca of identities?.cas ?? []) ca.close();
  if (serverCert !== undefined) {
    serverCert.ca.close();
    rmSync(serverCert.dir, { recursive: true, force: true });
  }
  for (const item of running) {
    await item.junction?.close();
    await new Promise<void>((resolve) => {
      if (item.server)
        item.server.close(() => {
          resolve();
        });
      else resolve();
    });
  }
});

interface Case {
  readonly txn: Transaction;
  readonly uuid: string;
  readonly tls: boolean;
  /** The session's TLS server name, when its replay names one. */
  readonly sni?: string | undefined;
  readonly cert?: Identity | undefined;
  /** What the backend knows the request by: its uuid, or its URL (client runs). */
  readonly key: string;
}

/** A replay's transactions, with their sessions' TLS layer. */
function replayCases(file: string, first: number, cert?: Identity): Case[] {
  const replay = parse(readFileSync(join(GOLD, file), 'utf8'), { merge: true }) as {
    sessions?: readonly Session[];
  };
  const cases: Case[] = [];
  for (const session of replay.sessions ?? []) {
    const tlsLayer = (session.protocol ?? []).find((layer) => layer.name === 'tls');
    for (const txn of session.transactions ?? []) {
      const uuid = uuidOf(txn) ?? `#${first + cases.length}`;
      const url = text(txn['client-request']?.url);
      cases.push({
        txn,
        uuid,
        tls: tlsLayer !== undefined,
        sni: tlsLayer?.sni,
        cert,
        key: cert === undefined ? uuid : url,
      });
    }
  }
  return cases;
}

async function runGoldTest(gold: GoldTest): Promise<void> {
  // The server's side: the replay's transactions, by uuid (or by URL for a test with client runs).
  const byUrl = gold.runs !== undefined;
  const serverSide = replayCases(gold.replay, 0).map((c) =>
    byUrl ? { ...c, key: text(c.txn['client-request']?.url) } : c,
  );
  const cases = byUrl
    ? gold.runs.reduce<Case[]>(
        (all, run) => [...all, ...replayCases(run.replay, all.length, run.clientCertificate)],
        [],
      )
    : serverSide;
  const record = (index: number, uuid: string, problems: string[]): void => {
    outcomes.push({ test: gold.name, index, uuid, problems });
  };
  if (gold.skip !== undefined) {
    cases.forEach((c, i) => {
      record(i, c.uuid, [`not run: ${gold.skip}`]);
    });
    return;
  }
  const responses = new Map<string, Message>();
  const proxyRequests = new Map<string, Message>();
  for (const c of serverSide) {
    const proxyRequest = c.txn['proxy-request'];
    if (proxyRequest !== undefined && proxyRequest !== null) proxyRequests.set(c.key, proxyRequest);
    const response = c.txn['server-response'];
    if (response === undefined || response === null) continue;
    // Proxy Verifier puts a transaction's `all` fields on every message of it, the server's response too.
    const all = c.txn.all?.headers?.fields ?? [];
    responses.set(
      c.key,
      all.length === 0
        ? response
        : { ...response, headers: { fields: [...all, ...(response.headers?.fields ?? [])] } },
    );
  }
  const seen = new Map<string, Seen>();
  const backend = await replayBackend(
    responses,
    seen,
    byUrl ? (req) => req.url ?? '' : (req) => String(req.headers['uuid'] ?? ''),
    gold.upstreamTls === undefined ? undefined : testKeys().upstream,
  );
  const slot: { junction?: RunningJunction; server?: Server } = { server: backend.server };
  running.push(slot);
  let junction: RunningJunction;
  try {
    // File names in the configs are relative to the gold test's directory (its config dir in TxnBox's runs).
    junction = await startJunctionFromYaml(
      junctionConfig(
        gold,
        backend.port,
        cases.some((c) => c.tls),
      ),
      {
        baseDir: join(GOLD, dirname(gold.replay)),
      },
    );
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
    cases.forEach((c, i) => {
      record(i, c.uuid, [`config refused: ${message}`]);
    });
    return;
  }
  slot.junction = junction;
  for (const [index, c] of cases.entries()) {
    const target: Target = c.tls
      ? {
          port: junction.server.listeners[1]!.port,
          ca: certificate().ca.cert,
          ...(c.sni === undefined ? {} : { sni: c.sni }),
          ...(c.cert === undefined ? {} : { cert: testKeys().signed[c.cert] }),
        }
      : { port: junction.port };
    const client = c.txn['client-request'];
    if (client === undefined || client === null) continue;
    const problems: string[] = [];
    try {
      seen.delete(c.key);
      // Proxy Verifier keys each transaction (by a uuid field here); a case without one gets its index.
      const key: Fields = uuidOf(c.txn) === undefined && !byUrl ? [['uuid', c.uuid]] : [];
      const answer = await send(target, client, [...key, ...(c.txn.all?.headers?.fields ?? [])]);
      // A client run's request is checked by the server's transaction for its URL, when it gets there.
      const proxyRequest = (byUrl ? proxyRequests.get(c.key) : c.txn['proxy-request']) ?? undefined;
      if (proxyRequest !== undefined) {
        const got = seen.get(c.key);
        const checks = [
          ...(proxyRequest.headers?.fields ?? []).map(([, spec]) => checkOf(spec)),
          ...(Array.isArray(proxyRequest.url) ? [{ as: 'url', value: undefined }] : []),
        ].filter((check) => check !== undefined);
        if (got === undefined) {
          if (checks.length > 0 && !byUrl) problems.push('the backend was not asked');
        } else {
          problems.push(...checkFields('proxy request', proxyRequest.headers?.fields ?? [], got.headers));
          problems.push(...checkUrl('proxy request', proxyRequest.url, got.target, got.headers.host));
        }
      }
      const proxyResponse = c.txn['proxy-response'] ?? undefined;
      if (proxyResponse !== undefined) {
        if (proxyResponse.status !== undefined && proxyResponse.status !== answer.status) {
          problems.push(`status ${proxyResponse.status} expected, got ${answer.status}`);
        }
        problems.push(...checkFields('response', proxyResponse.headers?.fields ?? [], answer.headers));
      }
    } catch (error) {
      problems.push(`request failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    record(index, c.uuid, problems);
  }
}

describe('TxnBox gold tests through Junction', () => {
  test('every gold test runs, and the pass rate stays above the floor', async () => {
    for (const gold of GOLD_TESTS) await runGoldTest(gold);
    const passed = outcomes.filter((o) => o.problems.length === 0).length;
    const failing = outcomes
      .filter((o) => o.problems.length > 0)
      .map((o) => `${o.test} #${o.index} (uuid ${o.uuid}): ${o.problems.join('; ')}`);
    const rate = passed / outcomes.length;
    console.log(
      `TxnBox compatibility: ${passed}/${outcomes.length} cases pass (${(rate * 100).toFixed(1)} %)\n` +
        failing.join('\n'),
    );
    expect(outcomes.length).toBeGreaterThan(0);
    expect(rate).toBeGreaterThanOrEqual(PASS_RATE_FLOOR);
    const failed = outcomes.filter((o) => o.problems.length > 0).map((o) => `${o.test} #${o.index}`);
    // A failure not listed is a regression; a listed case that passes comes off the list.
    expect(
      failed.filter((key) => !EXPECTED_FAILURES.has(key)),
      'cases that newly fail',
    ).toEqual([]);
    expect(
      [...EXPECTED_FAILURES.keys()].filter((key) => !failed.includes(key)),
      'cases that now pass: remove them from EXPECTED_FAILURES in txnbox/manifest.ts',
    ).toEqual([]);
  }, 55_000);
});
