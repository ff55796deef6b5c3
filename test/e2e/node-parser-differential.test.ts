/**
 * Differential test against Node's own HTTP parser (llhttp, default strict settings): the same bytes go
 * to Junction (in front of a capture backend) and to a plain node:http server. Junction's verdict is
 * "accepted" when the backend received the complete request, Node's when its request handler ran and the
 * body ended without error. Both must agree, except for the disagreements listed in STRICTER, each with
 * its reason: there Junction refuses what Node lets through. The reverse (Junction forwarding what Node
 * refuses) is listed in LENIENT only where the request is unambiguous and Junction re-serialises it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { captureBackend, type CaptureBackend } from '../support/backends.ts';
import { rawRequest } from '../support/clients.ts';
import { backendList, startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

type Verdict = 'accepted' | 'rejected';

const H = 'Host: app.test\r\n';

/** Borderline requests, each carrying a complete body for the framing it claims (`hi`). */
function cases(): Map<string, string> {
  const all = new Map<string, string>();
  const add = (name: string, bytes: string): void => {
    all.set(name, bytes);
  };
  for (const value of ['2', ' 2', '2 ', '\t2', '+2', '-2', '02', '2,2', '2, 2', '0x2', '2a', '']) {
    add(
      `Content-Length ${JSON.stringify(value)}`,
      `POST /cl HTTP/1.1\r\n${H}Content-Length:${value}\r\n\r\nhi`,
    );
  }
  add(
    'Content-Length twice, equal',
    `POST /cl HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 2\r\n\r\nhi`,
  );
  add(
    'Content-Length twice, differing',
    `POST /cl HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 3\r\n\r\nhi`,
  );
  const chunkedBody = '2\r\nhi\r\n0\r\n\r\n';
  for (const value of [
    'chunked',
    'Chunked',
    'CHUNKED',
    ' chunked',
    'chunked ',
    '\tchunked',
    'chunked, chunked',
    'identity, chunked',
    'chunked, identity',
    'identity',
    'xchunked',
    'chunked;x',
    '"chunked"',
  ]) {
    add(
      `Transfer-Encoding ${JSON.stringify(value)}`,
      `POST /te HTTP/1.1\r\n${H}Transfer-Encoding: ${value}\r\n\r\n${chunkedBody}`,
    );
  }
  add(
    'CL and TE',
    `POST /x HTTP/1.1\r\n${H}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}`,
  );
  for (const [name, body] of [
    ['chunk size upper-case hex', 'A\r\n0123456789\r\n0\r\n\r\n'],
    ['chunk extension', '2;a=b\r\nhi\r\n0\r\n\r\n'],
    ['chunk extension quoted', '2;a="b c"\r\nhi\r\n0\r\n\r\n'],
    ['chunk size leading zeros', '0002\r\nhi\r\n0\r\n\r\n'],
    ['chunk size with space', '2 \r\nhi\r\n0\r\n\r\n'],
    ['chunk size non-hex', 'g\r\nhi\r\n0\r\n\r\n'],
    ['chunk data without CRLF', '2\r\nhiX0\r\n\r\n'],
    ['chunked trailer', '2\r\nhi\r\n0\r\nX-T: 1\r\n\r\n'],
  ] as const) {
    add(name, `POST /te HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${body}`);
  }
  const heads: [string, string][] = [
    ['plain GET', `GET / HTTP/1.1\r\n${H}\r\n`],
    ['HTTP/1.0 with Host', `GET / HTTP/1.0\r\n${H}\r\n`],
    ['missing Host on HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n'],
    ['two Host fields', `GET / HTTP/1.1\r\n${H}${H}\r\n`],
    ['space before colon', 'GET / HTTP/1.1\r\nHost : app.test\r\n\r\n'],
    ['obs-fold', `GET / HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\n`],
    ['NUL in value', `GET / HTTP/1.1\r\n${H}X-A: a\0b\r\n\r\n`],
    ['CTL in value', `GET / HTTP/1.1\r\n${H}X-A: a\x01b\r\n\r\n`],
    ['tab in value', `GET / HTTP/1.1\r\n${H}X-A: a\tb\r\n\r\n`],
    ['obs-text in value', `GET / HTTP/1.1\r\n${H}X-A: caf\xe9\r\n\r\n`],
    ['DEL in value', `GET / HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`],
    ['invalid name character', `GET / HTTP/1.1\r\n${H}X(A): 1\r\n\r\n`],
    ['empty value', `GET / HTTP/1.1\r\n${H}X-A:\r\n\r\n`],
    ['bare LF head', 'GET / HTTP/1.1\nHost: app.test\n\n'],
    ['bare LF in one field line', `GET / HTTP/1.1\r\nHost: app.test\nX-A: 1\r\n\r\n`],
    ['bare CR in a value', `GET / HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`],
    ['two spaces in the request line', `GET  / HTTP/1.1\r\n${H}\r\n`],
    ['lower-case method', `get / HTTP/1.1\r\n${H}\r\n`],
    ['unknown method token', `FROB / HTTP/1.1\r\n${H}\r\n`],
    ['HTTP/1.2', `GET / HTTP/1.2\r\n${H}\r\n`],
    ['HTTP/2.0', `GET / HTTP/2.0\r\n${H}\r\n`],
    ['lower-case version', `GET / http/1.1\r\n${H}\r\n`],
    ['absolute-form', `GET http://app.test/a HTTP/1.1\r\n${H}\r\n`],
    ['asterisk on OPTIONS', `OPTIONS * HTTP/1.1\r\n${H}\r\n`],
    ['target with a fragment', `GET /a#b HTTP/1.1\r\n${H}\r\n`],
    ['target with non-ASCII', `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`],
    ['one leading empty line', `\r\nGET / HTTP/1.1\r\n${H}\r\n`],
  ];
  for (const [name, bytes] of heads) add(name, bytes);
  return all;
}

