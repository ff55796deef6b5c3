import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';

/** The TLS versions a listener may allow; older ones are broken and never offered. */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** What every secure context of one listener shares. */
export interface TlsContextOptions {
  readonly minVersion: TlsVersion;
  readonly maxVersion: TlsVersion;
  /** An OpenSSL cipher list (TLS 1.2 ciphers and TLS 1.3 suites); undefined keeps Node's default. */
  readonly ciphers: string | undefined;
  /** PEM CA certificates client certificates are verified against (mutual TLS); undefined: none. */
  readonly clientCa?: string | undefined;
  /**
   * Set when the listener asks for client certificates: OpenSSL resumes a session only within the
   * same context id, and refuses to resume without one once it verifies peers.
   */
  readonly sessionIdContext?: string | undefined;
}

/** What a certificate says about itself, read once when it is loaded. */
export interface CertificateFacts {
  /** DNS names from subjectAltName (or the CN when there are none), lower-case, wildcards as `*.x`. */
  readonly names: readonly string[];
  readonly subject: string;
  readonly issuer: string;
  /** ISO 8601. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** SHA-256 of the DER certificate, colon-separated hex, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprint: string;
  /** The leaf certificate, DER: what an OCSP request names. */
  readonly der: Buffer;
}

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly field: 'cert' | 'key'; readonly problem: string };

/**
 * Reads a PEM certificate (the leaf first, then its chain) and its PEM private key, and checks that
 * the key belongs to the leaf. Never throws: a problem names the side it is about.
 */
export function inspectCertificate(certPem: string, keyPem: string): Checked<CertificateFacts> {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch (error) {
    return { ok: false, field: 'cert', problem: `is not a PEM certificate (${reason(error)})` };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    return { ok: false, field: 'key', problem: `is not a PEM private key (${reason(error)})` };
  }
  if (!x509.checkPrivateKey(key)) {
    return { ok: false, field: 'key', problem: 'does not match the certificate (its public key differs)' };
  }
  return {
    ok: true,
    value: {
      names: certificateNames(x509),
      subject: oneLine(x509.subject),
      issuer: oneLine(x509.issuer),
      notBefore: new Date(x509.validFrom).toISOString(),
      notAfter: new Date(x509.validTo).toISOString(),
      fingerprint: x509.fingerprint256,
      der: x509.raw,
    },
  };
}

/** The secure context a certificate is served with; built once per certificate, never per handshake. */
export function certificateContext(
  certPem: string,
  keyPem: string,
  options: TlsContextOptions,
): SecureContext {
  return createSecureContext({
    cert: certPem,
    key: keyPem,
    minVersion: options.minVersion,
    maxVersion: options.maxVersion,
    // The server's order, so a client cannot talk it down to the weakest cipher both allow.
    honorCipherOrder: true,
    ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
    ...(options.clientCa === undefined ? {} : { ca: options.clientCa }),
    ...(options.sessionIdContext === undefined ? {} : { sessionIdContext: options.sessionIdContext }),
  });
}

/** Session ticket keys are 48 bytes: a 16-byte name, a 16-byte HMAC secret and a 16-byte AES key. */
export const TICKET_KEYS_BYTES = 48;

/** The part of the native context (SecureContext#context, typed `any`) ticket keys are set on. */
interface NativeSecureContext {
  setTicketKeys(keys: Buffer): void;
}

/**
 * Sets the keys a secure context encrypts and decrypts session tickets with. Node's SecureContext
 * wraps the native context; this is the call tls.Server#setTicketKeys makes on its own.
 */
export function setContextTicketKeys(context: SecureContext, keys: Buffer): void {
  if (keys.length !== TICKET_KEYS_BYTES) {
    throw new RangeError(`session ticket keys must be ${TICKET_KEYS_BYTES} bytes, got ${keys.length}`);
  }
  (context as { readonly context: NativeSecureContext }).context.setTicketKeys(keys);
}

/** Why `ciphers` is unusable, or undefined when OpenSSL accepts it. */
export function cipherListProblem(ciphers: string): string | undefined {
  try {
    createSecureContext({ ciphers });
    return undefined;
  } catch (error) {
    return `is not a cipher list OpenSSL accepts (${reason(error)})`;
  }
}

/**
 * A certificate's DNS names: its subjectAltName DNS entries, or its subject CN when it has none
 * (clients ignore the CN when SANs exist, RFC 6125 §6.4.4, so the CN is a fallback only). Entries
 * that are not DNS names (an address, a CN that is a sentence) are left out: no SNI could match them.
 */
export function certificateNames(x509: X509Certificate): string[] {
  const names: string[] = [];
  for (const entry of splitAltNames(x509.subjectAltName ?? '')) {
    if (entry.startsWith('DNS:')) names.push(normaliseName(unquote(entry.slice(4))));
  }
  if (names.length === 0) {
    for (const line of x509.subject.split('\n')) {
      if (line.startsWith('CN=')) names.push(normaliseName(unquote(line.slice(3))));
    }
  }
  return names.filter(isCertificateName);
}

const CERTIFICATE_NAME =
  /^(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

/** A normalised DNS name, or a wildcard over its whole first label (`*.example.com`); no IP literals. */
export function isCertificateName(name: string): boolean {
  // SNI never carries an IP address (RFC 6066 §3), so an address could never be looked up.
  return name.length <= 253 && CERTIFICATE_NAME.test(name) && isIP(name) === 0;
}

/** Lower-case, without a trailing dot: how SNI and Host names are compared. */
export function normaliseName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * Whether `host` is one of `names`, where `*.example.com` covers exactly one label before
 * `.example.com` (RFC 6125 §6.4.3, as clients check certificates; like OpenSSL, a wildcard over a
 * single label such as `*.com` covers nothing). `host` must be normalised.
 */
export function namesCover(names: readonly string[], host: string): boolean {
  const dot = host.indexOf('.');
  for (const name of names) {
    if (name === host) return true;
    if (
      dot > 0 &&
      name.startsWith('*.') &&
      name.indexOf('.', 2) > 0 &&
      name.length - 1 === host.length - dot &&
      host.endsWith(name.slice(1))
    )
      return true;
  }
  return false;
}

/** `DNS:a, DNS:"b, c"` → entries; Node quotes an entry whose value holds a separator. */
function splitAltNames(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start).trim());
  return out;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return String(JSON.parse(value));
  } catch {
    return value.slice(1, -1);
  }
}

function oneLine(distinguishedName: string): string {
  return distinguishedName.split('\n').join(', ');
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
