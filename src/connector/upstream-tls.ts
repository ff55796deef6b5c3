import { isIP, type Socket } from 'node:net';
import {
  checkServerIdentity,
  connect as tlsConnect,
  createSecureContext,
  type ConnectionOptions,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';

/** TLS to an upstream. Certificates and keys are PEM text, not file names. */
export interface UpstreamTlsOptions {
  /**
   * The name sent as SNI and that the certificate must match. Default: the backend's host when it is
   * a name; for an IP address no SNI is sent and the certificate must list that IP.
   */
  readonly servername?: string | undefined;
  /** CA certificates to trust instead of Node's bundled roots. */
  readonly ca?: string | readonly string[] | undefined;
  /** Verify the certificate chain and name. Default true; false accepts any certificate. */
  readonly rejectUnauthorized?: boolean | undefined;
  /** A client certificate (with its key) for upstreams that ask for one. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** The application protocol offered by ALPN: HTTP/1.1 (the default), or h2 for an HTTP/2 cluster. */
  readonly alpn?: 'http/1.1' | 'h2' | undefined;
}

const ALPN_HTTP1 = ['http/1.1'];
const ALPN_H2 = ['h2'];

/**
 * One pool's TLS settings, prepared once: parsing CA bundles and keys costs far more than a
 * handshake, so every connect shares one SecureContext.
 */
export class UpstreamTls {
  readonly options: UpstreamTlsOptions;
  /** The SNI sent, if any. */
  readonly servername: string | undefined;
  readonly rejectUnauthorized: boolean;
  /** The last session the upstream handed out, offered on the next handshake to resume it. */
  session: Buffer | undefined = undefined;
  readonly #context: SecureContext;
  readonly #verifyAs: string | undefined;

  /** Throws when the CA, certificate or key is not valid PEM, or the key does not match the certificate. */
  constructor(host: string, hostIsIp: boolean, options: UpstreamTlsOptions) {
    this.options = options;
    this.rejectUnauthorized = options.rejectUnauthorized ?? true;
    const name = options.servername ?? (hostIsIp ? undefined : host);
    // SNI must be a host name (RFC 6066); an IP given as servername is still what the certificate must name.
    this.servername = name !== undefined && isIP(name) === 0 ? name : undefined;
    this.#verifyAs = name !== undefined && this.servername === undefined ? name : undefined;
    const { ca, cert, key } = options;
    this.#context = createSecureContext({
      ...(ca === undefined ? {} : { ca: typeof ca === 'string' ? ca : [...ca] }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    });
  }

  /** Whether other settings are the same as these, so connections made under these can serve them. */
  hasOptions(other: UpstreamTlsOptions | undefined): boolean {
    const mine = this.options;
    if (other === undefined) return false;
    if (other === mine) return true;
    return (
      other.servername === mine.servername &&
      (other.rejectUnauthorized ?? true) === this.rejectUnauthorized &&
      other.cert === mine.cert &&
      other.alpn === mine.alpn &&
      other.key === mine.key &&
      String(other.ca) === String(mine.ca)
    );
  }

  /**
   * Starts TCP and the handshake to one address; `secureConnect` says both are done. Given `socket`
   * (connected, with whatever had to precede TLS already written, such as a PROXY header), the
   * handshake runs over it instead.
   */
  connect(address: string, port: number, over?: Socket): TLSSocket {
    const verifyAs = this.#verifyAs;
    const options: ConnectionOptions = {
      host: address,
      port,
      ...(over === undefined ? {} : { socket: over }),
      secureContext: this.#context,
      rejectUnauthorized: this.rejectUnauthorized,
      ALPNProtocols: this.options.alpn === 'h2' ? ALPN_H2 : ALPN_HTTP1,
      ...(this.servername === undefined ? {} : { servername: this.servername }),
      ...(this.session === undefined ? {} : { session: this.session }),
      ...(verifyAs === undefined
        ? {}
        : {
            checkServerIdentity: (_host: string, cert: PeerCertificate) =>
              checkServerIdentity(verifyAs, cert),
          }),
    };
    const socket = tlsConnect(options);
    socket.setNoDelay(true);
    socket.on('session', this.#onSession);
    return socket;
  }

  readonly #onSession = (session: Buffer): void => {
    this.session = session;
  };
}
