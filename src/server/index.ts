/**
 * server: assembles a running Junction from a validated config: listeners, sessions, the Router
 * and Connector, the current snapshot, the deadline sweep, and graceful shutdown.
 * Does not: parse config files (config/) or handle process signals (cli/).
 */
export {
  startJunction,
  type BoundListener,
  type ClusterStatus,
  type UpstreamEvents,
  type JunctionServer,
  type StartOptions,
  type UpstreamStatus,
} from './junction-server.ts';
export { buildSnapshot } from './snapshot.ts';
export type { CertificateInfo, CertificateInput } from './certificates.ts';
