/**
 * Upstream servers for e2e tests, named by behaviour (sozu's mock backends, envoy's FakeUpstream). Each
 * listens on 127.0.0.1 port 0, counts the TCP connections it accepted, and has `close()` and
 * `[Symbol.asyncDispose]`; tests register `onTestFinished(() => backend.close())`.
 *
 * - node:http servers for well-behaved upstreams: `echoBackend`, `countingBackend`, `slowHeadBackend`,
 *   `chunkedBackend`, `bigBodyBackend`, `sinkBackend`;
 * - raw `node:net` servers for exact bytes and misbehaviour: `rawBackend`, `captureBackend`,
 *   `garbageBackend`, `closeMidBodyBackend`, `neverAnswerBackend`, `closeBeforeHeadBackend`,
 *   `resetOnConnectBackend`;
 * - `closedPort()`: a port nothing listens on.
 */
import { createHash } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { splitRequests, type ParsedRequest } from './http-frames.ts';
import { patternStream } from './pattern.ts';

export interface Backend {
  readonly name: string;
  readonly port: number;
  /** `127.0.0.1:<port>`, as written in a cluster's `backends`. */
  readonly address: string;
  /** TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// node:http backends

/** What an http backend saw of one request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  /** Names as sent, in order: `[name, value, name, value, …]`. */
  readonly rawHeaders: readonly string[];
  readonly bodyLength: number;
  readonly bodySha256: string;
  /** The body as UTF-8 when it is at most 64 KiB, else empty. */
  readonly bodyText: string;
  /** 1-based number of the TCP connection the request came on. */
  readonly connectionId: number;
}

/** The JSON body `echoBackend` answers with. */
export interface EchoReply {
  readonly backend: string;
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly bodyLength: number;
  readonly bodySha256: string;
  readonly connectionId: number;
}

export interface HttpBackend extends Backend {
  /** Requests whose body was read completely, in order of completion. */
  readonly requests: readonly SeenRequest[];
  /** Requests whose head arrived (counted before any delay or body read). */
  readonly requestsStarted: number;
  /** Connections that have closed (either side). */
  readonly closedConnections: number;
}

type ReplyFn = (seen: SeenRequest, res: ServerResponse, req: IncomingMessage) => void;

interface HttpBackendOptions {
  /** Wait this long after the request head before answering. */
  readonly delayMs?: number;
  /** Close a kept-alive connection after this long idle; defaults to 30 s. */
  readonly keepAliveTimeoutMs?: number;
}

