/**
 * config: owns turning a config file into a validated, immutable JunctionConfig.
 * - Parses YAML with positions (merge keys allowed; rule scalars read as TxnBox reads them, rule-scalars.ts);
 *   every problem becomes a ConfigError with file:line:column and key path,
 *   and all of them are thrown together as one ConfigErrors.
 * - Bounds input before parsing (input-bounds.ts: size, nesting) and words YAML errors itself.
 * - Loads reload candidates in a worker thread (isolated-load.ts, config-worker.ts) and rebuilds them
 *   from data on the serving thread (config-wire.ts, rehydrate.ts).
 * - Fills in the defaults (defaults.ts) and keeps the list of known strategy kinds.
 * - Generates the config's JSON Schema for editors from the zod schema (json-schema.ts).
 * - Merges the local file with a fleet document from etcd (fleet-merge.ts), and checks the fleet's
 *   certificates that listeners name with `{ fleet: <name> }` (fleet-certificates.ts).
 * Does not: open sockets, start anything, compile routes (routes/) or build strategies (router/).
 * Used by: cli/, server/ and the components whose settings it defines. Uses: errors/, strategies/ (the
 * built-in kinds and their option checks), plugins/ (definitions, built-ins), tls/ (certificate checks,
 * the listener TLS settings shape), access-log/ (templates), rules/ (the compiler), util/. Neither plugins/
 * nor tls/ imports config/ (ESLint enforces it), so these dependencies run one way.
 */
export { loadConfigFile, loadConfigText, locateConfigKey } from './load-config.ts';
export {
  loadConfigIsolated,
  CONFIG_WORKER_HEAP_MB,
  CONFIG_WORKER_TIMEOUT_MS,
  type LoadInput,
  type IsolatedLoadOptions,
} from './isolated-load.ts';
export { MAX_CONFIG_BYTES, MAX_NESTING_DEPTH, readBoundedText } from './input-bounds.ts';
export { parseConfigText, type ParseConfigOptions } from './parse-config.ts';
export { LOCAL_ONLY_KEYS, loadFleetConfigText, mergeProblems, type FleetDocument } from './fleet-merge.ts';
export { DEFAULT_FLEET_LEASE_TTL_MS } from './fleet-schema.ts';
export {
  expiredProblem,
  FLEET_CERTIFICATE_NAME,
  fleetCertificateKey,
  fleetCertificateProblems,
  inspectFleetCertificate,
  parseFleetCertificateKey,
  type FleetCertificate,
  type FleetCertificatePart,
  type FleetCertificates,
} from './fleet-certificates.ts';
export { configDocument, contentHash, rememberDocument, rememberedHash } from './config-document.ts';
export {
  decodeFields,
  encodeFields,
  NotTransferable,
  toWire,
  type WireConfig,
  type WireMessage,
} from './config-wire.ts';
export { rehydrateConfig } from './rehydrate.ts';
export { formatHostPort, isLoopbackAddress, parseBackendAddress } from './addresses.ts';
export { knownStrategyKinds, registerStrategyKind } from './strategy-kinds.ts';
export { parseDurationMs, parseSizeBytes } from './units.ts';
export { configJsonSchema, type JsonSchema } from './json-schema.ts';
export * from './defaults.ts';
export type * from './types.ts';
