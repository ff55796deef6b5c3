/**
 * Clients for e2e tests, all on 127.0.0.1 and all bounded in time:
 * - `rawRequest` and `RawClient` speak exact bytes over `node:net` (never trust one read: they accumulate
 *   until a predicate, a number of complete responses, EOF or a deadline);
 * - `request` is the convenience path through `node:http`, with `agent: false` unless given an Agent.
 */
import { createHash } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseResponses, type ParsedResponse, type ResponseFramingOptions } from './http-frames.ts';

export { parseResponses, parseRequests, splitResponses, splitRequests, headerValue } from './http-frames.ts';
export type { ParsedResponse, ParsedRequest, HeaderList, BodyFraming } from './http-frames.ts';

const DEFAULT_TIMEOUT_MS = 5_000;

/** Everything a socket has received so far, and whether the peer is done. */
class SocketReader {
  private chunks: Buffer[] = [];
  private cached: Buffer | undefined = Buffer.alloc(0);
  private waiters = new Set<() => void>();
  ended = false;
  error: Error | undefined = undefined;
  readonly socket: Socket;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.cached = undefined;
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    // A reset after the peer answered is an outcome the test inspects, not a crash.
    socket.on('error', (error) => {
      this.error = error;
      this.wake();
    });
  }

  get received(): Buffer {
    this.cached ??= Buffer.concat(this.chunks);
    this.chunks = [this.cached];
    return this.cached;
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /**
   * Resolves once `check` returns a value other than undefined (re-run on every event), or rejects when
   * the peer closes first or `timeoutMs` passes; the error shows what had arrived.
   */
  until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(evaluate);
      };
      const evaluate = (): void => {
        let value: T | undefined;
        try {
          value = check();
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value !== undefined) {
          finish();
          resolve(value);
        } else if (this.ended) {
          finish();
          reject(new Error(`${what}: connection ended first; received ${describeBytes(this.received)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${what}: not within ${timeoutMs} ms; received ${describeBytes(this.received)}`));
      }, timeoutMs);
      this.waiters.add(evaluate);
      evaluate();
    });
  }

  /** Resolves true when the peer has closed, false if it has not within `timeoutMs`. */
  waitForEnd(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const evaluate = (): void => {
        if (!this.ended) return;
        clearTimeout(timer);
        this.waiters.delete(evaluate);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(evaluate);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(evaluate);
      evaluate();
    });
  }
}

const readers = new WeakMap<Socket, SocketReader>();

function readerFor(socket: Socket): SocketReader {
  let reader = readers.get(socket);
  if (!reader) {
    reader = new SocketReader(socket);
    readers.set(socket, reader);
  }
  return reader;
}

/**
 * Resolves with every byte `socket` has received since the first `readUntil` on it, once `predicate`
 * holds for them; rejects when the peer closes first or after `timeoutMs`.
 */
export function readUntil(
  socket: Socket,
  predicate: (received: Buffer) => boolean,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<Buffer> {
  const reader = readerFor(socket);
  return reader.until(
    () => (predicate(reader.received) ? reader.received : undefined),
    timeoutMs,
    'readUntil',
  );
}

/** Opens a TCP connection to 127.0.0.1:`port`, bounded by `timeoutMs`. */
export function connectTo(port: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to 127.0.0.1:${port}: not within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', onError);
  });
}

/**
 * One client connection that speaks exact bytes. It keeps everything it receives; `readResponses` walks
 * forward through it response by response.
 */
