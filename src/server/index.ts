/**
 * server: assembles a running Junction from a validated config: listeners, sessions, the Router
 * and Connector, the current snapshot, the deadline sweep, and graceful shutdown.
 * - Reloads: swaps in a new snapshot, carrying over unchanged clusters' runtimes and backends' state,
 *   diffs listeners by name, and frees what the old config held once nothing uses it (reload.ts).
 * - Shutdown: drains sessions, waits up to shutdown_grace, cuts the rest and logs how much it cut
 *   (shutdown-grace.ts).
 * - Active health checks run once per group of workers: one server runs them, the others follow the
 *   results it sends (active-health-role.ts).
 * - Files: junction-server.ts (lifecycle and composition), server-api.ts (the JunctionServer interface
 *   and start options), server-status.ts (status records) and introspection.ts (filling them in),
 *   accept-pipeline.ts (accepted socket to session: PROXY header, TLS, session), session-sweep.ts
 *   (deadlines and the zombie checker, over sessions seen as SweepableSession), certificates.ts
 *   (certificates of HTTPS listeners, added, replaced and removed at run time).
 * Does not: parse config files (config/), handle process signals (cli/) or serve the admin API (admin/).
 */
export { startJunction } from './junction-server.ts';
export type {
  CloseOptions,
  DataPathObserver,
  JunctionServer,
  PluginHookOwners,
  StartOptions,
  UpstreamEvents,
} from './server-api.ts';
export type {
  Answer,
  BoundListener,
  ClusterStatus,
  LastReload,
  ReloadResult,
  RuntimeStats,
  ServerStatus,
  StatusReadings,
  UpstreamStatus,
} from './server-status.ts';
export {
  boundDiff,
  configHash,
  deepEqual,
  describeDiff,
  diffConfigs,
  entryCounts,
  isEmptyDiff,
  type ConfigDiff,
  type EntryCounts,
  type EntryDiff,
} from './config-diff.ts';
export { buildSnapshot } from './snapshot.ts';
export type { CacheCommand, CacheReport, CacheStatsReport } from '../cache/index.ts';
export { joinWorkerSections } from './introspection.ts';
export type { ActiveHealthListener, ActiveHealthMode } from './active-health-role.ts';
export { isActiveHealthEvent, type ActiveHealthEvent } from '../router/index.ts';
export type {
  BackendObservation,
  ClusterObservation,
  ListenerObservation,
  PoolObservation,
  ServerObservation,
} from './observation.ts';
export type { CertificateInfo, CertificateInput } from './certificates.ts';
/** What a data path observer reads of a finished transaction (see watch()). */
export type { SessionPort, TxnEnd } from '../transaction/index.ts';
/** A request head kept for `junction ctl preview` (explain.keep_requests), as it crosses to the admin. */
export type { KeptRequest } from '../transaction/index.ts';
