/**
 * fleet: a Junction following a config document kept in etcd (docs/fleet.md).
 * - A small etcd v3 client over etcd's JSON gateway and node:http (etcd-client.ts; the wire shapes,
 *   sans-io, in etcd-codec.ts): ranges, compare-and-swap, leases, watches, endpoint rotation.
 * - The follower (follower.ts): reads and watches `<prefix>/config` and `<prefix>/certificates/`,
 *   hands each document (with the certificates) to the ConfigStore (the reload path SIGHUP takes), registers the instance under a lease, goes stale and
 *   resyncs when etcd is lost, and keeps the last applied document in a cache file.
 * - The document and the certificates as one value, read by one range and advanced by one watch
 *   (fleet-state.ts); its revision is the one an instance reports.
 * - What an instance starts from (start.ts): etcd, else the cache, else it does not start.
 * Does not: merge or validate documents (config/fleet-merge.ts does), apply configs itself, or touch the
 * data plane: nothing on the request path reads anything here.
 * Used by: cli/ (run, ctl fleet). Uses: config/ (types), errors/, log/.
 */
export { EtcdClient, GatewayError, type EtcdClientOptions, type Watch } from './etcd-client.ts';
export type { KeyValue, RangeResult, WatchEvent, WatchFrame } from './etcd-codec.ts';
export {
  decodeCache,
  defaultInstanceId,
  FleetFollower,
  type FleetRefusal,
  type FleetTarget,
  type InstanceRecord,
  type LocalFileState,
  type ServedCertificate,
} from './follower.ts';
export { advance, emptyFleetState, fleetStateFrom, type FleetState } from './fleet-state.ts';
export {
  certificatesPrefix,
  configKey,
  fleetRange,
  instanceKey,
  instancesPrefix,
  type FleetPaths,
} from './keys.ts';
export { createEtcdClient, readCache, readFleetAtStart, type FleetStart } from './start.ts';
