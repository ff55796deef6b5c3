/**
 * Client certificates (mutual TLS): checking a CA bundle when it is loaded, and what a connection's
 * client certificate says once the handshake is done (read once per connection, only on listeners
 * that ask for one).
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { ClientCertificateSettings } from './tls-settings.ts';

/** A certificate's subject or issuer: attribute short name (`CN`, `O`, …) → value, or values when repeated. */
export type DistinguishedName = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What a client's certificate says, and whether it verified. */
export interface ClientCertificate {
  /** Whether it chains to the listener's CA (always false under `optional_no_ca`). */
  readonly verified: boolean;
  /**
   * Why it did not verify, as OpenSSL names it (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `CERT_HAS_EXPIRED`…);
   * '' when it verified.
   */
  readonly verifyError: string;
  readonly subject: DistinguishedName;
  readonly issuer: DistinguishedName;
  /** Upper-case hex, as `openssl x509 -serial` prints it. */
  readonly serialNumber: string;
  /** ISO 8601. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex. */
  readonly fingerprint256: string;
  /** `DNS:a.example, URI:spiffe://…`, as Node prints subjectAltName; '' without one. */
  readonly subjectAltName: string;
  /** The one-line subject, `CN=client, O=Example`: what the access log writes. */
  readonly subjectLine: string;
}

/** What a TLS connection learnt about its client's certificate. */
export interface ClientCertificateOutcome {
  /** The client sent a certificate; undefined when it sent none. */
  readonly certificate: ClientCertificate | undefined;
  /** OpenSSL's verify result as a number (TxnBox's inbound-cert-verify-result): 0 when it verified or none was sent. */
  readonly verifyResult: number;
}

/** Parses a CA bundle: the certificates in it, or why it cannot serve as one. Never throws. */
export function inspectCaBundle(
  pem: string,
): { readonly ok: true; readonly count: number } | { readonly ok: false; readonly problem: string } {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return { ok: false, problem: 'holds no PEM certificate (BEGIN CERTIFICATE)' };
  for (const [index, block] of blocks.entries()) {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(block);
    } catch (error) {
      return {
        ok: false,
        problem: `certificate ${index + 1} is not valid (${error instanceof Error ? error.message : String(error)})`,
      };
    }
    if (!x509.ca) {
      return {
        ok: false,
        problem: `certificate ${index + 1} (${x509.subject.split('\n').join(', ')}) is not a CA certificate (basicConstraints CA:TRUE)`,
      };
    }
  }
  return { ok: true, count: blocks.length };
}

/** The session id context of a listener that asks for client certificates: a new CA ends resumption. */
export function clientSessionIdContext(settings: ClientCertificateSettings): string {
  return createHash('sha256')
    .update(`${settings.verify}\n${settings.ca ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

/** The part of a TLSSocket's native handle (typed `any` by Node) that holds OpenSSL's verify result. */
interface NativeTlsHandle {
  verifyError(): (Error & { code?: string }) | null;
}

/**
 * The verify result of a server-side socket made by hand: Node computes `authorized` only for sockets
 * its own tls.Server accepted, so this asks the native handle as that code does.
 */
function verifyErrorOf(socket: TLSSocket): string {
  const handle = (socket as unknown as { readonly _handle: NativeTlsHandle | null })._handle;
  const error = handle?.verifyError() ?? null;
  return error === null ? '' : (error.code ?? 'UNSPECIFIED');
}

/** Reads the client certificate of a connection whose handshake just completed. */
export function readClientCertificate(socket: TLSSocket, checksCa: boolean): ClientCertificateOutcome {
  const peer = socket.getPeerCertificate(false) as Partial<DetailedPeerCertificate>;
  if (peer.raw === undefined) return { certificate: undefined, verifyResult: 0 };
  // Without a CA (optional_no_ca) OpenSSL's verdict is meaningless: nothing could be trusted.
  const verifyError = checksCa ? verifyErrorOf(socket) : 'NOT_VERIFIED';
  const subject = peer.subject ?? {};
  return {
    certificate: {
      verified: verifyError === '',
      verifyError,
      subject,
      issuer: peer.issuer ?? {},
      serialNumber: (peer.serialNumber ?? '').toUpperCase(),
      notBefore: isoDate(peer.valid_from),
      notAfter: isoDate(peer.valid_to),
      fingerprint256: peer.fingerprint256 ?? '',
      subjectAltName: peer.subjectaltname ?? '',
      subjectLine: Object.entries(subject)
        .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
        .join(', '),
    },
    verifyResult: verifyError === '' ? 0 : x509ErrorNumber(verifyError),
  };
}

function isoDate(text: string | undefined): string {
  if (text === undefined) return '';
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

/**
 * OpenSSL's X509_V_ERR_* numbers by the name Node gives them (without the prefix): what TxnBox's
 * inbound-cert-verify-result returns. A name not listed is X509_V_ERR_UNSPECIFIED (1).
 */
const X509_ERRORS: Readonly<Record<string, number>> = {
  UNABLE_TO_GET_ISSUER_CERT: 2,
  UNABLE_TO_GET_CRL: 3,
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 4,
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 6,
  CERT_SIGNATURE_FAILURE: 7,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 13,
  ERROR_IN_CERT_NOT_AFTER_FIELD: 14,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_CHAIN_TOO_LONG: 22,
  CERT_REVOKED: 23,
  INVALID_CA: 24,
  PATH_LENGTH_EXCEEDED: 25,
  INVALID_PURPOSE: 26,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
};

/** X509_V_ERR_INVALID_CALL: TxnBox's inbound-cert-verify-result on a connection without TLS. */
export const VERIFY_RESULT_NOT_TLS = 69;

export function x509ErrorNumber(name: string): number {
  return X509_ERRORS[name] ?? 1;
}
