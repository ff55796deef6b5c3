import type { Socket } from 'node:net';
import { accessLogFor } from '../access-log/index.ts';
import type { AccessLogSetting, TcpListenerConfig } from '../config/types.ts';
import { ConnectionError, type ErrorCode, type JunctionError } from '../errors/index.ts';
import { failureFields, type Logger } from '../log/index.ts';
import type {
  AcquireHandler,
  ClientConnection,
  ClusterRuntime,
  Router,
  RouterLease,
  UpstreamChannel,
} from '../router/index.ts';
import type { ClientPeer, ServedSession, SessionActivity } from '../session/index.ts';
import type { SelectionInput } from '../strategies/index.ts';
import type { SessionListener } from '../transaction/index.ts';
import { Tunnel, type TunnelHost, type TunnelReport } from '../tunnel/index.ts';
import type { Clock } from '../util/clock.ts';
import { MAX_CLIENT_HELLO_BYTES, parseClientHello } from './client-hello.ts';
import { clusterForServerName } from './sni-routes.ts';

/** What a TCP session needs from the server that accepted it. */
export interface TcpSessionHost {
  current(): {
    readonly clusters: ReadonlyMap<string, ClusterRuntime>;
    readonly router: Router;
    readonly config: {
      readonly timeouts: { readonly connectMs: number; readonly clientHeadMs: number };
      readonly accessLog?: AccessLogSetting | undefined;
    };
  };
  readonly clock: Clock;
  readonly log: Logger;
  onSessionClosed(session: ServedSession): void;
}

/** Client bytes held while the upstream connection is being made; past this, the client is paused. */
const MAX_EARLY_BYTES = 64 * 1024;

type TcpState = 'hello' | 'connecting' | 'open' | 'closed';

/** The relay lets the upstream read what the client sent before its FIN (see TunnelOptions). */
const TCP_TUNNEL = { lingerAfterClientClose: true } as const;

/**
 * One client connection on a TCP listener: Sōzu's TCP proxy session. It picks a cluster (the
 * listener's, or by the server name of a TLS ClientHello it reads without terminating TLS), asks the
 * Router for a fresh upstream connection the way transactions do (same strategies, connect retries
 * and health tracking), then relays bytes both ways through the same Tunnel a WebSocket upgrade uses
 * (backpressure, half-closes, byte counts, the idle timeout) until both sides are done or nothing
 * moved for the idle timeout. Its connection is never pooled.
 */
