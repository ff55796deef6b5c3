/**
 * The transaction hook points, in the order a transaction reaches them (Traffic Server's HttpSM
 * state diagram), with the names the rule language uses for the same points (TxnBox). Between
 * post-remap and send-request, the cache's points (SELECT_ALT, READ_CACHE_HDR, CACHE_LOOKUP_COMPLETE)
 * and OS_DNS, the upstream chosen before it is connected to.
 */
export const TXN_HOOKS = [
  'txn-start',
  'read-request',
  'pre-remap',
  'remap',
  'post-remap',
  'select-alternate',
  'read-cache-header',
  'cache-lookup-complete',
  'os-dns',
  'send-request',
  'read-response',
  'send-response',
  'txn-close',
] as const;

export type TxnHookName = (typeof TXN_HOOKS)[number];

/** TxnBox's name for each hook point. */
export const TXNBOX_HOOK_NAMES: Readonly<Record<TxnHookName, string>> = {
  'txn-start': 'txn-open',
  'read-request': 'ua-req',
  'pre-remap': 'pre-remap',
  remap: 'remap',
  'post-remap': 'post-remap',
  // TxnBox has no cache or DNS hooks: Junction's names, after Traffic Server's hooks as TxnBox's are.
  'select-alternate': 'select-alt',
  'read-cache-header': 'cache-rsp',
  'cache-lookup-complete': 'cache-lookup',
  'os-dns': 'os-dns',
  'send-request': 'proxy-req',
  'read-response': 'upstream-rsp',
  'send-response': 'proxy-rsp',
  'txn-close': 'txn-close',
};

/** Each hook's position in TXN_HOOKS: hook tables are arrays indexed by it. */
export const HOOK_INDEX: Readonly<Record<TxnHookName, number>> = Object.fromEntries(
  TXN_HOOKS.map((name, index) => [name, index]),
) as Record<TxnHookName, number>;

export function isTxnHookName(name: string): name is TxnHookName {
  return (TXN_HOOKS as readonly string[]).includes(name);
}
