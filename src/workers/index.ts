/**
 * workers: the process model for `workers` > 1, on node:cluster. The primary (worker-group.ts) serves
 * no traffic: it holds the validated config, forks the workers, supervises them (a worker that dies is
 * replaced, with backoff; a crash loop is reported, not spun), relays what they must share, and stands
 * in for one JunctionServer where the admin API and the ConfigStore see it (`WorkerGroup`). Each worker
 * (worker-main.ts, forked from worker-entry.ts) runs one JunctionServer on the config the primary sends
 * (config-transfer.ts: the loading worker's wire form; workers never re-read the config file). The
 * listening sockets are shared: cluster hands each worker the same ones (scheduling: the OS's by
 * default, or round robin in the primary).
 * - One config for all: a reload is validated once (by the caller), applied by every worker, and
 *   either every worker serves it or the ones that applied it go back and it is refused.
 * - Zero-downtime restart: restart() replaces the workers one at a time; the new one serves before the
 *   old one stops accepting.
 * - TLS: the primary makes the session ticket keys, gives them to every worker and rotates them.
 * Does not: parse config files (config/), serve the admin API (admin/), handle the primary's signals
 * (cli/), or merge the workers' views (aggregate.ts, the metrics side).
 *
 * Messages (rpc.ts, messages.ts): typed request/reply with ids and timeouts, and one-way notices, over
 * the cluster IPC channel. To add a request kind the primary sends: one entry in `WorkerRequests`
 * (messages.ts) with its request and reply types, and its handler in worker-main.ts
 * (`rpc.handle('kind', ...)`); the primary asks with `member.rpc.request('kind', body)`, or every
 * worker through WorkerGroup (`reports(kind)` for the read-only queries whose request is null). A
 * worker that dies fails its pending requests with JCT_ERR_WORKER_GONE.
 *
 * Active health checks run in one worker only: the group makes one worker the runner (`health-role`
 * `run`; the others `follow`, starting from the runner's `health-state`; when the runner dies or is
 * restarted, the next serving worker runs them) and relays every `health-event` notice the runner
 * sends to every other worker (worker-main.ts publishes and applies them). The read-only views (status,
 * stats, clusters, upstreams, observe, metrics) are every worker's, merged by aggregate.ts and
 * metrics/'s group metrics. In the primary, `group.onWorkerNotice(kind, listener)` hears any worker's
 * notices.
 * The group's pieces beside worker-group.ts (the composition): slots.ts (a slot, and what a worker's
 * exit means for it), health-runner.ts, reload-fanout.ts (a reload, all or none), group-certificates.ts,
 * fan-out.ts (asking every worker, or the first), upkeep.ts (ticket rotation, status poll),
 * group-types.ts (the shapes the group reports).
 * Used by: cli/. Uses: config/, server/, metrics/, errors/, log/.
 */
export {
  WorkerGroup,
  type GroupReloadResult,
  type GroupStatus,
  type RestartReport,
  type SchedulingPolicy,
  type WorkerGroupOptions,
  type WorkerReloadReport,
  type WorkerStatus,
} from './worker-group.ts';
export {
  mergeClusters,
  mergeObservations,
  mergeStats,
  mergeStatus,
  mergeUpstreams,
  workerRuntimeStats,
  type GroupClusterStatus,
  type GroupStats,
  type GroupUpstreamStatus,
  type WorkerReport,
} from './aggregate.ts';
export { DEFAULT_RESTART_POLICY, RestartBackoff, type RestartPolicy } from './restart-backoff.ts';
export type { HealthRole, Notices, WorkerRequests } from './messages.ts';
