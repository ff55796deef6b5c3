import type { Socket } from 'node:net';
import { Server as TlsServer, TLSSocket, type SecureContext } from 'node:tls';
import type { Clock } from '../util/clock.ts';
import { dateField } from '../util/http-date.ts';
import { namesCover, normaliseName, setContextTicketKeys, TICKET_KEYS_BYTES } from './certificate.ts';
import { CertificateStore, type StoredCertificate } from './certificate-store.ts';
import {
  clientSessionIdContext,
  readClientCertificate,
  type ClientCertificate,
  type ClientCertificateOutcome,
  type DistinguishedName,
} from './client-certificate.ts';
import type { ClientCertificateMode, ListenerTlsConfig } from './tls-settings.ts';

/** The subject and issuer of the certificate this end of a connection presented. */
export interface CertificateNamesOf {
  readonly subject: DistinguishedName;
  readonly issuer: DistinguishedName;
}

/**
 * A client certificate a listener refused (`required` without a valid one, `optional` with one that
 * does not verify): the connection is closed right after the handshake, before any request is read.
 */
export class ClientCertificateRefused extends Error {
  readonly code = 'JCT_ERR_TLS_CLIENT_CERTIFICATE';
  readonly verifyError: string;
  constructor(verifyError: string, subject: string) {
    super(
      subject === ''
        ? `client certificate refused: ${verifyError}`
        : `client certificate '${subject}' refused: ${verifyError}`,
    );
    this.name = 'ClientCertificateRefused';
    this.verifyError = verifyError;
  }
}

/** What a session learns from its connection's handshake. */
export class TlsConnectionInfo {
  /** The server name the client sent (SNI), normalised; '' when it sent none. */
  readonly serverName: string;
  /** The ALPN protocol agreed on ('' when the client offered none): what a session would dispatch on. */
  readonly alpnProtocol: string;
  /** The TLS version, as `TLSv1.3`. */
  readonly protocol: string;
  /**
   * Whether the listener asked for a client certificate, and what it got: undefined when it did not
   * ask (no `client_certificates`).
   */
  readonly client: ClientCertificateOutcome | undefined;
  readonly #certificateNames: readonly string[];
  readonly #strict: boolean;
  readonly #socket: TLSSocket;
  #local: CertificateNamesOf | null | undefined;

  constructor(
    socket: TLSSocket,
    serverName: string,
    certificate: StoredCertificate | undefined,
    strict: boolean,
    client?: ClientCertificateOutcome,
  ) {
    this.serverName = serverName;
    this.alpnProtocol = typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : '';
    this.protocol = socket.getProtocol() ?? '';
    this.#certificateNames = certificate?.names ?? [];
    this.#strict = strict;
    this.#socket = socket;
    this.client = client;
  }

  /** Whether the listener asked this client for a certificate. */
  get asksClientCertificate(): boolean {
    return this.client !== undefined;
  }

  /** The client's certificate, when the listener asked for one and the client sent it. */
  get clientCertificate(): ClientCertificate | undefined {
    return this.client?.certificate;
  }

  /** The certificate this connection was served with (its subject and issuer); read on first use. */
  get localCertificate(): CertificateNamesOf | undefined {
    if (this.#local === undefined) {
      const cert = this.#socket.getCertificate();
      this.#local =
        cert === null || !('subject' in cert) ? null : { subject: cert.subject, issuer: cert.issuer };
    }
    return this.#local ?? undefined;
  }

