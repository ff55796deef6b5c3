/**
 * admin: the admin API (HTTP and JSON on a listener of its own, loopback by default) and the ConfigStore
 * behind it and behind reloads from the config file.
 * - Reads the running state (listeners, routes, clusters, backends with health and counters, the
 *   config version) from server/.
 * - Changes are edits of the config document, validated by config/ exactly like a file and applied as
 *   one JunctionServer.reload(); it never touches a snapshot, a listener or a pool itself.
 * Does not: serve proxied traffic, or bypass validation. Nothing but cli/ imports admin/.
 * - Serves the Prometheus scrape (`GET /metrics`, rendered by metrics/) behind the token, and the
 *   health endpoints (`/healthz`, `/ready`, health.ts) without one.
 * Used by: cli/. Uses: config/, server/, metrics/, errors/, log/.
 */
export { startAdmin, type AdminServer, type StartAdminOptions } from './admin-server.ts';
export { ConfigStore, type AppliedChange, type ConfigStoreOptions } from './config-store.ts';
export { backendId } from './document-edits.ts';
