import type { SecureContext } from 'node:tls';
import { TlsCertificateError } from '../errors/index.ts';
import {
  certificateContext,
  inspectCertificate,
  isCertificateName,
  normaliseName,
  type CertificateFacts,
  type TlsContextOptions,
} from './certificate.ts';

/** A certificate to serve: PEM text, and optionally the names it serves and a stapled OCSP response. */
export interface CertificateSource {
  /** PEM: the leaf certificate first, then its chain. */
  readonly cert: string;
  /** PEM private key of the leaf. */
  readonly key: string;
  /** The server names it is chosen for (exact or `*.example.com`); default: its own DNS names. */
  readonly names?: readonly string[] | undefined;
  /** A DER OCSP response stapled to every handshake that asks for one. */
  readonly ocsp?: Buffer | undefined;
}

/** One certificate a listener serves, loaded: its secure context is built once, here. */
export interface StoredCertificate {
  readonly id: string;
  /** The names it is chosen for, normalised. */
  readonly names: readonly string[];
  readonly facts: CertificateFacts;
  readonly context: SecureContext;
  readonly ocsp: Buffer | undefined;
}

/**
 * The certificates of one TLS listener and the lookup SNI runs against: an exact name first, then a
 * one-label wildcard (`a.example.com` → `*.example.com`), then the default certificate. The lookup is
 * two Map gets per handshake. Changes (add, replace, remove) build the new certificate completely
 * before swapping it in, so a certificate that fails to load changes nothing.
 *
 * Among certificates that claim the same name, the one listed first serves it.
 */
export class CertificateStore {
  readonly #options: TlsContextOptions;
  /** In listing order; the index is rebuilt from it on every change (changes are rare, lookups are not). */
  #list: StoredCertificate[] = [];
  #exact = new Map<string, StoredCertificate>();
  /** `.example.com` → the certificate listing `*.example.com`. */
  #wildcard = new Map<string, StoredCertificate>();
  #defaultId: string;
  #default: StoredCertificate | undefined;
  /** DER leaf (base64) → OCSP response, for the OCSPRequest event, which names the certificate by its DER. */
  #ocspByCertificate = new Map<string, Buffer>();

  constructor(options: TlsContextOptions, defaultId: string) {
    this.#options = options;
    this.#defaultId = defaultId;
  }

  /** Loads a certificate without storing it: throws TlsCertificateError if it cannot serve. */
  load(id: string, source: CertificateSource): StoredCertificate {
    if (id === '') throw new TlsCertificateError('a certificate id must not be empty');
    const checked = inspectCertificate(source.cert, source.key);
    if (!checked.ok) {
      throw new TlsCertificateError(
        `certificate '${id}': the ${checked.field === 'cert' ? 'certificate' : 'key'} ${checked.problem}`,
      );
    }
    const facts = checked.value;
    const names = (source.names ?? facts.names).map(normaliseName);
    if (names.length === 0) {
      throw new TlsCertificateError(`certificate '${id}' has no DNS name; give it names`);
    }
    const bad = names.find((name) => !isCertificateName(name));
    if (bad !== undefined) {
      throw new TlsCertificateError(
        `certificate '${id}': '${bad}' is not a server name (example.com or *.example.com)`,
      );
    }
    let context: SecureContext;
    try {
      context = certificateContext(source.cert, source.key, this.#options);
    } catch (error) {
      throw new TlsCertificateError(
        `certificate '${id}' cannot be served: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return { id, names, facts, context, ocsp: source.ocsp };
  }

  /** Adds a certificate after the others; its id (default: its first name) must be new. */
  add(id: string | undefined, source: CertificateSource): StoredCertificate {
    if (id !== undefined && this.#find(id) !== -1) {
      throw new TlsCertificateError(`certificate '${id}' already exists; replace it instead`);
    }
    let loaded = this.load(id ?? 'new certificate', source);
    if (id === undefined) {
      loaded = { ...loaded, id: loaded.names[0]! };
      if (this.#find(loaded.id) !== -1) {
        throw new TlsCertificateError(`certificate '${loaded.id}' already exists; replace it instead`);
      }
    }
    this.#swap([...this.#list, loaded]);
    return loaded;
  }

  /** Replaces certificate `id` in place. If the new one fails to load, the old one keeps serving. */
  replace(id: string, source: CertificateSource): StoredCertificate {
    const index = this.#find(id);
    if (index === -1) throw new TlsCertificateError(`no certificate '${id}' to replace`);
    const loaded = this.load(id, source);
    const list = [...this.#list];
    list[index] = loaded;
    this.#swap(list);
    return loaded;
  }

  /**
   * Removes certificate `id`. The last certificate cannot go (the listener would have nothing to
   * serve); when the default goes, the first remaining certificate becomes the default.
   */
  remove(id: string): void {
    const index = this.#find(id);
    if (index === -1) throw new TlsCertificateError(`no certificate '${id}' to remove`);
    if (this.#list.length === 1) {
      throw new TlsCertificateError(
        `certificate '${id}' is the listener's last; add another before removing it`,
      );
    }
    this.#swap(this.#list.filter((_, i) => i !== index));
  }

  /** Makes certificate `id` the one served when no name matches (or the client sent none). */
  setDefault(id: string): void {
    if (this.#find(id) === -1) throw new TlsCertificateError(`no certificate '${id}' to make the default`);
    this.#defaultId = id;
    this.#swap(this.#list);
  }

  get certificates(): readonly StoredCertificate[] {
    return this.#list;
  }

  /** The certificate served when no name matches; undefined only while the store is empty. */
  get defaultCertificate(): StoredCertificate | undefined {
    return this.#default;
  }

  /** The certificate for a server name (normalised, or '' for none); falls back to the default. */
  lookup(serverName: string): StoredCertificate | undefined {
    if (serverName !== '') {
      const exact = this.#exact.get(serverName);
      if (exact !== undefined) return exact;
      const dot = serverName.indexOf('.');
      if (dot > 0) {
        const wildcard = this.#wildcard.get(serverName.slice(dot));
        if (wildcard !== undefined) return wildcard;
      }
    }
    return this.#default;
  }

  /** The OCSP response to staple for the certificate whose DER leaf is `der`, if it has one. */
  ocspFor(der: Buffer): Buffer | undefined {
    return this.#ocspByCertificate.size === 0
      ? undefined
      : this.#ocspByCertificate.get(der.toString('base64'));
  }

  get hasOcsp(): boolean {
    return this.#ocspByCertificate.size > 0;
  }

  #find(id: string): number {
    return this.#list.findIndex((c) => c.id === id);
  }

  /** Installs `list` and rebuilds the index; readers see either the old index or the new one. */
  #swap(list: StoredCertificate[]): void {
    const exact = new Map<string, StoredCertificate>();
    const wildcard = new Map<string, StoredCertificate>();
    const ocsp = new Map<string, Buffer>();
    for (const certificate of list) {
      for (const name of certificate.names) {
        if (name.startsWith('*.')) {
          if (!wildcard.has(name.slice(1))) wildcard.set(name.slice(1), certificate);
        } else if (!exact.has(name)) {
          exact.set(name, certificate);
        }
      }
      if (certificate.ocsp !== undefined)
        ocsp.set(certificate.facts.der.toString('base64'), certificate.ocsp);
    }
    let fallback = list.find((c) => c.id === this.#defaultId);
    if (fallback === undefined && list.length > 0) {
      fallback = list[0]!;
      this.#defaultId = fallback.id;
    }
    this.#list = list;
    this.#exact = exact;
    this.#wildcard = wildcard;
    this.#ocspByCertificate = ocsp;
    this.#default = fallback;
  }
}