export class RawClient {
  private readonly reader: SocketReader;
  /** Offset in `received` up to which responses were already returned by `readResponses`. */
  private cursor = 0;

  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.reader = readerFor(socket);
  }

  static async connect(port: number, options: { timeoutMs?: number } = {}): Promise<RawClient> {
    return new RawClient(await connectTo(port, options.timeoutMs));
  }

  /** Every byte received so far. */
  get received(): Buffer {
    return this.reader.received;
  }

  /** Whether the peer has closed (FIN, reset or local close). */
  get ended(): boolean {
    return this.reader.ended;
  }

  /** The socket error seen, such as ECONNRESET, if any. */
  get error(): Error | undefined {
    return this.reader.error;
  }

  /** Writes bytes; resolves when they are handed to the kernel (rejects if the socket is gone). */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(data, (error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }

  readUntil(predicate: (received: Buffer) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    return readUntil(this.socket, predicate, timeoutMs);
  }

  /**
   * Waits for `count` more complete responses after those already returned, and returns them. Rejects if
   * the connection ends first or `timeoutMs` passes.
   */
  async readResponses(
    count: number,
    options: { timeoutMs?: number; requestMethods?: readonly string[] } = {},
  ): Promise<ParsedResponse[]> {
    const found = await this.reader.until(
      () => {
        const responses = parseResponses(this.received.subarray(this.cursor), {
          eof: this.reader.ended,
          ...(options.requestMethods ? { requestMethods: options.requestMethods } : {}),
        }).filter((r) => r.complete);
        return responses.length >= count ? responses.slice(0, count) : undefined;
      },
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      `readResponses(${count})`,
    );
    for (const response of found) this.cursor += response.raw.length;
    return found;
  }

  /** Convenience for one request/response exchange on this connection. */
  async exchange(data: string | Buffer, options: { timeoutMs?: number } = {}): Promise<ParsedResponse> {
    await this.write(data);
    const [response] = await this.readResponses(1, options);
    return response!;
  }

  /** True when the peer closes within `timeoutMs`, false when it keeps the connection open. */
  waitForEnd(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<boolean> {
    return this.reader.waitForEnd(timeoutMs);
  }

  /** The responses received since the cursor, including an incomplete last one. */
  pendingResponses(options: ResponseFramingOptions = {}): ParsedResponse[] {
    return parseResponses(this.received.subarray(this.cursor), { eof: this.reader.ended, ...options });
  }

  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => {
        resolve();
      });
      this.socket.destroy();
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export interface RawRequestOptions {
  /** Stop waiting after this long; defaults to 5 s. */
  readonly timeoutMs?: number;
  /** Stop as soon as this many complete responses arrived, instead of waiting for EOF. */
  readonly responses?: number;
}

export interface RawResult {
  /** Every byte received. */
  readonly data: Buffer;
  /** `data` as latin1 text, for matching. */
  readonly text: string;
  /** Whether the peer closed the connection (FIN or reset) before we stopped reading. */
  readonly ended: boolean;
  /** Whether we stopped because the deadline passed. */
  readonly timedOut: boolean;
  /** The responses in `data`; the last may be incomplete (`complete: false`). */
  readonly responses: ParsedResponse[];
  /** Why `data` could not be read as responses (then `responses` holds those before the bad bytes). */
  readonly parseError: string | undefined;
  /** A socket error seen, such as ECONNRESET. */
  readonly error: Error | undefined;
}

/**
 * Sends `bytes` on a fresh connection and collects the answer until EOF, until `responses` complete
 * responses arrived, or until `timeoutMs` — never longer. The connection is closed afterwards.
 */
export async function rawRequest(
  port: number,
  bytes: string | Buffer,
  options: RawRequestOptions = {},
): Promise<RawResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = await RawClient.connect(port, { timeoutMs });
  try {
    client.socket.write(bytes);
    const wanted = options.responses;
    let timedOut = false;
    try {
      await client.readUntil(
        (received) =>
          wanted !== undefined &&
          tryParseResponses(received, false).responses.filter((r) => r.complete).length >= wanted,
        timeoutMs,
      );
    } catch (error) {
      if (!client.ended) {
        if (!(error instanceof Error) || !error.message.includes('not within')) throw error;
        timedOut = true;
      }
    }
    const data = client.received;
    const parsed = tryParseResponses(data, client.ended);
    return {
      data,
      text: data.toString('latin1'),
      ended: client.ended,
      timedOut,
      responses: parsed.responses,
      parseError: parsed.error,
      error: client.error,
    };
  } finally {
    await client.close();
  }
}

export interface HttpRequestOptions {
  readonly method?: string;
  /** Request target; defaults to `/`. */
  readonly path?: string;
  readonly headers?: OutgoingHttpHeaders;
  /** A Buffer or string is sent with Content-Length; a stream or iterable is sent chunked. */
  readonly body?: string | Buffer | Readable | Iterable<Buffer> | AsyncIterable<Buffer>;
  /** `false` (the default) opens a fresh connection; pass a keep-alive Agent to reuse them. */
  readonly agent?: Agent | false;
  /** Abort after this long; defaults to 10 s. */
  readonly timeoutMs?: number;
  /** Keep the body bytes (default); with false only its length and hash are kept (for huge bodies). */
  readonly collectBody?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  /** Empty when `collectBody: false`. */
  readonly body: Buffer;
  readonly bodyLength: number;
  readonly bodySha256: string;
  /** Whether node:http reused a kept-alive connection for this request. */
  readonly reusedSocket: boolean;
  readonly text: string;
  /** The body parsed as JSON (cast it to the backend's reply type). */
  json(): unknown;
}

/** One request through node:http to 127.0.0.1:`port`, bounded by `timeoutMs`. */
export function request(port: number, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const collect = options.collectBody ?? true;
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: options.method ?? 'GET',
      path: options.path ?? '/',
      headers: options.headers ?? {},
      agent: options.agent ?? false,
    });
    const timer = setTimeout(() => {
      req.destroy(
        new Error(`${options.method ?? 'GET'} ${options.path ?? '/'}: no full response in ${timeoutMs} ms`),
      );
    }, timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const hash = createHash('sha256');
      const parts: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
        if (collect) parts.push(chunk);
      });
      res.on('error', fail);
      res.on('aborted', () => {
        fail(new Error('response aborted before its end'));
      });
      res.on('end', () => {
        clearTimeout(timer);
        const body = Buffer.concat(parts);
        resolve({
          status: res.statusCode ?? 0,
          httpVersion: res.httpVersion,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body,
          bodyLength: length,
          bodySha256: hash.digest('hex'),
          reusedSocket: req.reusedSocket,
          get text() {
            return body.toString('utf8');
          },
          json(): unknown {
            return JSON.parse(body.toString('utf8'));
          },
        });
      });
    });
    const body = options.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
      req.end(body);
    } else {
      const source = body instanceof Readable ? body : Readable.from(body);
      pipeline(source, req).catch(fail);
    }
  });
}

/** A keep-alive Agent with one socket, so consecutive requests share one connection. Destroy it after. */
export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}

function tryParseResponses(
  data: Buffer,
  eof: boolean,
): { responses: ParsedResponse[]; error: string | undefined } {
  try {
    return { responses: parseResponses(data, { eof }), error: undefined };
  } catch (error) {
    return { responses: [], error: error instanceof Error ? error.message : String(error) };
  }
}

function describeBytes(buf: Buffer): string {
  const shown = buf.subarray(0, 400).toString('latin1');
  return `${buf.length} bytes ${JSON.stringify(shown)}${buf.length > 400 ? '…' : ''}`;
}
