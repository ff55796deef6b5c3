/**
 * The hooks each directive family is valid in, as Junction names (the compiler compares them with
 * `env.hook`). A set lists every point from `first` to `last` in transaction order.
 */
import { HOOK_INDEX, TXN_HOOKS, type TxnHookName } from '../../hooks/index.ts';

export type RuleHook = TxnHookName | 'post-load';

export function span(first: TxnHookName, last: TxnHookName): ReadonlySet<RuleHook> {
  return new Set(TXN_HOOKS.slice(HOOK_INDEX[first], HOOK_INDEX[last] + 1));
}

/** `ua-req-*`: the client request, which is also what goes upstream: until the head is written. */
export const UA_REQ_HOOKS = span('read-request', 'send-request');
/** `proxy-req-*`: the upstream request, once the route is chosen. */
export const PROXY_REQ_HOOKS = span('post-remap', 'send-request');
/** `upstream-rsp-*`: the upstream's response head, as it arrives. */
export const UPSTREAM_RSP_HOOKS: ReadonlySet<RuleHook> = new Set(['read-response']);
/** `proxy-rsp-*`: the head the client gets. */
export const PROXY_RSP_HOOKS: ReadonlySet<RuleHook> = new Set(['send-response']);
/** Answering the client (`proxy-reply`, `redirect`, `deny`): until the response head goes out. */
export const REPLY_HOOKS = span('read-request', 'send-response');
/** `route`: routing happens right after pre-remap. */
export const ROUTE_HOOKS = span('read-request', 'pre-remap');
/** `cluster`, `strategy`, `upstream`: after routing (which would override them) is too late only past post-remap. */
export const DISPATCH_HOOKS = span('read-request', 'post-remap');
/** `timeout<connect>`: a backend is asked for right after post-remap. */
export const CONNECT_TIMEOUT_HOOKS = span('txn-start', 'post-remap');
/** `timeout<backend-response>`: until the request head is written. */
export const TIMEOUT_HOOKS = span('txn-start', 'send-request');
/** `timeout<backend-body>`: until the response head has been read (then body reads start). */
export const BODY_TIMEOUT_HOOKS = span('txn-start', 'read-response');
/** Every transaction hook, txn-open included (variables, logging, stat updates). */
export const TXN_ONLY_HOOKS = span('txn-start', 'txn-close');
/** Load time only. */
export const LOAD_HOOKS: ReadonlySet<RuleHook> = new Set(['post-load']);
/** `cache-key`, caching on or off: the lookup follows post-remap (TxnBox's cache-key: ua-req to post-remap). */
export const CACHE_KEY_HOOKS = span('read-request', 'post-remap');
/** `cache-lookup-status`: what the lookup found may be changed only where it is reported. */
export const CACHE_LOOKUP_HOOKS: ReadonlySet<RuleHook> = new Set(['cache-lookup-complete']);
