/**
 * What an HTTPS listener serves, as the config validated it: its certificates and its handshake
 * settings. TLS termination owns this shape; config/ produces it and imports it from here.
 */
import type { TlsVersion } from './certificate.ts';

export interface ListenerCertificateConfig {
  /** Unique within its listener; the runtime certificate API names certificates by it. */
  readonly id: string;
  /** PEM: the leaf certificate first, then its chain; and its private key. */
  readonly cert: string;
  readonly key: string;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  /** The server names it serves; undefined: the certificate's own DNS names. */
  readonly names: readonly string[] | undefined;
  /** A DER OCSP response to staple. */
  readonly ocsp: Buffer | undefined;
}

/**
 * Whether a listener asks clients for a certificate, and what it does with one (nginx's
 * `ssl_verify_client`): `required` refuses a connection without a certificate that verifies against
 * the CA; `optional` asks, lets every client in and tells whether its certificate verified;
 * `optional_no_ca` asks without checking it against any CA (the application judges it).
 */
export type ClientCertificateMode = 'required' | 'optional' | 'optional_no_ca';

export interface ClientCertificateSettings {
  readonly verify: ClientCertificateMode;
  /** PEM: the CA certificates a client certificate must chain to; undefined only for optional_no_ca. */
  readonly ca: string | undefined;
  readonly caFile: string | undefined;
}

export interface ListenerTlsConfig {
  readonly certificates: readonly ListenerCertificateConfig[];
  /** The id of the certificate for clients whose server name matches none (or who send none). */
  readonly defaultCertificate: string;
  readonly minVersion: TlsVersion;
  readonly maxVersion: TlsVersion;
  /** OpenSSL cipher list (TLS 1.2 ciphers and TLS 1.3 suites). */
  readonly ciphers: string;
  /** ALPN protocols offered, in preference order; empty: no ALPN. */
  readonly alpn: readonly string[];
  /** A request whose Host is not a name of the connection's certificate gets 421. */
  readonly strictSniBinding: boolean;
  /** A handshake not done within this closes its socket. */
  readonly handshakeTimeoutMs: number;
  /** Client certificates (mutual TLS); undefined: clients are not asked for one. */
  readonly clientCertificates?: ClientCertificateSettings | undefined;
}
