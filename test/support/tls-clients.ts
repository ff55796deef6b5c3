/**
 * TLS clients for e2e tests of HTTPS listeners: a connection with the handshake's facts (certificate,
 * ALPN, version, stapled OCSP), exact request bytes, and responses framed by `http-frames.ts`. Every
 * wait is bounded.
 */
import { connect, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';
import { parseResponses, type ParsedResponse } from './http-frames.ts';
import { readUntil } from './clients.ts';

const DEFAULT_TIMEOUT_MS = 5_000;

export interface TlsConnectOptions {
  /** The CA to trust (the test CA's PEM). */
  readonly ca: string;
  /** SNI; omitted: the client sends none. */
  readonly servername?: string;
  readonly minVersion?: ConnectionOptions['minVersion'];
  readonly maxVersion?: ConnectionOptions['maxVersion'];
  readonly ALPNProtocols?: readonly string[];
  /** The client's cipher list (OpenSSL syntax). */
  readonly ciphers?: string;
  /** Ask the server to staple an OCSP response. */
  readonly requestOCSP?: boolean;
  readonly timeoutMs?: number;
}

/** One TLS connection after its handshake, speaking exact bytes. */
export class TlsClient {
  readonly socket: TLSSocket;
  /** What the server stapled, when the client asked; undefined or null when it stapled nothing. */
  readonly ocspResponse: Buffer | undefined | null;
  /** The handshake's facts, kept so they can be read after the connection is closed. */
  readonly certificate: PeerCertificate;
  readonly protocol: string;
  readonly alpnProtocol: string | false | null;
  #cursor = 0;

  private constructor(socket: TLSSocket, ocspResponse: Buffer | undefined | null) {
    this.socket = socket;
    this.ocspResponse = ocspResponse;
    this.certificate = socket.getPeerCertificate();
    this.protocol = socket.getProtocol() ?? '';
    this.alpnProtocol = socket.alpnProtocol;
    socket.on('error', () => {
      // A reset after the handshake is an outcome the test inspects.
    });
  }

  /** Connects to 127.0.0.1:`port` and completes the handshake, or rejects with the handshake's error. */
  static connect(port: number, options: TlsConnectOptions): Promise<TlsClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let ocsp: Buffer | undefined | null;
      const socket = connect({
        host: '127.0.0.1',
        port,
        ca: options.ca,
        // Node's default is to send the host as SNI; an IP address is never sent, which is what "none" means here.
        servername: options.servername ?? '',
        // The certificate is checked against the SNI name by Node; without one, check it against nothing.
        ...(options.servername === undefined ? { checkServerIdentity: () => undefined } : {}),
        ...(options.minVersion === undefined ? {} : { minVersion: options.minVersion }),
        ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
        ...(options.ALPNProtocols === undefined ? {} : { ALPNProtocols: [...options.ALPNProtocols] }),
        ...(options.requestOCSP === true ? { requestOCSP: true } : {}),
        ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
      });
      socket.on('OCSPResponse', (response: Buffer) => {
        ocsp = response;
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`TLS handshake with 127.0.0.1:${port}: not within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        resolve(new TlsClient(socket, ocsp));
      });
      const onError = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once('error', onError);
    });
  }

  /** The subject CN of the certificate the server chose. */
  get certificateName(): string {
    const cn: string | string[] | undefined = this.certificate.subject.CN;
    return Array.isArray(cn) ? cn.join(',') : (cn ?? '');
  }

  /** Sends one request (a GET with `Host: host` unless `bytes` is given) and reads its response. */
  async request(host: string, path = '/', bytes?: string): Promise<ParsedResponse> {
    this.socket.write(bytes ?? `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    let found: ParsedResponse | undefined;
    await readUntil(
      this.socket,
      (received) => {
        found = parseResponses(received.subarray(this.#cursor)).find((r) => r.complete);
        return found !== undefined;
      },
      DEFAULT_TIMEOUT_MS,
    );
    this.#cursor += found!.raw.length;
    return found!;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connects, sends one request for `host`, returns the response and the connection (closed). */
export async function httpsGet(
  port: number,
  host: string,
  options: TlsConnectOptions,
  path = '/',
): Promise<{ response: ParsedResponse; client: TlsClient }> {
  const client = await TlsClient.connect(port, options);
  try {
    return { response: await client.request(host, path), client };
  } finally {
    client.close();
  }
}
