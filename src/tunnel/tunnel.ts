import type { ErrorCode } from '../errors/index.ts';

/**
 * One side of a tunnel: whatever carries its bytes. A net.Socket or a TLSSocket is one as it is; the
 * upstream side is the Router's channel.
 */
export interface TunnelPeer {
  /** False when the peer's buffer is over its high-water mark: stop feeding it until it drains. */
  write(data: Buffer): boolean;
  /** Half-closes: our FIN after what was written. */
  end(): void;
  pause(): void;
  resume(): void;
  /** Closes at once; what was not sent is dropped. */
  destroy(): void;
}

/** Who ended the tunnel first: a side that closed, reset or half-closed, or the idle timeout. */
export type TunnelEndedBy = 'client' | 'upstream' | 'idle-timeout';

/** How a tunnel went, for txn-close hooks, logs and the upstream's outcome. */
export interface TunnelReport {
  /** From the switch (the 101 sent to the client) to the tunnel's end. */
  readonly durationMs: number;
  /** Bytes the client sent into the tunnel, and bytes the upstream sent (after the 101 head). */
  readonly bytesFromClient: number;
  readonly bytesFromUpstream: number;
  readonly endedBy: TunnelEndedBy;
  /**
   * Why, when it was not a clean close: `JCT_ERR_UPSTREAM_RESET` (the upstream reset or closed without
   * a FIN), `JCT_ERR_CLIENT_ABORTED` (the client did), `JCT_ERR_TUNNEL_IDLE_TIMEOUT`.
   */
  readonly errorCode: ErrorCode | undefined;
}

/** How a tunnel treats its sides beyond the defaults. */
export interface TunnelOptions {
  /**
   * When the client closes cleanly (after its FIN), let the upstream take what is still in flight to
   * it and close on its own (within the idle timeout) instead of closing it at once. A TCP relay's
   * choice: its client's last bytes are the upstream's to read.
   */
  readonly lingerAfterClientClose?: boolean;
}

/** What a tunnel needs from whoever runs it. */
export interface TunnelHost {
  now(): number;
  /** Arms the session's deadline `ms` from now (the server's sweep calls onDeadline when it passes). */
  setDeadline(ms: number): void;
  /** Called once, when both sides are closed or were destroyed. */
  onTunnelOver(report: TunnelReport): void;
}

/**
 * The pipe between a client and an upstream after a protocol switch. Bytes from one side are written
 * to the other as they arrive; when the other side's buffer is full the sending side is paused until
 * it drains, so a slow reader holds back its peer instead of filling Junction's memory.
 *
 * A FIN from one side is passed on as a FIN to the other (half-close), and the tunnel lives on until
 * both sides have closed. A side that closes without a FIN (a reset, an error, a destroy) takes the
 * other down at once. Any byte moving, or a side draining, re-arms the idle deadline; when it passes,
 * both sides are destroyed.
 *
 * Sans-socket: the owners of the two connections call the on* methods, so it works on any transport
 * (TCP, TLS) and is tested with plain objects.
 */
export class Tunnel {
  readonly #host: TunnelHost;
  readonly #upstream: TunnelPeer;
  readonly #idleMs: number;
  readonly #startedAt: number;
  #client: TunnelPeer | null = null;
  /** Upstream bytes that arrived with the 101 head, written once the client side is attached. */
  #early: Buffer | null;
  bytesFromClient = 0;
  bytesFromUpstream = 0;
  /** A FIN arrived from that side. */
  #clientEof = false;
  #upstreamEof = false;
  /** That side's connection is closed (or we destroyed it). */
  #clientGone = false;
  #upstreamGone = false;
  /** That side is paused because the other one's buffer is full. */
  #clientPaused = false;
  #upstreamPaused = false;
  #endedBy: TunnelEndedBy | undefined = undefined;
  #errorCode: ErrorCode | undefined = undefined;
  #over = false;
  readonly #linger: boolean;

  constructor(
    upstream: TunnelPeer,
    host: TunnelHost,
    idleMs: number,
    early: Buffer | null,
    options: TunnelOptions = NO_OPTIONS,
  ) {
    this.#upstream = upstream;
    this.#host = host;
    this.#idleMs = idleMs;
    this.#linger = options.lingerAfterClientClose === true;
    this.#early = early !== null && early.length > 0 ? early : null;
    this.#startedAt = host.now();
  }

  get isOver(): boolean {
    return this.#over;
  }

  /**
   * The client side joins (the session switched to tunnelling). Upstream bytes that came with the 101
   * head go out first; the session then feeds what the client sent ahead.
   */
  attachClient(client: TunnelPeer): void {
    this.#client = client;
    this.#host.setDeadline(this.#idleMs);
    const early = this.#early;
    this.#early = null;
    if (early !== null) this.onUpstreamData(early);
  }

