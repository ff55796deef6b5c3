import type { HstsConfig } from '../config/types.ts';

/** The Strict-Transport-Security value for a route's settings (RFC 6797 §6.1). */
export function hstsValue(hsts: HstsConfig): string {
  return (
    `max-age=${hsts.maxAgeSeconds}` +
    (hsts.includeSubdomains ? '; includeSubDomains' : '') +
    (hsts.preload ? '; preload' : '')
  );
}

/**
 * The extra response fields with Strict-Transport-Security added, unless the upstream sent its own:
 * the application knows its subdomains better than the proxy, and a browser heeds only the first
 * field anyway (RFC 6797 §8.1). Only for responses over HTTPS: over plain HTTP the field is ignored
 * by browsers and would only advertise a policy an attacker in the path can strip.
 */
export function withHsts(
  extra: readonly string[] | undefined,
  hsts: HstsConfig,
  upstreamFields: readonly string[],
): readonly string[] | undefined {
  for (let i = 0; i < upstreamFields.length; i += 2) {
    const name = upstreamFields[i]!;
    if (name.length === 25 && name.toLowerCase() === 'strict-transport-security') return extra;
  }
  return extra === undefined
    ? ['Strict-Transport-Security', hstsValue(hsts)]
    : [...extra, 'Strict-Transport-Security', hstsValue(hsts)];
}
