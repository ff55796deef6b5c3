/**
 * The smuggling table, end to end (RFC 9112, RFC 9110): malformed and ambiguous requests sent through a
 * real Junction to a raw capture backend. A refused request gets its status and a closed connection, and
 * the backend receives not one byte of it; an accepted one reaches the backend exactly once, re-serialised
 * with a single unambiguous framing. Then the same for upstream responses: bad framing is a 502 (or a
 * truncated, closed response once the head has gone out), and the upstream connection is never reused.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { captureBackend, rawBackend, type CaptureBackend } from '../support/backends.ts';
import { rawRequest, RawClient, type ParsedRequest } from '../support/clients.ts';
import { backendList, startJunctionFromYaml, type RunningJunction } from '../support/start-junction.ts';
import { waitFor } from '../support/wait-for.ts';

const H = 'Host: app.test\r\n';
const POST = `POST / HTTP/1.1\r\n${H}`;
const GET = `GET / HTTP/1.1\r\n${H}\r\n`;

interface RejectRow {
  readonly name: string;
  readonly bytes: string;
  readonly status: 400 | 414 | 431 | 501 | 505;
}

/** Refused before anything is forwarded. */
const REJECTED: readonly RejectRow[] = [
  // Content-Length and Transfer-Encoding (RFC 9112 §6.1, §6.3)
  {
    name: 'CL.TE',
    bytes: `${POST}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'TE.CL',
    bytes: `${POST}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'two equal Content-Length fields',
    bytes: `${POST}Content-Length: 2\r\nContent-Length: 2\r\n\r\nhi`,
    status: 400,
  },
  {
    name: 'two differing Content-Length fields',
    bytes: `${POST}Content-Length: 2\r\nContent-Length: 3\r\n\r\nhi!`,
    status: 400,
  },
  { name: 'Content-Length list', bytes: `${POST}Content-Length: 2, 2\r\n\r\nhi`, status: 400 },
  { name: 'Content-Length with a sign', bytes: `${POST}Content-Length: +2\r\n\r\nhi`, status: 400 },
  { name: 'negative Content-Length', bytes: `${POST}Content-Length: -1\r\n\r\n`, status: 400 },
  { name: 'hex Content-Length', bytes: `${POST}Content-Length: 0x2\r\n\r\nhi`, status: 400 },
  { name: 'Content-Length with a letter', bytes: `${POST}Content-Length: 2a\r\n\r\nhi`, status: 400 },
  { name: 'Content-Length with an inner space', bytes: `${POST}Content-Length: 1 1\r\n\r\nhi`, status: 400 },
  { name: 'empty Content-Length', bytes: `${POST}Content-Length:\r\n\r\n`, status: 400 },
  {
    name: 'overflowing Content-Length',
    bytes: `${POST}Content-Length: 18446744073709551617\r\n\r\n`,
    status: 400,
  },
  { name: 'Content_Length lookalike', bytes: `${POST}Content_Length: 2\r\n\r\nhi`, status: 400 },
  // Transfer-Encoding other than a final chunked
  {
    name: 'TE chunked, identity',
    bytes: `${POST}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
    status: 400,
  },
  { name: 'TE identity', bytes: `${POST}Transfer-Encoding: identity\r\n\r\n`, status: 400 },
  {
    name: 'TE chunked on two lines',
    bytes: `${POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'TE chunked then identity line',
    bytes: `${POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n`,
    status: 400,
  },
  { name: 'TE xchunked', bytes: `${POST}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, status: 400 },
  { name: 'TE quoted chunked', bytes: `${POST}Transfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n`, status: 400 },
  {
    name: 'TE chunked with a parameter',
    bytes: `${POST}Transfer-Encoding: chunked;x=1\r\n\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'TE with a vertical tab',
    bytes: `${POST}Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n`,
    status: 400,
  },
  { name: 'TE obs-folded', bytes: `${POST}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`, status: 400 },
  {
    name: 'Transfer_Encoding lookalike',
    bytes: `${POST}Transfer_Encoding: chunked\r\n\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'TE in an HTTP/1.0 request',
    bytes: `POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'TE gzip, chunked',
    bytes: `${POST}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    status: 501,
  },
  // field syntax (RFC 9112 §5)
  { name: 'space before the colon', bytes: `GET / HTTP/1.1\r\nHost : app.test\r\n\r\n`, status: 400 },
  { name: 'tab before the colon', bytes: `GET / HTTP/1.1\r\n${H}X-A\t: 1\r\n\r\n`, status: 400 },
  { name: 'obs-fold', bytes: `GET / HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\n`, status: 400 },
  { name: 'field line starting with a space', bytes: `GET / HTTP/1.1\r\n${H} X-A: 1\r\n\r\n`, status: 400 },
  { name: 'NUL in a value', bytes: `GET / HTTP/1.1\r\n${H}X-A: a\0b\r\n\r\n`, status: 400 },
  { name: 'CTL in a value', bytes: `GET / HTTP/1.1\r\n${H}X-A: a\x01b\r\n\r\n`, status: 400 },
  { name: 'DEL in a value', bytes: `GET / HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`, status: 400 },
  { name: 'bare CR in a value', bytes: `GET / HTTP/1.1\r\n${H}X-A: a\rX-B: b\r\n\r\n`, status: 400 },
  { name: 'NUL in a name', bytes: `GET / HTTP/1.1\r\n${H}X\0A: 1\r\n\r\n`, status: 400 },
  { name: 'space in a name', bytes: `GET / HTTP/1.1\r\n${H}X A: 1\r\n\r\n`, status: 400 },
  { name: 'parenthesis in a name', bytes: `GET / HTTP/1.1\r\n${H}X(A): 1\r\n\r\n`, status: 400 },
  { name: 'empty name', bytes: `GET / HTTP/1.1\r\n${H}: 1\r\n\r\n`, status: 400 },
  { name: 'line without a colon', bytes: `GET / HTTP/1.1\r\n${H}X-A\r\n\r\n`, status: 400 },
  // bare LF (refused everywhere)
  { name: 'bare LF head', bytes: 'GET / HTTP/1.1\nHost: app.test\n\n', status: 400 },
  { name: 'bare LF between fields', bytes: `GET / HTTP/1.1\r\nHost: app.test\nX-A: 1\r\n\r\n`, status: 400 },
  { name: 'bare LF ending the head', bytes: `GET / HTTP/1.1\r\n${H}\n`, status: 400 },
  { name: 'CR CR LF', bytes: `GET / HTTP/1.1\r\r\n${H}\r\n`, status: 400 },
  // request line and version (RFC 9112 §3, §2.3)
  { name: 'not HTTP', bytes: 'THIS IS NOT HTTP\r\n\r\n', status: 400 },
  { name: 'HTTP/0.9 request', bytes: 'GET /\r\n\r\n', status: 400 },
  { name: 'two spaces after the method', bytes: `GET  / HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'tab separators', bytes: `GET\t/\tHTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'space after the version', bytes: `GET / HTTP/1.1 \r\n${H}\r\n`, status: 400 },
  { name: 'space inside the target', bytes: `GET /a b HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'CTL inside the target', bytes: `GET /a\x0bb HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'header injected through the target', bytes: `GET /a\r\nX: y HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'lower-case protocol name', bytes: `GET / http/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'version with two minor digits', bytes: `GET / HTTP/1.10\r\n${H}\r\n`, status: 400 },
  { name: 'version without minor', bytes: `GET / HTTP/1\r\n${H}\r\n`, status: 400 },
  { name: 'HTTP/2.0 over HTTP/1 framing', bytes: `GET / HTTP/2.0\r\n${H}\r\n`, status: 505 },
  { name: 'HTTP/1.2', bytes: `GET / HTTP/1.2\r\n${H}\r\n`, status: 505 },
  { name: 'relative target without a slash', bytes: `GET a HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'asterisk target on GET', bytes: `GET * HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'absolute-form with userinfo', bytes: `GET http://u@app.test/ HTTP/1.1\r\n${H}\r\n`, status: 400 },
  {
    name: 'absolute-form with a non-http scheme',
    bytes: `GET ftp://app.test/ HTTP/1.1\r\n${H}\r\n`,
    status: 400,
  },
  { name: 'five empty lines before the request line', bytes: `\r\n\r\n\r\n\r\n\r\n${GET}`, status: 400 },
  // Host (RFC 9112 §3.2)
  { name: 'missing Host on HTTP/1.1', bytes: 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n', status: 400 },
  { name: 'two Host fields', bytes: `GET / HTTP/1.1\r\n${H}Host: other.test\r\n\r\n`, status: 400 },
  { name: 'two equal Host fields', bytes: `GET / HTTP/1.1\r\n${H}${H}\r\n`, status: 400 },
  { name: 'Host with a path', bytes: 'GET / HTTP/1.1\r\nHost: app.test/x\r\n\r\n', status: 400 },
  { name: 'Host with userinfo', bytes: 'GET / HTTP/1.1\r\nHost: evil@app.test\r\n\r\n', status: 400 },
  { name: 'Host with a bad port', bytes: 'GET / HTTP/1.1\r\nHost: app.test:8a\r\n\r\n', status: 400 },
  { name: 'Host with a space', bytes: 'GET / HTTP/1.1\r\nHost: app test\r\n\r\n', status: 400 },
  // limits (defaults: 8 KiB request line, 32 KiB head, 100 fields)
  { name: 'request line over 8 KiB', bytes: `GET /${'a'.repeat(9000)} HTTP/1.1\r\n${H}\r\n`, status: 414 },
  {
    name: 'head over 32 KiB',
    bytes: `GET / HTTP/1.1\r\n${H}X-Big: ${'b'.repeat(33 * 1024)}\r\n\r\n`,
    status: 431,
  },
  {
    name: '101 header fields',
    bytes: `GET / HTTP/1.1\r\n${H}${Array.from({ length: 100 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`,
    status: 431,
  },
];

interface ForwardRow {
  readonly name: string;
  readonly bytes: string;
  /** What the backend must see of the one request it receives. */
  readonly check: (request: ParsedRequest) => void;
  /** Responses the client reads, interim ones included; 1 unless given. */
  readonly responses?: number;
}

function field(request: ParsedRequest, name: string): string[] {
  return request.rawHeaders.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

/** Forwarded, re-serialised: each check names what the backend must see. */
const FORWARDED: readonly ForwardRow[] = [
  {
    name: 'TE with a trailing space (OWS) is chunked',
    bytes: `${POST}Transfer-Encoding: chunked \r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
    check: (r) => {
      expect(r.body.toString()).toBe('hi');
    },
  },
  {
    name: 'TE with a leading tab (OWS) is chunked',
    bytes: `${POST}Transfer-Encoding:\tchunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
    check: (r) => {
      expect(r.body.toString()).toBe('hi');
    },
  },
  {
    name: 'TE Chunked (codings are case-insensitive)',
    bytes: `${POST}Transfer-Encoding: Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
    check: (r) => {
      expect(r.body.toString()).toBe('hi');
    },
  },
  {
    name: 'chunk extensions and trailers are dropped',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n2;a=b\r\nhi\r\n0\r\nX-Trailer: t\r\n\r\n`,
    check: (r) => {
      expect(r.body.toString()).toBe('hi');
      expect(r.trailers).toEqual([]);
      expect(r.raw.toString('latin1')).not.toContain('a=b');
    },
  },
  {
    name: 'Content-Length with OWS',
    bytes: `${POST}Content-Length:  2 \r\n\r\nhi`,
    check: (r) => {
      expect(r.framing).toBe('content-length');
      expect(field(r, 'content-length')).toEqual(['2']);
      expect(r.body.toString()).toBe('hi');
    },
  },
  {
    name: 'absolute-form target wins over Host',
    bytes: 'GET http://other.test/x?y=1 HTTP/1.1\r\nHost: app.test\r\n\r\n',
    check: (r) => {
      expect(r.target).toBe('/x?y=1');
      expect(field(r, 'host')).toEqual(['other.test']);
    },
  },
  {
    name: 'up to four empty lines before the request line',
    bytes: `\r\n\r\n\r\n\r\n${GET}`,
    check: (r) => {
      expect(r.target).toBe('/');
    },
  },
  {
    name: 'Expect: 100-continue is answered by Junction, not forwarded',
    bytes: `${POST}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi`,
    responses: 2,
    check: (r) => {
      expect(field(r, 'expect')).toEqual([]);
      expect(r.body.toString()).toBe('hi');
    },
  },
  {
    name: 'hop-by-hop fields named by Connection are removed',
    bytes: `GET / HTTP/1.1\r\n${H}Connection: x-hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\n\r\n`,
    check: (r) => {
      expect(field(r, 'x-hop')).toEqual([]);
      expect(field(r, 'keep-alive')).toEqual([]);
    },
  },
];

/** Refused mid-body: the head went out, the body never completes, both connections close. */
const BODY_REJECTED: readonly { name: string; bytes: string }[] = [
  { name: 'non-hex chunk size', bytes: `${POST}Transfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n` },
  { name: 'chunk size with 0x', bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n0x2\r\nhi\r\n0\r\n\r\n` },
  { name: 'negative chunk size', bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n-2\r\nhi\r\n0\r\n\r\n` },
  {
    name: 'chunk size with leading space',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n 2\r\nhi\r\n0\r\n\r\n`,
  },
  {
    name: 'chunk size with trailing space',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n2 \r\nhi\r\n0\r\n\r\n`,
  },
  {
    name: 'space before a chunk extension',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n2 ;a\r\nhi\r\n0\r\n\r\n`,
  },
  {
    name: 'chunk size of 17 hex digits',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n${'0'.repeat(16)}2\r\nhi\r\n0\r\n\r\n`,
  },
  {
    name: 'chunk size over 2^53',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nhi\r\n0\r\n\r\n`,
  },
  {
    name: 'chunk data longer than its size',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n2\r\nhi!\r\n0\r\n\r\n`,
  },
  {
    name: 'chunk data ended by bare LF',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n2\r\nhi\n0\r\n\r\n`,
  },
  {
    name: 'chunk size line ended by bare LF',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n2\nhi\r\n0\r\n\r\n`,
  },
  {
    name: 'chunk extension over 4 KiB',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n2;${'e'.repeat(5000)}\r\nhi\r\n0\r\n\r\n`,
  },
  {
    name: 'NUL in a chunk extension',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n2;a\0\r\nhi\r\n0\r\n\r\n`,
  },
  {
    name: 'obs-fold in a trailer',
    bytes: `${POST}Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n 2\r\n\r\n`,
  },
];

describe('requests through Junction to a capture backend', () => {
  let backend: CaptureBackend;
  let junction: RunningJunction;
  let sentinel = 0;

  beforeAll(async () => {
    backend = await captureBackend();
    junction = await startJunctionFromYaml(`
routes:
  - { match: { path: / }, cluster: app }
clusters:
  app: { backends: ${backendList(backend)} }`);
  });
  afterAll(async () => {
    await junction.close();
    await backend.close();
  });

  /**
   * Sends a valid request on a fresh connection and waits for the backend to have it: whatever Junction
   * forwarded of an earlier request has then reached the backend too (it was written first).
   */
  async function barrier(): Promise<Buffer> {
    const before = backend.received.length;
    const path = `/sentinel-${++sentinel}`;
    const result = await rawRequest(junction.port, `GET ${path} HTTP/1.1\r\n${H}\r\n`, { responses: 1 });
    expect(result.responses[0]?.statusCode).toBe(200);
    await waitFor(() => backend.requests.some((r) => r.target === path));
    return backend.received.subarray(before);
  }

  test.each(REJECTED)('refused with $status: $name', async ({ bytes, status }) => {
    const before = backend.received.length;
    const result = await rawRequest(junction.port, Buffer.from(bytes, 'latin1'), { timeoutMs: 3_000 });
    expect(result.timedOut).toBe(false);
    expect(result.ended).toBe(true);
    expect(result.responses).toHaveLength(1);
    expect(result.responses[0]).toMatchObject({ statusCode: status, complete: true });
    expect(result.responses[0]?.headers['connection']?.toLowerCase()).toBe('close');
    // Between `before` and the barrier request, the backend received nothing but the barrier itself.
    const between = backend.received.subarray(before, backend.received.length);
    expect(between.length).toBe(0);
    const barrierBytes = await barrier();
    expect(barrierBytes.toString('latin1')).toMatch(/^GET \/sentinel-\d+ HTTP\/1\.1\r\n/);
    expect(backend.received.length - before).toBe(barrierBytes.length);
  });

  test.each(FORWARDED)('forwarded: $name', async ({ bytes, check, responses }) => {
    const beforeBytes = backend.received.length;
    const beforeRequests = backend.requests.length;
    const result = await rawRequest(junction.port, Buffer.from(bytes, 'latin1'), {
      responses: responses ?? 1,
    });
    const final = result.responses.filter((r) => r.statusCode >= 200);
    expect(final[0]).toMatchObject({ statusCode: 200, complete: true });
    await waitFor(() => backend.requests.length > beforeRequests);
    const seen = backend.requests.slice(beforeRequests);
    expect(seen).toHaveLength(1);
    const forwarded = seen[0]!;
    // Exactly one message, and its bytes are all the backend received: nothing before, nothing after.
    expect(backend.received.subarray(beforeBytes).equals(forwarded.raw)).toBe(true);
    const cl = field(forwarded, 'content-length');
    const te = field(forwarded, 'transfer-encoding');
    expect(cl.length + te.length).toBeLessThanOrEqual(1);
    if (te.length === 1) expect(te[0]).toBe('chunked');
    expect(field(forwarded, 'host').length).toBeLessThanOrEqual(1);
    const text = forwarded.raw.toString('latin1');
    const head = text.slice(0, text.indexOf('\r\n\r\n'));
    expect(head).not.toMatch(/[^\r]\n|\r[^\n]/);
    check(forwarded);
  });

  test('Expect: 100-continue gets a 100 Continue before the final response', async () => {
    const client = await RawClient.connect(junction.port);
    try {
      await client.write(`${POST}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n`);
      await client.readUntil((received) =>
        received.toString('latin1').startsWith('HTTP/1.1 100 Continue\r\n\r\n'),
      );
      await client.write('hi');
      const [interim, final] = await client.readResponses(2);
      expect(interim?.statusCode).toBe(100);
      expect(final?.statusCode).toBe(200);
    } finally {
      await client.close();
    }
  });

  test.each(BODY_REJECTED)('body refused: $name', async ({ bytes }) => {
    const beforeRequests = backend.requests.length;
    const result = await rawRequest(junction.port, Buffer.from(bytes, 'latin1'), { timeoutMs: 3_000 });
    expect(result.timedOut).toBe(false);
    expect(result.ended).toBe(true);
    // Either a 400 (nothing sent upstream yet) or no complete response at all: never a 200 for it.
    for (const response of result.responses) expect(response.statusCode).toBe(400);
    await barrier();
    // The barrier is the only request the backend completed: the broken body never formed a request.
    const completed = backend.requests.slice(beforeRequests);
    expect(completed.map((r) => r.target)).toEqual([expect.stringMatching(/^\/sentinel-/)]);
    // Had Junction reused the upstream connection that carried the broken head, the capture backend would
    // read the barrier as more of that body and the barrier above would never complete.
  });
});

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

interface ResponseRow {
  readonly name: string;
  /** What the backend answers to the first request. */
  readonly response: string;
  readonly method?: string;
  /**
   * 502: Junction answers itself (bad framing found before anything went to the client, bad chunks
   * that came with the head included). `clean`: the client gets a well-framed response with that status
   * and `body` (empty unless given).
   */
  readonly outcome: 502 | { clean: number; body?: string };
}

const RESPONSES: readonly ResponseRow[] = [
  {
    name: 'CL.TE',
    response: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    outcome: 502,
  },
  {
    name: 'TE.CL',
    response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n',
    outcome: 502,
  },
  {
    name: 'two differing Content-Length',
    response: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!',
    outcome: 502,
  },
  {
    name: 'Content-Length not digits',
    response: 'HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok',
    outcome: 502,
  },
  { name: 'TE gzip', response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok', outcome: 502 },
  {
    name: 'TE chunked, identity',
    response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    outcome: 502,
  },
  {
    name: 'TE in an HTTP/1.0 response',
    response: 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    outcome: 502,
  },
  {
    name: 'obs-fold',
    response: 'HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 2\r\n\r\nok',
    outcome: 502,
  },
  {
    name: 'splitting with a bare CR',
    response: 'HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: evil=1\r\nContent-Length: 2\r\n\r\nok',
    outcome: 502,
  },
  {
    name: 'splitting with a bare LF',
    response: 'HTTP/1.1 200 OK\r\nX-A: a\nSet-Cookie: evil=1\r\nContent-Length: 2\r\n\r\nok',
    outcome: 502,
  },
  { name: 'bare LF head', response: 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok', outcome: 502 },
  {
    name: 'NUL in a value',
    response: 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 2\r\n\r\nok',
    outcome: 502,
  },
  {
    name: 'space before the colon',
    response: 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok',
    outcome: 502,
  },
  {
    name: 'status of four digits',
    response: 'HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok',
    outcome: 502,
  },
  { name: 'HTTP/2.0 status line', response: 'HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok', outcome: 502 },
  {
    name: 'bad chunk size',
    response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n',
    outcome: 502,
  },
  {
    name: 'chunk data without CRLF',
    response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok!0\r\n\r\n',
    outcome: 502,
  },
  {
    name: 'chunk size overflow',
    response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\nok\r\n0\r\n\r\n',
    outcome: 502,
  },
  {
    name: 'HEAD answered with a body',
    method: 'HEAD',
    response: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
    outcome: { clean: 200 },
  },
  {
    name: '204 with a body',
    response: 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello',
    outcome: { clean: 204 },
  },
  {
    name: '304 with a chunked body',
    response: 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    outcome: { clean: 304 },
  },
  {
    name: 'a second response smuggled after the first',
    response: `${OK}HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil`,
    outcome: { clean: 200, body: 'ok' },
  },
];

describe('upstream responses', () => {
  test.each(RESPONSES)('$name', async ({ response, method, outcome }) => {
    let first = true;
    const backend = await captureBackend({
      response: () => {
        const bytes = first ? response : OK;
        first = false;
        return bytes;
      },
    });
    const junction = await startJunctionFromYaml(`
routes:
  - { match: { path: / }, cluster: app }
clusters:
  app: { backends: ${backendList(backend)}, retry: { attempts: 1 } }`);
    try {
      const client = await RawClient.connect(junction.port);
      try {
        await client.write(`${method ?? 'GET'} /bad HTTP/1.1\r\n${H}\r\n`);
        const [answer] = await client.readResponses(1, { requestMethods: [method ?? 'GET'] });
        if (outcome === 502) {
          expect(answer?.statusCode).toBe(502);
        } else {
          expect(answer?.statusCode).toBe(outcome.clean);
          expect(answer?.body.toString()).toBe(outcome.body ?? '');
          expect(answer?.raw.toString('latin1')).not.toContain('evil');
        }
      } finally {
        await client.close();
      }
      // The next request gets the backend's good answer, on a new upstream connection: the one that
      // carried the bad response was not reused (reusing it would read its leftovers as the next response).
      const next = await rawRequest(junction.port, `GET /next HTTP/1.1\r\n${H}\r\n`, { responses: 1 });
      expect(next.responses[0]).toMatchObject({ statusCode: 200, complete: true });
      expect(next.responses[0]?.body.toString()).toBe('ok');
      const bad = backend.requests.find((r) => r.target === '/bad');
      const good = backend.requests.find((r) => r.target === '/next');
      expect(bad).toBeDefined();
      expect(good?.connectionId).not.toBe(bad?.connectionId);
    } finally {
      await junction.close();
      await backend.close();
    }
  });
});

test('bad chunk framing after the head went out: the client connection is cut, never completed, and the upstream connection is not reused', async () => {
  let connections = 0;
  const backend = await rawBackend((socket) => {
    const id = ++connections;
    socket.on('data', () => {
      if (id > 1) {
        socket.write(OK);
        return;
      }
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      setTimeout(() => socket.write('zz\r\nevil\r\n0\r\n\r\n'), 150).unref();
    });
  });
  const junction = await startJunctionFromYaml(`
routes:
  - { match: { path: / }, cluster: app }
clusters:
  app: { backends: ${backendList(backend)}, retry: { attempts: 1 } }`);
  try {
    const client = await RawClient.connect(junction.port);
    try {
      await client.write(`GET /bad HTTP/1.1\r\n${H}\r\n`);
      expect(await client.waitForEnd(3_000)).toBe(true);
      const [partial] = client.pendingResponses();
      expect(partial?.statusCode).toBe(200);
      expect(partial?.complete).toBe(false);
      expect(partial?.raw.toString('latin1')).not.toContain('evil');
    } finally {
      await client.close();
    }
    const next = await rawRequest(junction.port, `GET /next HTTP/1.1\r\n${H}\r\n`, { responses: 1 });
    expect(next.responses[0]).toMatchObject({ statusCode: 200, complete: true });
    expect(connections).toBe(2);
  } finally {
    await junction.close();
    await backend.close();
  }
});
