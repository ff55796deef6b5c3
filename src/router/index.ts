/**
 * router: the Router singleton (Traffic Server's L7 design). Holds the named strategies' runtimes,
 * asks the Connector for connections, decides retries (attempts, budget, backoff), tracks upstream
 * health (passive ejection with its cap, active checks, panic mode, one-request trials), and receives
 * every attempt's outcome, charging health once per request (request-health.ts).
 * Does not: parse HTTP beyond a health check's response head, match routes (routes/), or touch
 * client sockets.
 * Used by: transaction/, server/. Uses: connector/, strategies/, codec/ (health checks), errors/, util/.
 */
export { ClusterRuntime } from './cluster-runtime.ts';
export {
  Router,
  RouterLease,
  poolOptionsFor,
  type RetryReason,
  type RouterConnector,
  type RouterOptions,
} from './router.ts';
export { RetryBudget } from './retry-budget.ts';
export {
  ActiveHealthChecker,
  activeHealthEvent,
  applyActiveHealthEvent,
  isActiveHealthEvent,
  type ActiveHealthEvent,
} from './active-health.ts';
export { UpstreamState } from './upstream-state.ts';
export type {
  AcquireHandler,
  AttemptObserver,
  CertificateNames,
  ClientConnection,
  Lease,
  LeaseSettings,
  UpstreamChannel,
  UpstreamHandler,
} from './types.ts';
