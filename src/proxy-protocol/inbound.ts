import { BlockList, isIPv4, type Socket } from 'node:net';
import type { InboundProxyConfig } from '../config/types.ts';
import { ConnectionError } from '../errors/index.ts';
import { parseProxyHeader } from './codec.ts';
import { unmapIpv4 } from '../util/ip-bytes.ts';

/** The client a PROXY header named, in place of the socket's addresses. */
export interface ProxiedPeer {
  readonly address: string;
  readonly port: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** What becomes of one accepted socket on a listener that expects PROXY headers. */
export interface ProxyStepHandler {
  /**
   * The socket is ready for its session: paused, with any bytes read past the header put back
   * (`unshift`). `peer` is undefined when the socket's own addresses stand (a LOCAL or UNKNOWN header,
   * or an untrusted peer the listener serves directly).
   */
  onReady(socket: Socket, peer: ProxiedPeer | undefined): void;
  /**
   * The socket was closed: untrusted, a malformed or missing header, or the peer left first.
   * `socketAddress` is its peer address, read before the close (a closed socket forgets it).
   */
  onRefused(socket: Socket, error: ConnectionError, socketAddress: string): void;
}

const trustedNetworks = new WeakMap<InboundProxyConfig, BlockList>();

function networksOf(config: InboundProxyConfig): BlockList {
  let list = trustedNetworks.get(config);
  if (list === undefined) {
    list = new BlockList();
    for (const network of config.trusted) {
      const [address = '', bits = ''] = network.split('/');
      list.addSubnet(address, Number(bits), isIPv4(address) ? 'ipv4' : 'ipv6');
    }
    trustedNetworks.set(config, list);
  }
  return list;
}

/** Whether `address` (as a socket reports it; IPv4-mapped IPv6 counts as IPv4) is in a trusted network. */
export function isTrustedPeer(config: InboundProxyConfig, address: string): boolean {
  const plain = unmapIpv4(address);
  return networksOf(config).check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
}

/**
 * The first step between an accepted socket and its session on a listener with `proxy_protocol`: a
 * trusted peer must open with a PROXY header (v1 or v2, told apart by their first bytes) within the
 * timeout. Later steps (a TLS handshake, the session) get the socket back as if the header had never
 * been there. One instance per server, so shutdown can close the sockets still waiting.
 */
export class ProxyHeaderStep {
  readonly #waiting = new Set<HeaderRead>();

  accept(socket: Socket, config: InboundProxyConfig, handler: ProxyStepHandler): void {
    const address = socket.remoteAddress ?? '';
    if (!isTrustedPeer(config, address)) {
      if (config.untrusted === 'direct') {
        handler.onReady(socket, undefined);
        return;
      }
      socket.on('error', ignore);
      socket.destroy();
      handler.onRefused(
        socket,
        new ConnectionError(
          'JCT_ERR_PROXY_PEER_UNTRUSTED',
          `connection from ${address} refused: not a trusted PROXY protocol peer`,
        ),
        address,
      );
      return;
    }
    const read = new HeaderRead(socket, config.timeoutMs, handler, this.#waiting);
    this.#waiting.add(read);
  }

  /** Headers still awaited: that many sockets are not sessions yet. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Shutdown: sockets still owing a header are closed. */
  closeAll(): void {
    for (const read of this.#waiting) read.fail('Junction is shutting down');
  }
}

class HeaderRead {
  readonly #socket: Socket;
  readonly #handler: ProxyStepHandler;
  readonly #waiting: Set<HeaderRead>;
  readonly #timer: NodeJS.Timeout;
  #received: Buffer | null = null;
  #done = false;

  readonly #address: string;

  constructor(socket: Socket, timeoutMs: number, handler: ProxyStepHandler, waiting: Set<HeaderRead>) {
    this.#socket = socket;
    this.#address = socket.remoteAddress ?? '';
    this.#handler = handler;
    this.#waiting = waiting;
    this.#timer = setTimeout(this.#onTimeout, timeoutMs);
    this.#timer.unref();
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', ignore);
    socket.on('close', this.#onClose);
    // A socket that waited in the accept queue comes paused.
    socket.resume();
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#done) return;
    const received = this.#received === null ? chunk : Buffer.concat([this.#received, chunk]);
    this.#received = received;
    const result = parseProxyHeader(received);
    if (result.kind === 'need-more') return;
    if (result.kind === 'reject') {
      this.fail(`invalid PROXY protocol header: ${result.reason}`);
      return;
    }
    this.#finish();
    const socket = this.#socket;
    socket.pause();
    if (result.consumed < received.length) socket.unshift(received.subarray(result.consumed));
    const e = result.header.endpoints;
    this.#handler.onReady(
      socket,
      e === undefined
        ? undefined
        : {
            address: e.sourceAddress,
            port: e.sourcePort,
            localAddress: e.destinationAddress,
            localPort: e.destinationPort,
          },
    );
  };

  readonly #onEnd = (): void => {
    this.fail('the peer ended the connection before a complete PROXY protocol header');
  };

  readonly #onClose = (): void => {
    this.fail('the peer closed the connection before a complete PROXY protocol header');
  };

  readonly #onTimeout = (): void => {
    this.fail('no complete PROXY protocol header in time');
  };

  fail(why: string): void {
    if (this.#done) return;
    const address = this.#address;
    this.#finish();
    // The error listener stays: a closed socket may still report its reset.
    this.#socket.on('error', ignore);
    this.#socket.destroy();
    this.#handler.onRefused(
      this.#socket,
      new ConnectionError('JCT_ERR_PROXY_HEADER_INVALID', `connection from ${address} closed: ${why}`),
      address,
    );
  }

  #finish(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    this.#waiting.delete(this);
    const socket = this.#socket;
    socket.removeListener('data', this.#onData);
    socket.removeListener('end', this.#onEnd);
    socket.removeListener('close', this.#onClose);
    socket.removeListener('error', ignore);
  }
}

function ignore(): void {
  // A peer that resets while its header is awaited is simply gone; 'close' reports it.
}
