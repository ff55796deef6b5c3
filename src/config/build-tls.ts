/** Validated TLS, redirect and HSTS values → their config shapes, defaults filled in (see build-config.ts). */
import * as defaults from './defaults.ts';
import type { RawConfig } from './schema.ts';
import type { HstsConfig, HttpsRedirectConfig, ListenerTlsConfig } from './tls-types.ts';

type RawListener = RawConfig['listeners'][number];
type RawRoute = NonNullable<RawConfig['routes']>[number];

export function buildListenerTls(raw: NonNullable<RawListener['tls']>): ListenerTlsConfig {
  const certificates = raw.certificates.map((c) => ({
    id: c.id,
    cert: c.cert_file.pem,
    key: c.key_file.pem,
    certFile: c.cert_file.path,
    keyFile: c.key_file.path,
    names: c.names,
    ocsp: c.ocsp_file?.bytes,
  }));
  return {
    certificates,
    defaultCertificate: raw.default_certificate ?? certificates[0]!.id,
    minVersion: raw.min_version ?? defaults.DEFAULT_TLS_MIN_VERSION,
    maxVersion: raw.max_version ?? defaults.DEFAULT_TLS_MAX_VERSION,
    ciphers: raw.ciphers ?? defaults.DEFAULT_TLS_CIPHERS,
    alpn: raw.alpn ?? defaults.DEFAULT_TLS_ALPN,
    strictSniBinding: raw.strict_sni_binding ?? defaults.DEFAULT_TLS_STRICT_SNI_BINDING,
    handshakeTimeoutMs: raw.handshake_timeout ?? defaults.DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
    ...(raw.client_certificates === undefined
      ? {}
      : {
          clientCertificates: {
            verify: raw.client_certificates.verify ?? 'required',
            ca: raw.client_certificates.ca_file?.pem,
            caFile: raw.client_certificates.ca_file?.path,
          },
        }),
  };
}

export function buildHttpsRedirect(raw: NonNullable<RawListener['redirect_to_https']>): HttpsRedirectConfig {
  return {
    port: raw.port ?? defaults.DEFAULT_HTTPS_PORT,
    status: raw.status ?? defaults.DEFAULT_HTTPS_REDIRECT_STATUS,
  };
}

export function buildHsts(raw: NonNullable<RawRoute['hsts']>): HstsConfig {
  return {
    maxAgeSeconds: raw.max_age ?? defaults.DEFAULT_HSTS_MAX_AGE_SECONDS,
    includeSubdomains: raw.include_subdomains ?? false,
    preload: raw.preload ?? false,
  };
}
