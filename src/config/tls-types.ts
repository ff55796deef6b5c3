/**
 * The validated shapes of HTTPS listeners, redirects to HTTPS and HSTS (part of types.ts). A listener's
 * TLS settings are the shape tls/ serves, so tls/ owns them and imports nothing of config/.
 */
export type { ListenerCertificateConfig, ListenerTlsConfig } from '../tls/index.ts';

export interface HttpsRedirectConfig {
  /** The HTTPS port redirects point at; 443 is left out of the URL. */
  readonly port: number;
  readonly status: 301 | 302 | 307 | 308;
}

export interface HstsConfig {
  readonly maxAgeSeconds: number;
  readonly includeSubdomains: boolean;
  readonly preload: boolean;
}
