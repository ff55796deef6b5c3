/**
 * tls: TLS termination for HTTPS listeners. Owns listener certificates (loading, checking a key
 * against its certificate, their names), the certificate store SNI looks certificates up in (exact,
 * then wildcard, then the default), OCSP stapling, client certificates (mutual TLS: asking for them, verifying them against the
 * listener's CA, and what a connection's certificate says), and the handshake step between an accepted socket
 * and its session (with its timeout and counters). It owns the shape of a listener's TLS settings
 * (tls-settings.ts): config/ builds it, and tls/ imports nothing of config/.
 * Does not: accept sockets or queue them (listener/), speak HTTP (session/), or talk TLS to upstreams
 * (connector/).
 */
export {
  certificateNames,
  cipherListProblem,
  inspectCertificate,
  isCertificateName,
  namesCover,
  normaliseName,
  setContextTicketKeys,
  TICKET_KEYS_BYTES,
  type CertificateFacts,
  type TlsContextOptions,
  type TlsVersion,
} from './certificate.ts';
export type {
  ClientCertificateMode,
  ClientCertificateSettings,
  ListenerCertificateConfig,
  ListenerTlsConfig,
} from './tls-settings.ts';
export {
  inspectCaBundle,
  VERIFY_RESULT_NOT_TLS,
  x509ErrorNumber,
  type ClientCertificate,
  type ClientCertificateOutcome,
  type DistinguishedName,
} from './client-certificate.ts';
export { CertificateStore, type CertificateSource, type StoredCertificate } from './certificate-store.ts';
export {
  TlsAcceptor,
  TlsConnectionInfo,
  ClientCertificateRefused,
  type CertificateNamesOf,
  type HandshakeCounters,
  type HandshakeHandler,
} from './tls-acceptor.ts';
