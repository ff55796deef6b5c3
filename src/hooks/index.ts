/**
 * hooks: the transaction hook points (Traffic Server's HttpSM, TxnBox's names), the typed context a
 * hook receives, hook tables and the runner that calls hooks without allocating promises when every
 * hook is synchronous.
 * Owns: the hook API and its bookkeeping. Does not: drive a transaction (transaction/ calls the
 * runner at each point), load plugins (plugins/), or touch sockets.
 * Used by: transaction/, plugins/, server/. Uses: codec/ (head types, status texts), log/, transforms/ (types).
 */
export { TXN_HOOKS, TXNBOX_HOOK_NAMES, HOOK_INDEX, isTxnHookName, type TxnHookName } from './hook-names.ts';
export type {
  CacheAlternate,
  CacheLookupStatus,
  CacheOutcome,
  HeaderFields,
  LocalResponse,
  RequestView,
  ResponseView,
  TxnContext,
  TxnHook,
  TxnCache,
  TxnSession,
  TxnCertificate,
  TxnClientCertificate,
  TxnTimeouts,
  TxnUpstreamSettings,
} from './context.ts';
export type { TunnelReport, TunnelEndedBy } from '../tunnel/index.ts';
export {
  DEFAULT_HOOK_TIMEOUT_MS,
  HookTableBuilder,
  mergeHookTables,
  type HookEntry,
  type HookTable,
} from './hook-table.ts';
export {
  HookRunner,
  HOOKS_DONE,
  HOOKS_FAILED,
  HOOKS_PENDING,
  type HookFailure,
  type HookRunHost,
  type HookRunResult,
} from './hook-runner.ts';
export { FlatHeaderFields, RequestHeadView, ResponseHeadView, checkedLocalFields } from './views.ts';
