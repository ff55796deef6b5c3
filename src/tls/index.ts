/**
 * tls: TLS termination for HTTPS listeners. Owns listener certificates (loading, checking a key
 * against its certificate, their names), the certificate store SNI looks certificates up in (exact,
 * then wildcard, then the default), OCSP stapling, and the handshake step between an accepted socket
 * and its session (with its timeout and counters).
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
export { CertificateStore, type CertificateSource, type StoredCertificate } from './certificate-store.ts';
export {
  TlsAcceptor,
  TlsConnectionInfo,
  type HandshakeCounters,
  type HandshakeHandler,
} from './tls-acceptor.ts';
