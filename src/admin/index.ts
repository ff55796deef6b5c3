/**
 * admin: the admin API (HTTP and JSON on a listener of its own, loopback by default) and the ConfigStore
 * behind it and behind reloads from the config file.
 * - Drives an AdminTarget (admin-target.ts): the members of a running Junction it reads and changes. A
 *   JunctionServer is one; the primary's stand-in for a group of workers is another, answering with
 *   the workers' merged state and broadcasting every change.
 * - Reads the running state (listeners, routes, clusters, backends with health and counters, the
 *   config version) from the target.
 * - Changes are edits of the config document, validated by config/ exactly like a file and applied as
 *   one reload() of the target; it never touches a snapshot, a listener or a pool itself.
 * - Serves the Prometheus scrape (`GET /metrics`, rendered by metrics/ or by the AdminMetrics it is
 *   given) behind the token, and the health endpoints (`/healthz`, `/ready`, health.ts) without one.
 * - Serves the dashboard (dashboard/): its page at `GET /`, and its data behind the token.
 * Does not: serve proxied traffic, or bypass validation. Nothing but cli/ imports admin/, and workers/
 * only the AdminTarget type its group implements.
 * Used by: cli/, workers/ (types). Uses: config/, server/, metrics/, dashboard/, errors/, log/.
 */
export { startAdmin, type AdminServer, type StartAdminOptions } from './admin-server.ts';
export { PROMETHEUS_TEXT_TYPE, type AdminMetrics, type AdminTarget, type Answer } from './admin-target.ts';
export { ConfigStore, type AppliedChange, type ConfigStoreOptions, type FleetView } from './config-store.ts';
export { backendId } from './document-edits.ts';
