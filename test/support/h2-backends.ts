/**
 * HTTP/2 backends for the e2e tests (node:http2, h2c or h2 over TLS on 127.0.0.1 port 0), each counting
 * its sessions and the most streams any one session had open at once. The test gives the stream handler,
 * so one helper serves the well-behaved and the misbehaving backends alike.
 */
import {
  createSecureServer,
  createServer,
  type Http2Server,
  type Http2Session,
  type Http2SecureServer,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
  type Settings,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import type { KeyPair } from './certs.ts';

export type H2StreamHandler = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  session: Http2Session,
  backend: H2Backend,
) => void;

export interface H2Backend {
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** Sessions (connections) accepted so far. */
  readonly sessions: Http2Session[];
  /** Request header blocks received, in order. */
  readonly requests: IncomingHttpHeaders[];
  /** The most streams open at once on any one session. */
  readonly peakStreamsPerSession: number;
  close(): Promise<void>;
}

export interface H2BackendOptions {
  readonly settings?: Settings;
  /** Serve h2 over TLS with this certificate (ALPN h2) instead of h2c. */
  readonly tls?: KeyPair;
  /** ALPN protocols the TLS server offers; default h2 (http/1.1 alone makes a server that refuses h2). */
  readonly alpn?: string[];
}

/** Starts an HTTP/2 backend; closed (sessions destroyed) when the test finishes. */
export async function h2Backend(
  handler: H2StreamHandler,
  options: H2BackendOptions = {},
): Promise<H2Backend> {
  const server: Http2Server | Http2SecureServer =
    options.tls === undefined
      ? createServer({ ...(options.settings ? { settings: options.settings } : {}) })
      : createSecureServer({
          cert: options.tls.cert,
          key: options.tls.key,
          ALPNProtocols: options.alpn ?? ['h2'],
          allowHTTP1: false,
          ...(options.settings ? { settings: options.settings } : {}),
        });
  const sessions: Http2Session[] = [];
  const requests: IncomingHttpHeaders[] = [];
  const open = new Map<Http2Session, number>();
  let peak = 0;
  let port = 0;
  const backend: H2Backend = {
    get port() {
      return port;
    },
    get address() {
      return `127.0.0.1:${port}`;
    },
    sessions,
    requests,
    get peakStreamsPerSession() {
      return peak;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
  server.on('session', (session: Http2Session) => {
    sessions.push(session);
    open.set(session, 0);
    session.on('error', () => undefined);
  });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    requests.push(headers);
    const session = stream.session!;
    const now = (open.get(session) ?? 0) + 1;
    open.set(session, now);
    peak = Math.max(peak, now);
    stream.on('close', () => open.set(session, (open.get(session) ?? 1) - 1));
    stream.on('error', () => undefined);
    handler(stream, headers, session, backend);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  onTestFinished(() => backend.close());
  return backend;
}

/** A handler answering 200 with a JSON echo of the request's headers and body size. */
export const echoHeaders: H2StreamHandler = (stream, headers) => {
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
  stream.on('end', () => {
    if (stream.destroyed) return;
    stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-backend': 'h2' });
    stream.end(JSON.stringify({ headers, bytes }));
  });
};