export class TcpSession
  implements ServedSession, SelectionInput, ClientConnection, AcquireHandler, TunnelHost
{
  readonly socket: Socket;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly socketAddress: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly openedAt: number;
  readonly requests = 0;
  deadlineAt = 0;
  overdueSince = 0;
  /** SelectionInput: strategies see the server name as the host; there is no method, path or header. */
  host = '';
  readonly method = '';
  readonly path = '';

  readonly #host: TcpSessionHost;
  readonly #config: TcpListenerConfig;
  readonly #log: Logger;
  #state: TcpState;
  /** Client bytes read before the upstream was ready (the ClientHello among them), in order. */
  #early: Buffer[] = [];
  #earlyBytes = 0;
  #lease: RouterLease | undefined = undefined;
  #channel: UpstreamChannel | undefined = undefined;
  #clusterName = '';
  #clientEnded = false;
  /** Paused by us while early bytes wait for the upstream. */
  #clientPaused = false;
  /** The relay, once the upstream is ready. */
  #tunnel: Tunnel | null = null;
  #clientClosed = false;

  /** The listener, for the access log. */
  readonly #listener: SessionListener | undefined;
  /** For the session's access line: why it ended, where it went. */
  #errorCode: string | undefined = undefined;
  #upstreamId: string | undefined = undefined;
  #attempts = 0;

  constructor(
    socket: Socket,
    host: TcpSessionHost,
    config: TcpListenerConfig,
    peer?: ClientPeer,
    listener?: SessionListener,
  ) {
    this.socket = socket;
    this.#listener = listener;
    this.#host = host;
    this.#config = config;
    this.#log = host.log;
    this.socketAddress = socket.remoteAddress ?? '';
    this.clientAddress = peer?.address ?? this.socketAddress;
    this.clientPort = peer?.port ?? socket.remotePort ?? 0;
    this.localAddress = peer?.localAddress ?? socket.localAddress ?? '';
    this.localPort = peer?.localPort ?? socket.localPort ?? 0;
    this.openedAt = host.clock.now();
    socket.setNoDelay(true);
    socket.on('data', this.#onClientData);
    socket.on('end', this.#onClientEnd);
    socket.on('drain', this.#onClientDrain);
    socket.on('error', this.#onClientError);
    socket.on('close', this.#onClientClose);
    if (config.sniRoutes.length > 0) {
      this.#state = 'hello';
      this.#setDeadline(host.current().config.timeouts.clientHeadMs);
    } else {
      this.#state = 'connecting';
      this.#connect(config.cluster!);
    }
  }

  header(): string | undefined {
    return undefined;
  }

  /** The cluster the session is for, once chosen. */
  get clusterName(): string {
    return this.#clusterName;
  }

  // ServedSession

  /** Before the upstream is chosen (reading a ClientHello) nothing is relayed yet. */
  get activity(): SessionActivity {
    return this.#state === 'connecting' || this.#state === 'open' ? 'tunnel' : 'idle';
  }

  /** A TCP session holds cluster runtimes, never a snapshot: it keeps no replaced config alive. */
  get transactionSnapshot(): undefined {
    return undefined;
  }

  onDeadline(): void {
    this.deadlineAt = 0;
    if (this.#state === 'hello') {
      this.#refuse('JCT_ERR_TLS_CLIENT_HELLO_INVALID', 'no complete TLS ClientHello in time');
      return;
    }
    this.#log.debug(
      { client: this.clientAddress, cluster: this.#clusterName },
      'tcp session closed: idle for longer than its timeout',
    );
    if (this.#tunnel === null) this.destroy();
    else this.#tunnel.onDeadline();
  }

  /**
   * A tunnel has no point where it may end cleanly: it carries on until both sides close, and
   * shutdown cuts whatever is still open when its grace period ends.
   */
  drain(): void {
    if (this.#state === 'hello') this.destroy();
  }

  destroy(): void {
    if (this.#tunnel !== null) this.#tunnel.destroy();
    else {
      this.socket.destroy();
      this.#releaseUpstream();
    }
    if (this.#clientClosed) this.#finish();
  }

  /** Both sides are done: the session leaves the server's books. */
  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.deadlineAt = 0;
    this.#logAccess();
    this.#host.onSessionClosed(this);
  }

  /** One access line per TCP session, when the listener (or the top level) has an access log. */
  #logAccess(): void {
    const listener = this.#listener;
    if (listener === undefined) return;
    const accessLog = accessLogFor(
      undefined,
      listener.accessLog,
      this.#host.current().config.accessLog,
      this.#log,
    );
    const errorCode = this.#errorCode ?? null;
    if (!accessLog?.wants(0, errorCode)) return;
    accessLog.write({
      kind: 'tcp',
      time: Date.now(),
      requestId: null,
      clientAddress: this.clientAddress,
      clientPort: this.clientPort,
      listener: listener.name,
      method: null,
      scheme: 'tcp',
      host: this.host === '' ? null : this.host,
      path: null,
      protocol: 'tcp',
      status: 0,
      durationMs: Math.max(0, Math.round(this.#host.clock.now() - this.openedAt)),
      upstreamMs: null,
      bytesReceived: this.socket.bytesRead,
      bytesSent: this.socket.bytesWritten,
      route: null,
      cluster: this.#clusterName === '' ? null : this.#clusterName,
      upstream: this.#upstreamId ?? null,
      attempts: this.#attempts,
      errorCode,
      traceId: null,
      userAgent: null,
      referer: null,
      tlsVersion: null,
      sni: this.host === '' ? null : this.host,
    });
  }

  #setDeadline(ms: number): void {
    this.deadlineAt = this.#host.clock.now() + ms;
  }

  // TunnelHost: the relay's clock, its idle deadline (the server's sweep fires it), and its end.

  now(): number {
    return this.#host.clock.now();
  }

  setDeadline(ms: number): void {
    this.deadlineAt = ms === 0 ? 0 : this.#host.clock.now() + ms;
  }

  /** Both sides are closed: the upstream's outcome is how the relay went. */
  onTunnelOver(report: TunnelReport): void {
    const lease = this.#lease;
    this.#lease = undefined;
    this.#channel = undefined;
    if (lease !== undefined) {
      // A reset before the upstream said anything counts against it; a relay that ran is a success.
      const code: ErrorCode | undefined =
        report.errorCode === 'JCT_ERR_UPSTREAM_RESET' && report.bytesFromUpstream === 0
          ? 'JCT_ERR_UPSTREAM_RESET'
          : undefined;
      this.#errorCode ??= code;
      lease.router.release(lease, false, {
        status: 0,
        errorCode: code,
        durationMs: this.#host.clock.now() - this.openedAt,
      });
    }
    if (this.#clientClosed) this.#finish();
  }

  // Choosing and reaching the upstream

  #onHelloBytes(chunk: Buffer): void {
    this.#early.push(chunk);
    this.#earlyBytes += chunk.length;
    const hello = this.#early.length === 1 ? chunk : Buffer.concat(this.#early, this.#earlyBytes);
    const result = parseClientHello(hello, hello.length, MAX_CLIENT_HELLO_BYTES);
    if (result.kind === 'need-more') return;
    if (result.kind === 'reject') {
      this.#refuse('JCT_ERR_TLS_CLIENT_HELLO_INVALID', `not a TLS ClientHello: ${result.reason}`);
      return;
    }
    this.#early = [hello];
    const cluster = clusterForServerName(result.serverName, this.#config.sniRoutes, this.#config.cluster);
    this.host = result.serverName ?? '';
    if (cluster === undefined) {
      this.#errorCode = 'JCT_ERR_ROUTE_NOT_FOUND';
      this.#log.info(
        { code: 'JCT_ERR_ROUTE_NOT_FOUND' satisfies ErrorCode, client: this.clientAddress, sni: this.host },
        `tcp connection closed: no SNI route for '${this.host}' and no default cluster`,
      );
      this.destroy();
      return;
    }
    this.#state = 'connecting';
    this.#connect(cluster);
  }

  #refuse(code: 'JCT_ERR_TLS_CLIENT_HELLO_INVALID', why: string): void {
    const error = new ConnectionError(code, `tcp connection from ${this.clientAddress} closed: ${why}`);
    this.#errorCode = code;
    this.#log.info({ code: error.code, client: this.clientAddress }, error.message);
    this.destroy();
  }

  #connect(clusterName: string): void {
    const snapshot = this.#host.current();
    const cluster = snapshot.clusters.get(clusterName);
    this.#clusterName = clusterName;
    if (cluster === undefined) {
      // The config check makes this unreachable; a session must still never hang on it.
      this.#log.error({ cluster: clusterName }, `tcp listener names unknown cluster '${clusterName}'`);
      this.destroy();
      return;
    }
    // The idle deadline covers the connect too: the Router answers within its attempts, and a
    // session that somehow hears nothing is still ended.
    this.#setDeadline(this.#config.idleTimeoutMs);
    this.#lease = snapshot.router.acquire(
      cluster,
      this,
      snapshot.config.timeouts.connectMs,
      this,
      cluster.strategy,
      this,
      true,
    );
  }

  // AcquireHandler

  onUpstreamReady(channel: UpstreamChannel, lease: RouterLease): void {
    this.#lease = lease;
    this.#attempts++;
    this.#upstreamId = channel.upstreamId;
    this.#channel = channel;
    if (this.#clientClosed) {
      this.#releaseUpstream();
      return;
    }
    this.#state = 'open';
    const tunnel = new Tunnel(channel, this, this.#config.idleTimeoutMs, null, TCP_TUNNEL);
    this.#tunnel = tunnel;
    // Half-closes pass through both ways: the upstream's FIN must not end our side of it.
    channel.allowHalfOpen();
    channel.attach(tunnel);
    tunnel.attachClient(this.socket);
    const early = this.#early;
    this.#early = [];
    this.#earlyBytes = 0;
    for (const chunk of early) tunnel.onClientData(chunk);
    if (this.#clientEnded) tunnel.onClientEnd();
    else if (this.#clientPaused && !channel.needsDrain) {
      this.#clientPaused = false;
      this.socket.resume();
    }
  }

  onAcquireFailed(error: JunctionError): void {
    this.#lease = undefined;
    this.#errorCode = error.code;
    this.#log.warn(
      { ...failureFields(error), cluster: this.#clusterName, client: this.clientAddress },
      error.message,
    );
    this.socket.destroy();
  }

  /** Gives back a lease whose relay never started: still connecting, backing off, or just connected. */
  #releaseUpstream(): void {
    const lease = this.#lease;
    if (lease === undefined) return;
    this.#lease = undefined;
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel === undefined) {
      // Still connecting or backing off: the Router drops the attempt, and a connection that arrives
      // later is closed.
      lease.router.abandon(lease);
      return;
    }
    lease.router.release(lease, false, {
      status: 0,
      errorCode: undefined,
      durationMs: this.#host.clock.now() - this.openedAt,
    });
  }

  // Client socket events

  readonly #onClientData = (chunk: Buffer): void => {
    switch (this.#state) {
      case 'hello':
        this.#onHelloBytes(chunk);
        return;
      case 'connecting':
        this.#early.push(chunk);
        this.#earlyBytes += chunk.length;
        if (this.#earlyBytes > MAX_EARLY_BYTES) this.#pauseClient();
        return;
      case 'open':
        this.#tunnel!.onClientData(chunk);
        return;
      case 'closed':
        return;
    }
  };

  #pauseClient(): void {
    if (this.#clientPaused) return;
    this.#clientPaused = true;
    this.socket.pause();
  }

  readonly #onClientDrain = (): void => {
    this.#tunnel?.onClientDrain();
  };

  readonly #onClientEnd = (): void => {
    this.#clientEnded = true;
    if (this.#state === 'hello') {
      this.#refuse('JCT_ERR_TLS_CLIENT_HELLO_INVALID', 'the client ended before a complete ClientHello');
      return;
    }
    this.#tunnel?.onClientEnd();
  };

  readonly #onClientError = (): void => {
    // 'close' follows; a client reset is routine.
  };

  readonly #onClientClose = (hadError: boolean): void => {
    this.#clientClosed = true;
    this.#early = [];
    const tunnel = this.#tunnel;
    if (tunnel !== null) {
      // After a clean FIN the relay lets the upstream take what is in flight (TCP_TUNNEL), and ends
      // the session when it closes; otherwise it is over now.
      tunnel.onClientClose(hadError);
      if (tunnel.isOver) this.#finish();
      return;
    }
    this.#releaseUpstream();
    this.#finish();
  };
}
