import { readFileSync } from 'node:fs';
import { TlsCertificateError } from '../errors/index.ts';
import type { Listener } from '../listener/index.ts';
import type {
  CertificateFacts,
  CertificateSource,
  CertificateStore,
  StoredCertificate,
  TlsAcceptor,
} from '../tls/index.ts';

/** A certificate given to the runtime API: PEM text or files (exactly one of each pair). */
export interface CertificateInput {
  /** How the API names it later; default (add): its first name. */
  readonly id?: string;
  /** PEM: the leaf certificate first, then its chain. */
  readonly cert?: string;
  readonly certFile?: string;
  /** PEM private key of the leaf. */
  readonly key?: string;
  readonly keyFile?: string;
  /** The server names it is chosen for; default: its own DNS names. */
  readonly names?: readonly string[];
  /** A DER OCSP response to staple. */
  readonly ocsp?: Buffer;
  readonly ocspFile?: string;
  /** Serve it to clients whose server name matches no certificate (or who send none). */
  readonly isDefault?: boolean;
}

/**
 * One certificate a listener serves, as `JunctionServer.certificates()` reports it: what the certificate
 * says about itself (subject, issuer, validity in ISO 8601, SHA-256 fingerprint) and how it is used.
 */
export interface CertificateInfo extends Pick<
  CertificateFacts,
  'subject' | 'issuer' | 'notBefore' | 'notAfter' | 'fingerprint'
> {
  readonly listener: string;
  readonly id: string;
  /** The server names it is chosen for. */
  readonly names: readonly string[];
  readonly isDefault: boolean;
  readonly hasOcsp: boolean;
}

export function describeCertificates(listeners: readonly Listener[]): CertificateInfo[] {
  const out: CertificateInfo[] = [];
  for (const listener of listeners) {
    const store = listener.tls?.store;
    if (store === undefined) continue;
    for (const certificate of store.certificates)
      out.push(describe(listener.config.name, store, certificate));
  }
  return out;
}

/** Adds a certificate to an HTTPS listener. Throws TlsCertificateError; nothing changes then. */
export function addCertificate(
  listeners: readonly Listener[],
  name: string,
  input: CertificateInput,
): CertificateInfo {
  const acceptor = tlsOf(listeners, name);
  const source = readSource(input);
  const added = acceptor.store.add(input.id, source);
  if (input.isDefault === true) acceptor.store.setDefault(added.id);
  acceptor.wireOcsp();
  return describe(name, acceptor.store, added);
}

/** Replaces certificate `id`. A replacement that fails to load throws and the old one keeps serving. */
export function replaceCertificate(
  listeners: readonly Listener[],
  name: string,
  id: string,
  input: CertificateInput,
): CertificateInfo {
  const acceptor = tlsOf(listeners, name);
  if (input.id !== undefined && input.id !== id) {
    throw new TlsCertificateError(`a replacement keeps its id ('${id}'), got '${input.id}'`);
  }
  const replaced = acceptor.store.replace(id, readSource(input));
  if (input.isDefault === true) acceptor.store.setDefault(id);
  acceptor.wireOcsp();
  return describe(name, acceptor.store, replaced);
}

export function removeCertificate(listeners: readonly Listener[], name: string, id: string): void {
  tlsOf(listeners, name).store.remove(id);
}

function tlsOf(listeners: readonly Listener[], name: string): TlsAcceptor<unknown> {
  const listener = listeners.find((l) => l.config.name === name);
  if (listener === undefined) {
    throw new TlsCertificateError(
      `no listener named '${name}' (listeners: ${listeners.map((l) => l.config.name).join(', ')})`,
    );
  }
  if (listener.tls === null) throw new TlsCertificateError(`listener '${name}' is not an HTTPS listener`);
  return listener.tls;
}

function readSource(input: CertificateInput): CertificateSource {
  return {
    cert: pick(input.cert, input.certFile, 'cert', 'utf8'),
    key: pick(input.key, input.keyFile, 'key', 'utf8'),
    names: input.names,
    ocsp: input.ocspFile === undefined ? input.ocsp : readFile(input.ocspFile, 'ocspFile'),
  };
}

function pick(text: string | undefined, file: string | undefined, what: string, encoding: 'utf8'): string {
  if ((text === undefined) === (file === undefined)) {
    throw new TlsCertificateError(`give exactly one of ${what} and ${what}File`);
  }
  return text ?? readFile(file!, `${what}File`).toString(encoding);
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new TlsCertificateError(`${what}: cannot read '${path}' (${reason})`, { cause: error });
  }
}

function describe(
  listener: string,
  store: CertificateStore,
  certificate: StoredCertificate,
): CertificateInfo {
  const { facts } = certificate;
  return {
    listener,
    id: certificate.id,
    names: certificate.names,
    subject: facts.subject,
    issuer: facts.issuer,
    notBefore: facts.notBefore,
    notAfter: facts.notAfter,
    fingerprint: facts.fingerprint,
    isDefault: store.defaultCertificate === certificate,
    hasOcsp: certificate.ocsp !== undefined,
  };
}
