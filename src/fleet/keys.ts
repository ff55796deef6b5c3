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