async function startHttpBackend(
  name: string,
  options: HttpBackendOptions,
  reply: ReplyFn,
): Promise<HttpBackend> {
  const requests: SeenRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const connectionIds = new WeakMap<Socket, number>();
  let connections = 0;
  let closedConnections = 0;
  let requestsStarted = 0;
  const server = createHttpServer({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000 }, (req, res) => {
    requestsStarted++;
    const connectionId = connectionIds.get(req.socket) ?? 0;
    const hash = createHash('sha256');
    const small: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
      if (length <= 64 * 1024) small.push(chunk);
    });
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        httpVersion: req.httpVersion,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        bodyLength: length,
        bodySha256: hash.digest('hex'),
        bodyText: length <= 64 * 1024 ? Buffer.concat(small).toString('utf8') : '',
        connectionId,
      };
      requests.push(seen);
      const answer = (): void => {
        if (!res.destroyed) reply(seen, res, req);
      };
      if (options.delayMs === undefined) {
        answer();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, options.delayMs);
      timers.add(timer);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    connectionIds.set(socket, connections);
    socket.on('close', () => {
      closedConnections++;
    });
  });
  server.on('clientError', (_error, socket: Socket) => {
    socket.destroy();
  });
  await listen(server);
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    }));
  return {
    name,
    port,
    address: `127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get requestsStarted() {
      return requestsStarted;
    },
    get closedConnections() {
      return closedConnections;
    },
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

export interface EchoBackendOptions extends HttpBackendOptions {
  /** Status to answer with; defaults to 200. */
  readonly status?: number;
  /** Extra response headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Answers every request with JSON describing it (`EchoReply`: its name, method, url, headers, body length
 * and SHA-256, connection number) with Content-Length, and records it in `requests`.
 */
export function echoBackend(name: string, options: EchoBackendOptions = {}): Promise<HttpBackend> {
  return startHttpBackend(name, options, (seen, res) => {
    const reply: EchoReply = {
      backend: name,
      method: seen.method,
      url: seen.url,
      httpVersion: seen.httpVersion,
      headers: seen.headers,
      bodyLength: seen.bodyLength,
      bodySha256: seen.bodySha256,
      connectionId: seen.connectionId,
    };
    sendJson(res, options.status ?? 200, reply, options.headers);
  });
}

/** Answers every request with its name as a short text body; counts requests and connections. */
export function countingBackend(name: string, options: HttpBackendOptions = {}): Promise<HttpBackend> {
  return startHttpBackend(name, options, (_seen, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(name) });
    res.end(name);
  });
}

/** An echo backend that waits `delayMs` after each request before sending the response head. */
export function slowHeadBackend(delayMs: number, name = `slow-${delayMs}ms`): Promise<HttpBackend> {
  return echoBackend(name, { delayMs });
}

export interface ChunkedBackend extends HttpBackend {
  /** Chunks written so far, over all responses. */
  readonly chunksWritten: number;
  readonly responsesCompleted: number;
}

/**
 * Answers with `chunks` written one at a time, `intervalMs` apart, without Content-Length (so node:http
 * frames them as chunked for an HTTP/1.1 request). The head is flushed before the first chunk.
 */
export async function chunkedBackend(
  options: { name?: string; chunks?: readonly string[]; intervalMs?: number } = {},
): Promise<ChunkedBackend> {
  const chunks = options.chunks ?? ['alpha-', 'beta-', 'gamma'];
  const intervalMs = options.intervalMs ?? 20;
  let chunksWritten = 0;
  let responsesCompleted = 0;
  const timers = new Set<NodeJS.Timeout>();
  const backend = await startHttpBackend(options.name ?? 'chunked', {}, (_seen, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    let index = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (index === chunks.length) {
        res.end(() => {
          responsesCompleted++;
        });
        return;
      }
      res.write(chunks[index++]);
      chunksWritten++;
      const timer = setTimeout(() => {
        timers.delete(timer);
        next();
      }, intervalMs);
      timers.add(timer);
    };
    next();
  });
  const close = (): Promise<void> => {
    for (const timer of timers) clearTimeout(timer);
    return backend.close();
  };
  return withLive(delegate(backend), {
    get chunksWritten() {
      return chunksWritten;
    },
    get responsesCompleted() {
      return responsesCompleted;
    },
    close,
    [Symbol.asyncDispose]: close,
  });
}

export interface BigBodyBackend extends HttpBackend {
  readonly responsesCompleted: number;
}

/**
 * Answers with `totalBytes` of the pattern (see pattern.ts), generated while streaming with backpressure
 * so nothing big is allocated. Content-Length by default, chunked with `{ chunked: true }`.
 */
export async function bigBodyBackend(
  totalBytes: number,
  options: { chunked?: boolean; name?: string } = {},
): Promise<BigBodyBackend> {
  let responsesCompleted = 0;
  const backend = await startHttpBackend(options.name ?? 'big-body', {}, (_seen, res) => {
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      ...(options.chunked ? {} : { 'content-length': totalBytes }),
    });
    const source = patternStream(totalBytes);
    source.pipe(res);
    res.on('finish', () => {
      responsesCompleted++;
    });
    res.on('close', () => {
      source.destroy();
    });
  });
  return withLive(delegate(backend), {
    get responsesCompleted() {
      return responsesCompleted;
    },
  });
}

/** The JSON body `sinkBackend` answers with. */
export interface SinkReply {
  readonly backend: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly headers: IncomingHttpHeaders;
}

/** Consumes an upload of any size (hashing it, keeping none of it) and answers with `SinkReply`. */
export function sinkBackend(name = 'sink'): Promise<HttpBackend> {
  return startHttpBackend(name, {}, (seen, res) => {
    const reply: SinkReply = {
      backend: name,
      bytes: seen.bodyLength,
      sha256: seen.bodySha256,
      headers: seen.headers,
    };
    sendJson(res, 200, reply);
  });
}

// ---------------------------------------------------------------------------------------------------------
// raw TCP backends

export interface RawBackend extends Backend {
  /** The sockets currently open. */
  readonly sockets: ReadonlySet<Socket>;
}

/**
 * A `node:net` server that hands every accepted socket to `handler`. Socket errors are swallowed (a proxy
 * that resets a connection is an outcome the test checks elsewhere); `close()` destroys every socket.
 */
export async function rawBackend(handler: (socket: Socket) => void, name = 'raw'): Promise<RawBackend> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
    });
    handler(socket);
  });
  await listen(server);
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      for (const socket of sockets) socket.destroy();
    }));
  return {
    name,
    port,
    address: `127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    sockets,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Calls `onHead` once per connection, when the first request head (up to CRLFCRLF) has arrived. */
function onFirstHead(socket: Socket, onHead: () => void): void {
  let seen = Buffer.alloc(0);
  let fired = false;
  socket.on('data', (chunk: Buffer) => {
    if (fired) return;
    seen = Buffer.concat([seen, chunk]);
    if (seen.includes('\r\n\r\n')) {
      fired = true;
      onHead();
    }
  });
}

/** Answers the first request with bytes that are not HTTP at all, then closes. */
export function garbageBackend(): Promise<RawBackend> {
  return rawBackend((socket) => {
    onFirstHead(socket, () => {
      socket.end('SSH-2.0-OpenSSH_9.6\r\nthis is not an HTTP response\r\n\r\n');
    });
  }, 'garbage');
}

/**
 * Sends a response head that promises `declaredBytes` (Content-Length, or chunked with `chunked: true`),
 * then `sentBytes` of body, then destroys the connection.
 */
export function closeMidBodyBackend(
  options: { declaredBytes?: number; sentBytes?: number; chunked?: boolean } = {},
): Promise<RawBackend> {
  const declared = options.declaredBytes ?? 1000;
  const sent = options.sentBytes ?? 10;
  return rawBackend((socket) => {
    onFirstHead(socket, () => {
      const body = 'x'.repeat(sent);
      const bytes = options.chunked
        ? `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${sent.toString(16)}\r\n${body}\r\n`
        : `HTTP/1.1 200 OK\r\nContent-Length: ${declared}\r\n\r\n${body}`;
      socket.write(bytes, () => {
        socket.destroy();
      });
    });
  }, 'close-mid-body');
}

/** Accepts connections, reads whatever comes, and never answers. */
export function neverAnswerBackend(): Promise<RawBackend> {
  return rawBackend((socket) => {
    socket.resume();
  }, 'never-answer');
}

/** Reads the request head, then closes without a response (or after `partialHead`, a cut-off head). */
export function closeBeforeHeadBackend(options: { partialHead?: string } = {}): Promise<RawBackend> {
  return rawBackend((socket) => {
    onFirstHead(socket, () => {
      socket.end(options.partialHead ?? '');
    });
  }, 'close-before-head');
}

/** Accepts and immediately resets every connection (TCP RST). */
export function resetOnConnectBackend(): Promise<RawBackend> {
  return rawBackend((socket) => {
    socket.resetAndDestroy();
  }, 'reset-on-connect');
}

export interface CaptureBackend extends RawBackend {
  /** Every byte received, over all connections, in arrival order. */
  readonly received: Buffer;
  /** Every complete request received, in order. */
  readonly requests: readonly (ParsedRequest & { readonly connectionId: number })[];
  /** Bytes it could not read as a request (the connection was then closed). */
  readonly parseErrors: readonly string[];
}

/**
 * Records every byte it receives (for asserting exactly what the proxy forwarded) and answers each complete
 * request with a fixed valid response (`200`, `Content-Length: 2`, `ok` by default), keeping the connection.
 */
export async function captureBackend(
  options: { response?: string | Buffer | ((request: ParsedRequest) => string | Buffer) } = {},
): Promise<CaptureBackend> {
  const all: Buffer[] = [];
  const requests: (ParsedRequest & { connectionId: number })[] = [];
  const parseErrors: string[] = [];
  let connectionCount = 0;
  const respond = (request: ParsedRequest): string | Buffer => {
    const response =
      options.response ?? 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok';
    return typeof response === 'function' ? response(request) : response;
  };
  const backend = await rawBackend((socket) => {
    const connectionId = ++connectionCount;
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      all.push(chunk);
      pending = Buffer.concat([pending, chunk]);
      let split: ReturnType<typeof splitRequests>;
      try {
        split = splitRequests(pending);
      } catch (error) {
        parseErrors.push(error instanceof Error ? error.message : String(error));
        socket.destroy();
        return;
      }
      const { messages, rest } = split;
      for (const message of messages) {
        if (!message.complete) break;
        requests.push({ ...message, connectionId });
        socket.write(respond(message));
      }
      const incomplete = messages.find((m) => !m.complete);
      pending = incomplete ? Buffer.from(incomplete.raw) : Buffer.from(rest);
    });
  }, 'capture');
  return {
    name: backend.name,
    port: backend.port,
    address: backend.address,
    sockets: backend.sockets,
    get connections() {
      return backend.connections;
    },
    get received() {
      return Buffer.concat(all);
    },
    requests,
    parseErrors,
    close: () => backend.close(),
    [Symbol.asyncDispose]: () => backend.close(),
  };
}

