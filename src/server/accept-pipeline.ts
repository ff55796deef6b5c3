/**
 * The accept pipeline: the path from a socket a listener accepted to its session. The PROXY header step
 * first (on listeners that expect one), then TLS (on HTTPS listeners, which the listener runs), then a
 * session for the listener's protocol: an Http2Connection when TLS agreed on h2 by ALPN, or when a
 * plain `h2c` listener's client starts with the HTTP/2 preface; an Http1Session otherwise; a
 * TcpSession on a TCP listener.
 * Does not: keep the server's books of live sessions (it hands each new one to AcceptPort.started),
 * bind or close listeners, or read the config beyond the listener's own.
 */
import type { Socket } from 'node:net';
import type { Listener, ListenerHandlers } from '../listener/index.ts';
import { Http2Connection, sniffPreface } from '../http2/index.ts';
import { ProxyHeaderStep, type ProxyStepHandler } from '../proxy-protocol/index.ts';
import { Http1Session, type ClientPeer, type ServedSession, type SessionHost } from '../session/index.ts';
import { TcpSession, type TcpSessionHost } from '../tcp/index.ts';
import type { TlsConnectionInfo } from '../tls/index.ts';

/** What the pipeline needs of the server. */
export interface AcceptPort {
  /** What sessions report to (the snapshot they start on, and their end); its log is the pipeline's. */
  readonly host: SessionHost & TcpSessionHost;
  /** A session started on `listener`: the server counts it from now until it reports its end. */
  started(session: ServedSession, listener: Listener): void;
}

export class AcceptPipeline {
  readonly #port: AcceptPort;
  /** The first step on listeners with `proxy_protocol`: sockets whose PROXY header is awaited. */
  readonly #proxyStep = new ProxyHeaderStep();
  /** One handler per listener, made on its first connection. */
  readonly #proxyStepHandlers = new Map<Listener, ProxyStepHandler>();

  constructor(port: AcceptPort) {
    this.#port = port;
  }

  /** What every listener is given: it calls these with each accepted, then each secured, socket. */
  readonly handlers: ListenerHandlers = {
    accepted: (socket, listener) => {
      const proxy = listener.config.proxyProtocol;
      if (proxy === undefined) this.#afterProxyHeader(socket, listener, undefined);
      else this.#proxyStep.accept(socket, proxy, this.#afterProxyStep(listener));
    },
    secured: (socket, listener, tls, peer) => {
      this.#startSession(socket, listener, peer, tls);
    },
  };

  /** Shutdown: closes the sockets still waiting for their PROXY header. */
  closeAll(): void {
    this.#proxyStep.closeAll();
  }

  /**
   * The PROXY step left `socket` paused with the bytes after the header put back. A session resumes
   * it; the TLS step must not be raced by a resume, which would hand those bytes (the start of the
   * ClientHello) to the plain socket's reader instead of the TLS layer, which takes them itself.
   */
  #afterProxyHeader(socket: Socket, listener: Listener, peer: ClientPeer | undefined): void {
    if (listener.tls !== null) {
      listener.secure(socket, peer);
      return;
    }
    if (listener.config.h2c === true) {
      const timeoutMs = this.#port.host.current().config.timeouts.clientHeadMs;
      sniffPreface(socket, timeoutMs, (verdict) => {
        if (verdict === 'gone') {
          listener.sessionEnded(
            listener.config.proxyProtocol === undefined ? (socket.remoteAddress ?? '') : peer?.address,
          );
        } else if (verdict === 'h2c') {
          this.#startSession(socket, listener, peer, null, true);
        } else {
          this.#startSession(socket, listener, peer, null);
          socket.resume();
        }
      });
      return;
    }
    this.#startSession(socket, listener, peer, null);
    socket.resume();
  }

  #afterProxyStep(listener: Listener): ProxyStepHandler {
    let handler = this.#proxyStepHandlers.get(listener);
    if (handler !== undefined) return handler;
    handler = {
      onReady: (socket, peer) => {
        if (!listener.admitClient(socket, peer?.address ?? socket.remoteAddress ?? '')) return;
        this.#afterProxyHeader(socket, listener, peer);
      },
      onRefused: (_socket, error) => {
        this.#port.host.log.info({ code: error.code, listener: listener.config.name }, error.message);
        listener.sessionEnded(undefined);
      },
    };
    this.#proxyStepHandlers.set(listener, handler);
    return handler;
  }

  #startSession(
    socket: Socket,
    listener: Listener,
    peer: ClientPeer | undefined,
    tls: TlsConnectionInfo | null,
    h2c = false,
  ): void {
    const { tcp, redirectToHttps, name, accessLog, trustRequestId = false, http2 } = listener.config;
    const about = { name, accessLog, trustRequestId };
    const host = this.#port.host;
    const h2 = http2 !== undefined && (h2c || tls?.alpnProtocol === 'h2');
    const session = h2
      ? new Http2Connection(socket, host, { tls, peer, listener: about, redirectToHttps, settings: http2 })
      : tcp !== undefined
        ? new TcpSession(socket, host, tcp, peer, about)
        : new Http1Session(socket, host, tls === null ? 'http' : 'https', {
            tls,
            redirectToHttps,
            peer,
            listener: about,
          });
    this.#port.started(session, listener);
  }
}
