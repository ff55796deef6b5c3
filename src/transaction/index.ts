/**
 * transaction: one request/response (Traffic Server's HttpSM): a phase driver (phases.ts) over hook
 * points and its own steps, the request as routing and hooks see it (txn-view.ts), routing, the Router
 * ask and its attempts (request-writer.ts, attempts.ts), the request side (request-body.ts) and the
 * response side (response-side.ts, response-head-reader.ts, response-body.ts), framing in both
 * directions (framed-writer.ts), every answer Junction makes itself (local-answers.ts, own-answer.ts), and the outcome
 * report: the TxnEnd its observer (metrics) and the access log both read; on caching routes, the
 * cache states (cache-step.ts: lookup, collapsing, the tee to the cache, revalidation, storing after
 * read-response hooks; cache-refresh.ts: stale-while-revalidate's background request; cache-fill.ts:
 * finishing a cache write after the client left; src/cache/ owns the cache itself). docs/transaction-lifecycle.md draws it.
 * Does not: own sockets (session/ and the Router lend them through SessionPort and UpstreamChannel),
 * open upstream connections, or parse request heads.
 */
export { Transaction } from './transaction.ts';
export {
  headLimitsOf,
  type RouteMatcher,
  type RouteRequest,
  type RuntimeSnapshot,
  type SnapshotHooks,
} from './snapshot.ts';
export type { SessionListener, SessionPort, SessionTls } from './session-port.ts';
export { TransactionObservers, type TransactionObserver } from './txn-observer.ts';
export { RequestRing, REDACTED_VALUE, type KeptRequest } from './request-ring.ts';
export type { TxnEnd } from './access-entry.ts';
