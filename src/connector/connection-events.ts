/** One outbound connection, as the open and close events describe it. */
export interface UpstreamConnectionInfo {
  /** The upstream as configured, `host:port`. */
  readonly upstreamId: string;
  /** The address actually dialled: one of the name's addresses, or the configured IP. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly tls: boolean;
  /** Requests the connection carried: 0 on open. */
  readonly requests: number;
  /** On close, the socket error it closed on, if any. */
  readonly error?: Error;
}

export type ConnectionEventName = 'open' | 'close';

/**
 * Outbound session start and close. Each connection a connect attempt opens is reported once when
 * it opens (before the Router gets it) and once when it closes, for whatever reason.
 */
export interface ConnectorEvents {
  onUpstreamOpen?(info: UpstreamConnectionInfo): void;
  onUpstreamClose?(info: UpstreamConnectionInfo): void;
  /** A listener above threw. Without this, such exceptions are swallowed. */
  onListenerError?(error: unknown, event: ConnectionEventName): void;
}

/**
 * Calls the event listeners and contains their exceptions: a listener is outside code, and the
 * connection it reports on must not break because of it. The Connector makes one only when
 * listeners are set, so without them a connection pays one undefined check per open and close.
 */
export class ConnectionObserver {
  readonly #events: ConnectorEvents;

  constructor(events: ConnectorEvents) {
    this.#events = events;
  }

  opened(info: UpstreamConnectionInfo): void {
    const events = this.#events;
    if (events.onUpstreamOpen === undefined) return;
    try {
      events.onUpstreamOpen(info);
    } catch (error) {
      this.#listenerFailed(error, 'open');
    }
  }

  closed(info: UpstreamConnectionInfo): void {
    const events = this.#events;
    if (events.onUpstreamClose === undefined) return;
    try {
      events.onUpstreamClose(info);
    } catch (error) {
      this.#listenerFailed(error, 'close');
    }
  }

  #listenerFailed(error: unknown, event: ConnectionEventName): void {
    try {
      this.#events.onListenerError?.(error, event);
    } catch {
      // The error reporter failed too; there is nobody left to tell.
    }
  }
}
