/**
 * transaction: one request/response (Traffic Server's HttpSM): routing, the Router ask, re-framing
 * and streaming of both bodies, and the outcome report: the TxnEnd its observer (metrics) and the access
 * log both read.
 * Does not: own sockets (session/ and the Router lend them) or open upstream connections.
 */
export { Transaction } from './transaction.ts';
export type { RouteMatcher, RouteRequest, RuntimeSnapshot, SnapshotHooks } from './snapshot.ts';
export type { SessionListener, SessionPort, SessionTls } from './session-port.ts';
export { TransactionObservers, type TransactionObserver } from './txn-observer.ts';
export type { TxnEnd } from './access-entry.ts';