/**
 * Where Junction is deliberately stricter than Node's default parser: Junction refuses, Node accepts.
 * Each value is the reason.
 */
const STRICTER: Readonly<Record<string, string>> = {
  'Transfer-Encoding "identity, chunked"':
    'Junction re-frames every body, so it refuses any coding but a single final chunked (identity is gone from RFC 9112)',
  'two Host fields':
    'RFC 9112 §3.2: a server must answer 400 to more than one Host; Node only checks that one is present',
  'two spaces in the request line':
    'RFC 9112 §3: exactly one SP between the parts; lenient whitespace is where parsers split differently',
  'HTTP/2.0':
    'Junction speaks HTTP/1.0 and HTTP/1.1 only and answers 505; Node hands the request to its handler',
  'target with a fragment':
    "RFC 9112 §3.2: a request-target has no fragment, and origins disagree on what '#' means",
};

/** Where Junction accepts what Node refuses; each value is why that is safe. */
const LENIENT: Readonly<Record<string, string>> = {
  'lower-case method':
    'a method is any token (RFC 9110 §9.1); it does not change framing, and Junction re-serialises it as sent',
  'unknown method token': 'the same: Node only knows a fixed list of methods, Junction forwards any token',
};

let backend: CaptureBackend;
let junction: RunningJunction;
let node: Server;
let nodePort = 0;
let nodeAccepted = new Set<string>();

beforeAll(async () => {
  backend = await captureBackend();
  junction = await startJunctionFromYaml(`
routes:
  - { match: { path: / }, cluster: app }
clusters:
  app: { backends: ${backendList(backend)} }`);
  node = createServer((req, res) => {
    const id = req.headers['x-case'];
    req.on('data', () => undefined);
    req.on('end', () => {
      if (typeof id === 'string') nodeAccepted.add(id);
      res.end('ok');
    });
    req.on('error', () => undefined);
  });
  node.on('clientError', (_error, socket) => {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
  nodePort = (node.address() as AddressInfo).port;
});

afterAll(async () => {
  await junction.close();
  await backend.close();
  node.closeAllConnections();
  await new Promise<void>((resolve) => {
    node.close(() => {
      resolve();
    });
  });
});

/** Adds `X-Case: <id>` as the first field, so either side's record names the case. */
function tagged(bytes: string, id: string): Buffer {
  const at = bytes.indexOf('\n', bytes.search(/[^\r\n]/)) + 1;
  return Buffer.from(`${bytes.slice(0, at)}X-Case: ${id}\r\n${bytes.slice(at)}`, 'latin1');
}

async function junctionVerdict(id: string, bytes: Buffer): Promise<Verdict> {
  const result = await rawRequest(junction.port, bytes, { responses: 1, timeoutMs: 1_500 });
  const status = result.responses[0]?.statusCode ?? 0;
  // Statuses Junction answers when it refuses to parse a request; any other (a 404 for no route) means
  // it parsed the request.
  if (status === 0 || [400, 414, 431, 501, 505].includes(status)) return 'rejected';
  if (status === 200) await waitFor(() => backend.requests.some((r) => r.headers['x-case'] === id));
  return 'accepted';
}

async function nodeVerdict(id: string, bytes: Buffer): Promise<Verdict> {
  await rawRequest(nodePort, bytes, { responses: 1, timeoutMs: 1_500 });
  return nodeAccepted.has(id) ? 'accepted' : 'rejected';
}

test('Junction and Node agree on every borderline request, but for the listed disagreements', async () => {
  nodeAccepted = new Set();
  const rows: { name: string; junction: Verdict; node: Verdict }[] = [];
  let i = 0;
  for (const [name, raw] of cases()) {
    const id = `c${++i}`;
    const bytes = tagged(raw, id);
    rows.push({ name, junction: await junctionVerdict(id, bytes), node: await nodeVerdict(id, bytes) });
  }
  const disagreements = Object.fromEntries(
    rows.filter((r) => r.junction !== r.node).map((r) => [r.name, `junction ${r.junction}, node ${r.node}`]),
  );
  const expected: Record<string, string> = {};
  for (const name of Object.keys(STRICTER)) expected[name] = 'junction rejected, node accepted';
  for (const name of Object.keys(LENIENT)) expected[name] = 'junction accepted, node rejected';
  expect(disagreements).toEqual(expected);
}, 60_000);
