/**
 * The phases of a transaction, as data: each is either a hook point (its hooks run, then the
 * transaction moves to `next`) or a step of the transaction's own (`hook: null`), which stops the
 * driver loop or moves on by itself. The driver (Transaction's runPhase) walks this table; where an
 * asynchronous hook finished, it resumes at the phase the table names. docs/transaction-lifecycle.md
 * draws it.
 */
import type { TxnHookName } from '../hooks/index.ts';

export type TxnPhase =
  | 'txn-start'
  | 'read-request'
  | 'pre-remap'
  /** Own step: match the route (or answer 404, 421, 413, 403); the route's hook table from here. */
  | 'route'
  | 'remap'
  | 'post-remap'
  /**
   * Own step: the cache's lookup (select-alternate runs inside it), then, unless the cache answers
   * or its hooks run first, ask the Router for an upstream; the transaction waits for onUpstreamReady.
   */
  | 'dispatch'
  | 'read-cache-header'
  | 'cache-lookup-complete'
  /** Own step: the cache acts on the lookup as its hooks left it; then the Router, unless it answered. */
  | 'cache-decided'
  /** The Router chose an upstream (Router.upstreamChosen) and holds the attempt for these hooks. */
  | 'os-dns'
  /** Own step: the held attempt connects (to the upstream chosen, or the one an os-dns hook set). */
  | 'connect'
  | 'send-request'
  /** Own step: write the request head (and what body there is) upstream. */
  | 'write-request'
  | 'read-response'
  | 'send-response'
  /** Own step: the held upstream response goes to the client (or a hook's answer replaces it). */
  | 'start-response'
  /** send-response hooks for an answer Junction makes itself. */
  | 'send-local'
  /** Own step: Junction's own answer goes to the client. */
  | 'write-local'
  | 'txn-close'
  /** The end: nothing follows. */
  | 'closed';

export interface PhaseEntry {
  /** The hook point run in this phase; null for the transaction's own steps. */
  readonly hook: TxnHookName | null;
  /** Where the driver goes once the hooks are done; null where the transaction's own step decides. */
  readonly next: TxnPhase | null;
}

export const TXN_PHASES: Readonly<Record<TxnPhase, PhaseEntry>> = {
  'txn-start': { hook: 'txn-start', next: 'read-request' },
  'read-request': { hook: 'read-request', next: 'pre-remap' },
  'pre-remap': { hook: 'pre-remap', next: 'route' },
  route: { hook: null, next: 'remap' },
  remap: { hook: 'remap', next: 'post-remap' },
  'post-remap': { hook: 'post-remap', next: 'dispatch' },
  dispatch: { hook: null, next: null },
  'read-cache-header': { hook: 'read-cache-header', next: 'cache-lookup-complete' },
  'cache-lookup-complete': { hook: 'cache-lookup-complete', next: 'cache-decided' },
  'cache-decided': { hook: null, next: null },
  'os-dns': { hook: 'os-dns', next: 'connect' },
  connect: { hook: null, next: null },
  'send-request': { hook: 'send-request', next: 'write-request' },
  'write-request': { hook: null, next: null },
  'read-response': { hook: 'read-response', next: 'send-response' },
  'send-response': { hook: 'send-response', next: 'start-response' },
  'start-response': { hook: null, next: null },
  'send-local': { hook: 'send-response', next: 'write-local' },
  'write-local': { hook: null, next: null },
  'txn-close': { hook: 'txn-close', next: 'closed' },
  closed: { hook: null, next: null },
};

/** Phases where a hook's pending answer does not pre-empt the phase: they deal with answers themselves. */
export function handlesAnswer(phase: TxnPhase): boolean {
  return phase === 'start-response' || phase === 'write-local';
}
