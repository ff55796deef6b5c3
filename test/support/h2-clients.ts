/**
 * HTTP/2 clients for the e2e tests: node:http2 sessions (`h2Connect`, `h2Request`) and raw frames
 * over a plain socket (`rawFrame`, `H2C_PREFACE_BYTES`) for what Node's client will not send.
 */
import {
  connect,
  constants,
  type ClientHttp2Session,
  type IncomingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';
import { withTimeout } from './wait-for.ts';

export interface H2Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly trailers: IncomingHttpHeaders;
}

/** An HTTP/2 session to `authority` (http:// for h2c with prior knowledge, https:// for TLS). */
export async function h2Connect(
  authority: string,
  options: SecureClientSessionOptions = {},
): Promise<ClientHttp2Session> {
  const session = connect(authority, options);
  session.on('error', ignore);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      session.once('connect', () => {
        resolve();
      });
      session.once('error', reject);
    }),
    5000,
    `HTTP/2 connection to ${authority}`,
  );
  return session;
}

/** One request on `session`; the whole response, trailers included. */
export function h2Request(
  session: ClientHttp2Session,
  headers: Record<string, string | string[]>,
  body?: Buffer | string,
  timeoutMs = 10_000,
): Promise<H2Response> {
  const stream = session.request(
    { ':method': 'GET', ':path': '/', ...headers },
    { endStream: body === undefined },
  );
  if (body !== undefined) stream.end(body);
  return withTimeout(
    new Promise<H2Response>((resolve, reject) => {
      let status = 0;
      let head: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        head = h;
        status = Number(h[':status']);
      });
      stream.on('trailers', (t: IncomingHttpHeaders) => {
        trailers = t;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        resolve({ status, headers: head, body: Buffer.concat(chunks), trailers });
      });
      stream.on('error', reject);
      stream.on('close', () => {
        if (stream.rstCode !== constants.NGHTTP2_NO_ERROR)
          reject(new Error(`stream reset: ${stream.rstCode}`));
      });
    }),
    timeoutMs,
    `HTTP/2 request ${String(headers[':path'] ?? '/')}`,
  );
}

export const H2C_PREFACE_BYTES = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FRAME = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PING: 0x6,
  GOAWAY: 0x7,
  CONTINUATION: 0x9,
} as const;

/** One HTTP/2 frame: 9-byte header then `payload`. */
export function rawFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK block of literal fields without indexing (no Huffman): enough for test requests. */
export function hpackLiterals(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    parts.push(Buffer.from([0x00]), hpackString(name), hpackString(value));
  }
  return Buffer.concat(parts);
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  return Buffer.concat([hpackInteger(bytes.length, 7, 0x00), bytes]);
}

function hpackInteger(value: number, prefixBits: number, flags: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([flags | value]);
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/** The type of each complete frame in `bytes` (a server's reply), with GOAWAY's error code. */
export function frameTypes(bytes: Buffer): { type: number; errorCode?: number }[] {
  const out: { type: number; errorCode?: number }[] = [];
  let at = 0;
  while (at + 9 <= bytes.length) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    const type = bytes[at + 3]!;
    out.push(type === FRAME.GOAWAY ? { type, errorCode: bytes.readUInt32BE(at + 9 + 4) } : { type });
    at += 9 + length;
  }
  return out;
}

function ignore(): void {
  return;
}
