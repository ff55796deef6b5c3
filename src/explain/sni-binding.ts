/**
 * A listener's `strict_sni_binding` judged for one request, as the TLS step and routing judge it: the
 * certificate the listener serves for the SNI (the same CertificateStore lookup), and whether the
 * request's Host is one of its names (the same namesCover). A Host outside them is answered 421.
 */
import type { ListenerConfig } from '../config/index.ts';
import { CertificateStore, namesCover, normaliseName } from '../tls/index.ts';

export interface SniBinding {
  /** The certificate served for the SNI (its id), and the names it covers. */
  readonly certificate: string;
  readonly names: readonly string[];
  readonly covered: boolean;
}

/** Undefined when the listener does not bind, or its certificates cannot be loaded here. */
export function sniBinding(listener: ListenerConfig, sni: string, host: string): SniBinding | undefined {
  const tls = listener.tls;
  if (tls?.strictSniBinding !== true) return undefined;
  let store: CertificateStore;
  try {
    store = new CertificateStore(
      { minVersion: tls.minVersion, maxVersion: tls.maxVersion, ciphers: tls.ciphers },
      tls.defaultCertificate,
    );
    for (const c of tls.certificates)
      store.add(c.id, { cert: c.cert, key: c.key, names: c.names, ocsp: c.ocsp });
  } catch {
    return undefined;
  }
  const certificate = store.lookup(sni === '' ? '' : normaliseName(sni));
  if (certificate === undefined) return undefined;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return {
    certificate: certificate.id,
    names: certificate.names,
    covered: namesCover(certificate.names, name),
  };
}