  /**
   * Strict SNI binding (Sōzu's): a request whose Host is not a name of the certificate this
   * connection was served with is misdirected (421), so a connection set up for one site cannot be
   * used to reach another. Always false when the listener does not ask for it.
   */
  isMisdirected(host: string): boolean {
    if (!this.#strict) return false;
    return !namesCover(this.#certificateNames, host.endsWith('.') ? host.slice(0, -1) : host);
  }
}

/** Handshake counters of one listener, for stats(). */
export interface HandshakeCounters {
  /** Handshakes under way now. */
  readonly inProgress: number;
  readonly completed: number;
  /** Ended by an error (a protocol or version the listener refuses, garbage, a reset) before completing. */
  readonly failed: number;
  /** Not done within `handshake_timeout`; their sockets were closed. */
  readonly timedOut: number;
  /** Completed ones by negotiated version (`TLSv1.3`, `TLSv1.2`), in all. */
  readonly completedByVersion: ReadonlyMap<string, number>;
}

/** Where the acceptor reports each accepted socket's outcome: exactly one call per socket. */
/**
 * Hears how each handshake ended. `origin` is what the caller passed to `accept()` about the connection
 * (the client a PROXY protocol header named, say), handed back untouched.
 */
export interface HandshakeHandler<O> {
  /** The handshake is done: `socket` is ready for a session. */
  secured(socket: TLSSocket, info: TlsConnectionInfo, origin: O): void;
  /** The handshake failed or timed out; its socket is closed. `countedAs` is as given to accept(). */
  failed(countedAs: string): void;
}

const PLAIN_HTTP_BODY = 'this port speaks HTTPS: use an https:// URL\n';
const PLAIN_HTTP_LINE = 'HTTP/1.1 400 Bad Request\r\n';
const PLAIN_HTTP_REST =
  'Content-Type: text/plain; charset=utf-8\r\n' +
  `Content-Length: ${PLAIN_HTTP_BODY.length}\r\nConnection: close\r\n\r\n${PLAIN_HTTP_BODY}`;

class PendingHandshake<O> {
  readonly socket: TLSSocket;
  readonly clientAddress: string;
  readonly origin: O;
  readonly startedAt: number;
  settled = false;
  timedOut = false;

  constructor(socket: TLSSocket, clientAddress: string, origin: O, startedAt: number) {
    this.socket = socket;
    this.clientAddress = clientAddress;
    this.origin = origin;
    this.startedAt = startedAt;
  }
}

/**
 * The TLS step of a listener's path from accepted socket to session: wraps the raw socket, runs the
 * handshake (certificate by SNI, ALPN, OCSP stapling) and hands the session a TLS socket only once it
 * is done, so sessions never see a connection that is not secure yet. A handshake that fails or
 * outlives `handshake_timeout` closes its socket and is reported as failed: the handler hears
 * exactly once about every accepted socket.
 *
 * Timeouts ride on the server's sweep (`expire()`), like session deadlines, instead of a timer per
 * connection.
 */
export class TlsAcceptor<O = undefined> {
  #store: CertificateStore;
  #config: ListenerTlsConfig;
  readonly #clock: Clock;
  readonly #handler: HandshakeHandler<O>;
  /** Handshakes in start order, so expiry stops at the first one still in time. */
  readonly #pending = new Set<PendingHandshake<O>>();
  /** Never listens: Node emits OCSPRequest on the server a TLSSocket names, and this is that server. */
  readonly #events = new TlsServer();
  #alpn: string[] | undefined;
  #completed = 0;
  readonly #completedByVersion = new Map<string, number>();
  #failed = 0;
  #timedOut = 0;
  #ocspWired = false;
  /** Session ticket keys shared with other processes, if any; else each context keeps its own random ones. */
  #ticketKeys: Buffer | undefined;
  /** Contexts that hold #ticketKeys; a context gets them at its first handshake after they change. */
  #keyed = new WeakSet<SecureContext>();
  /** Hears the first error of each handshake that fails (the server logs it at debug level). */
  onHandshakeError: ((error: Error, clientAddress: string) => void) | undefined = undefined;

  constructor(config: ListenerTlsConfig, clock: Clock, handler: HandshakeHandler<O>) {
    this.#config = config;
    this.#clock = clock;
    this.#handler = handler;
    this.#alpn = alpnOf(config);
    this.#store = buildStore(config);
    this.wireOcsp();
  }

  /** The certificates handshakes are served from now. */
  get store(): CertificateStore {
    return this.#store;
  }

  /**
   * Builds what `config` asks for (every certificate loaded, its secure context made) without touching
   * what serves now, and throws TlsCertificateError when that cannot be done. The function it returns
   * swaps it in: handshakes that start afterwards use it, those under way finish as they began, and
   * certificates added at runtime give way to the config's.
   */
  prepare(config: ListenerTlsConfig): () => void {
    const store = buildStore(config);
    return () => {
      this.#store = store;
      this.#config = config;
      this.#alpn = alpnOf(config);
      this.wireOcsp();
    };
  }

  /**
   * Encrypts session tickets with `keys` (48 bytes) from now on, in every certificate's context, those
   * added later included: processes that share the keys resume each other's sessions. A ticket issued
   * under the previous keys no longer decrypts; its client does a full handshake.
   */
  setTicketKeys(keys: Buffer): void {
    if (keys.length !== TICKET_KEYS_BYTES) {
      throw new RangeError(`session ticket keys must be ${TICKET_KEYS_BYTES} bytes, got ${keys.length}`);
    }
    this.#ticketKeys = Buffer.from(keys);
    this.#keyed = new WeakSet();
  }

  /** `context`, holding the shared ticket keys when there are some (one WeakSet lookup per handshake). */
  #keyedContext(context: SecureContext): SecureContext {
    const keys = this.#ticketKeys;
    if (keys !== undefined && !this.#keyed.has(context)) {
      setContextTicketKeys(context, keys);
      this.#keyed.add(context);
    }
    return context;
  }

  get counters(): HandshakeCounters {
    return {
      inProgress: this.#pending.size,
      completed: this.#completed,
      completedByVersion: this.#completedByVersion,
      failed: this.#failed,
      timedOut: this.#timedOut,
    };
  }

  /**
   * Starts the handshake on `raw`, which the listener accepted (and may have paused while it waited
   * in the accept queue: the TLS layer reads from it regardless). `clientAddress` is the address the
   * connection is counted under, `origin` anything the caller wants back with the secured socket.
   */
  accept(raw: Socket, clientAddress: string, origin: O): void {
    const defaultCertificate = this.#store.defaultCertificate;
    if (defaultCertificate === undefined) {
      // Unreachable while the store refuses to lose its last certificate; never serve without one.
      raw.destroy();
      this.#failed++;
      this.#handler.failed(clientAddress);
      return;
    }
    const client = this.#config.clientCertificates;
    const socket = new TLSSocket(raw, {
      isServer: true,
      server: this.#events,
      secureContext: this.#keyedContext(defaultCertificate.context),
      SNICallback: this.#sni,
      ...(this.#alpn === undefined ? {} : { ALPNProtocols: this.#alpn }),
      // `required`: OpenSSL itself ends a handshake without a certificate (certificate_required alert).
      ...(client === undefined
        ? {}
        : { requestCert: true, rejectUnauthorized: client.verify === 'required' }),
    });
    const pending = new PendingHandshake(socket, clientAddress, origin, this.#clock.now());
    this.#pending.add(pending);
    socket.once('secure', () => {
      this.#secured(pending);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (pending.settled || pending.timedOut) return;
      this.onHandshakeError?.(error, clientAddress);
      // Plain HTTP sent to the HTTPS port (OpenSSL recognises a request line): answer it in clear, as
      // nginx does, so a person trying http:// sees why instead of an empty reply. The raw socket is
      // still writable; the TLS layer gave up on it.
      if (error.code === 'ERR_SSL_HTTP_REQUEST' && !raw.destroyed) {
        raw.write(PLAIN_HTTP_LINE + dateField() + PLAIN_HTTP_REST, 'latin1', () => raw.destroy());
      }
    });
    // The listener's sockets allow half-open connections (for HTTP); a client that stops sending
    // before its handshake is done never finishes it.
    socket.once('end', () => {
      if (!pending.settled) socket.destroy();
    });
    socket.once('close', () => {
      this.#closedEarly(pending);
    });
  }

  /** Closes handshakes that outlived `handshake_timeout`. Called by the server's sweep. */
  expire(): void {
    if (this.#pending.size === 0) return;
    const limit = this.#clock.now() - this.#config.handshakeTimeoutMs;
    for (const pending of this.#pending) {
      if (pending.startedAt > limit) return;
      pending.timedOut = true;
      this.#timedOut++;
      // 'close' follows and settles it.
      pending.socket.destroy();
      this.#pending.delete(pending);
    }
  }

  /** Stops every handshake under way (shutdown). */
  close(): void {
    for (const pending of this.#pending) pending.socket.destroy();
  }

  /** Listens for OCSP requests once some certificate has a response to staple (it costs a callback per handshake). */
  wireOcsp(): void {
    if (this.#ocspWired || !this.#store.hasOcsp) return;
    this.#ocspWired = true;
    this.#events.on(
      'OCSPRequest',
      (certificate: Buffer, _issuer: Buffer, callback: (error: Error | null, response?: Buffer) => void) => {
        // No response for this certificate: nothing is stapled and the handshake goes on.
        callback(null, this.#store.ocspFor(certificate));
      },
    );
  }

  readonly #sni = (
    serverName: string,
    callback: (error: Error | null, context?: SecureContext) => void,
  ): void => {
    const context = this.#store.lookup(normaliseName(serverName))?.context;
    callback(null, context === undefined ? undefined : this.#keyedContext(context));
  };

  #secured(pending: PendingHandshake<O>): void {
    if (pending.settled || pending.timedOut) return;
    pending.settled = true;
    this.#pending.delete(pending);
    const socket = pending.socket;
    const settings = this.#config.clientCertificates;
    const client =
      settings === undefined ? undefined : readClientCertificate(socket, settings.ca !== undefined);
    const refused = client === undefined ? undefined : refusal(settings!.verify, client);
    if (refused !== undefined) {
      this.#failed++;
      this.onHandshakeError?.(
        new ClientCertificateRefused(refused, client?.certificate?.subjectLine ?? ''),
        pending.clientAddress,
      );
      socket.destroy();
      this.#handler.failed(pending.clientAddress);
      return;
    }
    this.#completed++;
    const version = socket.getProtocol() ?? 'unknown';
    this.#completedByVersion.set(version, (this.#completedByVersion.get(version) ?? 0) + 1);
    // Renegotiation only serves attacks on a server (TLS 1.2 CPU exhaustion); 1.3 has none.
    socket.disableRenegotiation();
    const sent = socket.servername;
    const serverName = typeof sent === 'string' ? normaliseName(sent) : '';
    const info = new TlsConnectionInfo(
      socket,
      serverName,
      this.#store.lookup(serverName),
      this.#config.strictSniBinding,
      client,
    );
    this.#handler.secured(socket, info, pending.origin);
  }

  #closedEarly(pending: PendingHandshake<O>): void {
    if (pending.settled) return;
    pending.settled = true;
    this.#pending.delete(pending);
    if (!pending.timedOut) this.#failed++;
    this.#handler.failed(pending.clientAddress);
  }
}

/**
 * Why a client's certificate is refused, or undefined when the connection goes on. nginx's and
 * HAProxy's rule: under `required` and `optional` a certificate that is sent must verify;
 * `optional_no_ca` lets any through and says whether it verified.
 */
function refusal(mode: ClientCertificateMode, outcome: ClientCertificateOutcome): string | undefined {
  if (mode === 'optional_no_ca') return undefined;
  const certificate = outcome.certificate;
  if (certificate === undefined) return mode === 'required' ? 'NO_CERTIFICATE' : undefined;
  return certificate.verified ? undefined : certificate.verifyError;
}

function alpnOf(config: ListenerTlsConfig): string[] | undefined {
  return config.alpn.length === 0 ? undefined : [...config.alpn];
}

function buildStore(config: ListenerTlsConfig): CertificateStore {
  const client = config.clientCertificates;
  const store = new CertificateStore(
    {
      minVersion: config.minVersion,
      maxVersion: config.maxVersion,
      ciphers: config.ciphers,
      ...(client === undefined
        ? {}
        : { clientCa: client.ca, sessionIdContext: clientSessionIdContext(client) }),
    },
    config.defaultCertificate,
  );
  for (const certificate of config.certificates) {
    store.add(certificate.id, {
      cert: certificate.cert,
      key: certificate.key,
      names: certificate.names,
      ocsp: certificate.ocsp,
    });
  }
  return store;
}