// ---------------------------------------------------------------------------------------------------------

/** A port on 127.0.0.1 that nothing listens on (bound to port 0, then closed). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await listen(server);
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

/** The HttpBackend members of `backend`, with its counters still live (a spread would freeze them). */
function delegate(backend: HttpBackend): HttpBackend {
  return {
    name: backend.name,
    port: backend.port,
    address: backend.address,
    requests: backend.requests,
    get connections() {
      return backend.connections;
    },
    get requestsStarted() {
      return backend.requestsStarted;
    },
    get closedConnections() {
      return backend.closedConnections;
    },
    close: () => backend.close(),
    [Symbol.asyncDispose]: () => backend.close(),
  };
}

/**
 * `base` with `extra`'s members added as they are: getters and setters stay live (a spread or
 * Object.assign would copy their current values instead).
 */
function withLive<B extends object, E extends object>(base: B, extra: E): B & E {
  return Object.defineProperties(base, Object.getOwnPropertyDescriptors(extra)) as B & E;
}

function listen(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// active health checks

export interface HealthCheckedBackend extends HttpBackend {
  /** What its health path answers; set it to make the backend fail or pass Junction's checks. */
  healthStatus: number;
  /** Requests to the health path so far. */
  readonly healthChecks: number;
  /** Every other request (traffic) so far. */
  readonly trafficRequests: number;
  /** Accepted connections that have not (yet) carried a health check: 0 means no traffic connected. */
  readonly connectionsWithoutHealthCheck: number;
}

/**
 * Answers its health path (`/healthz` by default) with `healthStatus` (200 at first) and everything else
 * with 200 and its name, counting the two kinds of requests apart.
 */
export async function healthCheckedBackend(
  name: string,
  options: { healthPath?: string } = {},
): Promise<HealthCheckedBackend> {
  const healthPath = options.healthPath ?? '/healthz';
  let healthStatus = 200;
  const backend = await startHttpBackend(name, {}, (seen, res) => {
    const status = seen.url === healthPath ? healthStatus : 200;
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(name) });
    res.end(name);
  });
  const isCheck = (r: SeenRequest): boolean => r.url === healthPath;
  return withLive(delegate(backend), {
    get healthStatus() {
      return healthStatus;
    },
    set healthStatus(status: number) {
      healthStatus = status;
    },
    get healthChecks() {
      return backend.requests.filter(isCheck).length;
    },
    get trafficRequests() {
      return backend.requests.filter((r) => !isCheck(r)).length;
    },
    get connectionsWithoutHealthCheck() {
      const checked = new Set(backend.requests.filter(isCheck).map((r) => r.connectionId));
      return backend.connections - checked.size;
    },
  });
}

export interface LateFirstAnswerBackend extends RawBackend {
  /** The first request's answer has been written (on whatever connection carried it). */
  readonly lateAnswerSent: boolean;
}

/**
 * Answers each request head in order with a small 200: the first after `firstDelayMs` (body
 * `stale`), later ones at once (`fresh-N`). For checking that a late answer never reaches a later
 * request.
 */
export async function lateFirstAnswerBackend(firstDelayMs: number): Promise<LateFirstAnswerBackend> {
  let requestNumber = 0;
  let lateAnswerSent = false;
  const backend = await rawBackend((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        pending = pending.subarray(end + 4);
        const n = ++requestNumber;
        const answer = (body: string): void => {
          if (!socket.destroyed)
            socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        };
        if (n > 1) answer(`fresh-${n}`);
        else
          setTimeout(() => {
            answer('stale');
            lateAnswerSent = true;
          }, firstDelayMs).unref();
      }
    });
  }, 'late-first-answer');
  return withLive(backend, {
    get lateAnswerSent() {
      return lateAnswerSent;
    },
  });
}
