/** The fleet's keys in etcd, all under one prefix (docs/fleet.md). */

export interface FleetPaths {
  /** Without a trailing slash, as the config's `fleet.etcd.prefix` is normalised. */
  readonly prefix: string;
}

/** The one YAML document every instance follows. */
export function configKey(paths: FleetPaths): string {
  return `${paths.prefix}/config`;
}

/** Where live instances register (each under a lease). */
export function instancesPrefix(paths: FleetPaths): string {
  return `${paths.prefix}/instances/`;
}

export function instanceKey(paths: FleetPaths, id: string): string {
  return `${instancesPrefix(paths)}${id}`;
}

/** Where the fleet's certificates are: `<prefix>/certificates/<name>/cert` and `/key` (PEM). */
export function certificatesPrefix(paths: FleetPaths): string {
  return `${paths.prefix}/certificates/`;
}

/**
 * One range holds the document and the certificates, read (and watched) at one revision:
 * `<prefix>/certificates/` up to just after `<prefix>/config`. Keys between them that are neither
 * (`<prefix>/config-old`) are read too, and ignored.
 */
export function fleetRange(paths: FleetPaths): { key: string; end: string } {
  return { key: certificatesPrefix(paths), end: `${configKey(paths)}\0` };
}