  onClientData(chunk: Buffer): void {
    if (this.#over) return;
    this.bytesFromClient += chunk.length;
    this.#host.setDeadline(this.#idleMs);
    // A FIN from the upstream ends only its direction (the connection is half-open, as the client's
    // is): the client may still send, until the upstream connection is gone.
    if (this.#upstreamGone) return;
    if (!this.#upstream.write(chunk) && !this.#clientPaused) {
      this.#clientPaused = true;
      this.#client!.pause();
    }
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.#over) return;
    this.bytesFromUpstream += chunk.length;
    this.#host.setDeadline(this.#idleMs);
    const client = this.#client;
    if (client === null) {
      // Only before attachClient: kept for it.
      this.#early = this.#early === null ? chunk : Buffer.concat([this.#early, chunk]);
      return;
    }
    if (this.#clientGone) return;
    if (!client.write(chunk) && !this.#upstreamPaused) {
      this.#upstreamPaused = true;
      this.#upstream.pause();
    }
  }

  /** The client's buffer drained: the upstream may send again. */
  onClientDrain(): void {
    if (this.#over) return;
    this.#host.setDeadline(this.#idleMs);
    if (this.#upstreamPaused) {
      this.#upstreamPaused = false;
      this.#upstream.resume();
    }
  }

  onUpstreamDrain(): void {
    if (this.#over) return;
    this.#host.setDeadline(this.#idleMs);
    if (this.#clientPaused) {
      this.#clientPaused = false;
      this.#client?.resume();
    }
  }

  /** The client half-closed: pass the FIN on once what it sent before is written. */
  onClientEnd(): void {
    if (this.#over || this.#clientEof) return;
    this.#clientEof = true;
    this.#endedBy ??= 'client';
    if (!this.#upstreamGone) this.#upstream.end();
  }

  onUpstreamEnd(): void {
    if (this.#over || this.#upstreamEof) return;
    this.#upstreamEof = true;
    this.#endedBy ??= 'upstream';
    if (this.#client !== null && !this.#clientGone) this.#client.end();
  }

  /**
   * The client connection closed. Without a FIN first (a reset, an abort) the upstream goes down too.
   * After a FIN both ways it is the tunnel's clean end; an upstream still open then is closed too,
   * since nothing it could still send has anywhere to go.
   */
  onClientClose(hadError: boolean): void {
    if (this.#over) return;
    this.#clientGone = true;
    if (hadError || !this.#clientEof) {
      this.#endedBy ??= 'client';
      this.#errorCode ??= 'JCT_ERR_CLIENT_ABORTED';
    } else if (this.#linger && !this.#upstreamGone) {
      // Its FIN is on its way upstream behind the bytes before it: the upstream closes when done.
      this.#host.setDeadline(this.#idleMs);
      return;
    }
    if (!this.#upstreamGone) {
      this.#upstreamGone = true;
      this.#upstream.destroy();
    }
    this.#finish();
  }

  /**
   * The upstream connection closed. After its FIN, the client still gets what is buffered for it (its
   * FIN follows), and the tunnel ends when the client closes; without one, the client is cut at once.
   */
  onUpstreamClose(error: Error | undefined): void {
    if (this.#over) return;
    this.#upstreamGone = true;
    if (error === undefined && this.#upstreamEof) {
      if (this.#client === null || this.#clientGone) this.#finish();
      return;
    }
    this.#endedBy ??= 'upstream';
    this.#errorCode ??= 'JCT_ERR_UPSTREAM_RESET';
    this.#destroyClient();
    this.#finish();
  }

  /** The idle deadline passed with no byte moving either way. */
  onDeadline(): void {
    if (this.#over) return;
    this.#endedBy ??= 'idle-timeout';
    this.#errorCode ??= 'JCT_ERR_TUNNEL_IDLE_TIMEOUT';
    this.destroy();
  }

  /** Ends the tunnel now: both sides are destroyed. */
  destroy(): void {
    if (this.#over) return;
    if (!this.#upstreamGone) {
      this.#upstreamGone = true;
      this.#upstream.destroy();
    }
    this.#destroyClient();
    this.#endedBy ??= 'client';
    this.#finish();
  }

  #destroyClient(): void {
    if (this.#client !== null && !this.#clientGone) {
      this.#clientGone = true;
      this.#client.destroy();
    }
  }

  #finish(): void {
    if (this.#over) return;
    this.#over = true;
    this.#host.setDeadline(0);
    this.#host.onTunnelOver({
      durationMs: this.#host.now() - this.#startedAt,
      bytesFromClient: this.bytesFromClient,
      bytesFromUpstream: this.bytesFromUpstream,
      endedBy: this.#endedBy ?? 'client',
      errorCode: this.#errorCode,
    });
  }
}

const NO_OPTIONS: TunnelOptions = {};
