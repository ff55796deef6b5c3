/**
 * WebSocket ends for the upgrade tests, with the `ws` package: a backend (`wsBackend`, a node:http server
 * whose upgrades go to a `WebSocketServer`, echoing by default) and client helpers that put a deadline on
 * every wait. Everything on 127.0.0.1, port 0.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Backend } from './backends.ts';
import { withTimeout } from './wait-for.ts';

export interface WsBackend extends Backend {
  /** The head fields of every upgrade request, in order. */
  readonly upgrades: IncomingHttpHeaders[];
  /** WebSockets open now. */
  readonly open: ReadonlySet<WebSocket>;
  /** How each backend-side WebSocket closed: code and reason, in order. */
  readonly closes: { readonly code: number; readonly reason: string }[];
  /** Plain (non-upgrade) requests answered. */
  readonly plainRequests: number;
}

export interface WsBackendOptions {
  /** Called for each WebSocket instead of echoing. */
  readonly onConnection?: (ws: WebSocket) => void;
  readonly maxPayload?: number;
}

/** Echoes every message back as it came (text as text, binary as binary). */
function echo(ws: WebSocket): void {
  ws.on('message', (data: RawData, isBinary: boolean) => {
    ws.send(data as Buffer, { binary: isBinary });
  });
}

export async function wsBackend(name = 'ws', options: WsBackendOptions = {}): Promise<WsBackend> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? 64 * 1024 * 1024 });
  const upgrades: IncomingHttpHeaders[] = [];
  const open = new Set<WebSocket>();
  const closes: { code: number; reason: string }[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let plainRequests = 0;
  const server = createServer((_req, res) => {
    plainRequests++;
    res.end('plain\n');
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    upgrades.push(req.headers);
    wss.handleUpgrade(req, socket, head, (ws) => {
      open.add(ws);
      ws.on('error', () => undefined);
      ws.on('close', (code: number, reason: Buffer) => {
        open.delete(ws);
        closes.push({ code, reason: reason.toString() });
      });
      (options.onConnection ?? echo)(ws);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      for (const ws of open) ws.terminate();
      for (const socket of sockets) socket.destroy();
      wss.close();
      server.close(() => {
        resolve();
      });
    }));
  return {
    name,
    port,
    address: `127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get plainRequests() {
      return plainRequests;
    },
    upgrades,
    open,
    closes,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Opens a WebSocket to `url` and resolves once it is open; rejects on an error or after `timeoutMs`. */
export function openWebSocket(
  url: string,
  options: {
    readonly timeoutMs?: number;
    readonly headers?: Record<string, string>;
    /** For `wss://`: the CA to trust and the server name to send (SNI). */
    readonly tls?: { readonly ca: string; readonly servername: string };
  } = {},
): Promise<WebSocket> {
  const ws = new WebSocket(url, {
    maxPayload: 64 * 1024 * 1024,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.tls === undefined ? {} : { ca: options.tls.ca, servername: options.tls.servername }),
  });
  return withTimeout(
    new Promise<WebSocket>((resolve, reject) => {
      ws.once('open', () => {
        ws.off('error', reject);
        ws.on('error', () => undefined);
        resolve(ws);
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`unexpected response ${res.statusCode ?? 0}`));
      });
    }),
    options.timeoutMs ?? 5_000,
    `opening ${url}`,
  ).catch((error: unknown) => {
    ws.terminate();
    throw error;
  });
}

/** The next `count` messages on `ws`, as Buffers with their kind. */
export function nextMessages(
  ws: WebSocket,
  count: number,
  timeoutMs = 5_000,
): Promise<{ readonly data: Buffer; readonly isBinary: boolean }[]> {
  const got: { data: Buffer; isBinary: boolean }[] = [];
  let onMessage: ((data: RawData, isBinary: boolean) => void) | undefined;
  return withTimeout(
    new Promise<{ data: Buffer; isBinary: boolean }[]>((resolve) => {
      onMessage = (data, isBinary) => {
        got.push({ data: Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer), isBinary });
        if (got.length === count) resolve(got);
      };
      ws.on('message', onMessage);
    }),
    timeoutMs,
    `${count} messages (got ${got.length})`,
  ).finally(() => {
    if (onMessage !== undefined) ws.off('message', onMessage);
  });
}

/** Resolves with how `ws` closed: its code and reason. */
export function closed(ws: WebSocket, timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve({ code: -1, reason: 'already closed' });
  return withTimeout(
    new Promise<{ code: number; reason: string }>((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        resolve({ code, reason: reason.toString() });
      });
    }),
    timeoutMs,
    'the WebSocket closing',
  );
}
