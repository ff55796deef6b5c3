/**
 * TxnBox's names that Junction refuses, with why and what to use instead: each is meaningful only
 * inside Traffic Server, or reads a fact Junction does not give rules. A refused name stops the load
 * with this message rather than being accepted and ignored (or read as something else).
 */

const REMAP_REPLACEMENT =
  "the replacement URL of a Traffic Server remap rule; a Junction route does not rewrite the URL to a replacement (its cluster's backends are the upstream): read {route} or {upstream}, or set the URL with ua-req-url in the route's rules";

function each(names: readonly string[], why: string): [string, string][] {
  return names.map((name) => [name, why]);
}

export const REFUSED_EXTRACTORS: ReadonlyMap<string, string> = new Map([
  ...each(
    ['url', 'scheme', 'loc', 'host', 'port', 'path'].map((part) => `remap-replacement-${part}`),
    REMAP_REPLACEMENT,
  ),
  ['outbound-txn-count', 'Junction does not give rules how often an upstream connection was reused'],
  ['inbound-tcp-info', "Junction does not read the kernel's TCP_INFO for rules"],
]);

export const REFUSED_DIRECTIVES: ReadonlyMap<string, string> = new Map([
  [
    'apply-remap-rule',
    "it orders Traffic Server's own URL rewrite before version 9; a Junction route does not rewrite the URL, its rules do (ua-req-url, ua-req-host, ua-req-path)",
  ],
  [
    'did-remap',
    'it tells Traffic Server before version 9 whether a plugin rewrote the URL (it has no effect since); Junction has no such step: remove it',
  ],
  [
    'proxy-req-scheme',
    "the scheme towards the upstream is the cluster's (its tls setting), not the request's; choose a cluster (cluster: '…')",
  ],
  ['ua-req-fragment', 'a request Junction forwards never carries a fragment (clients do not send one)'],
  ['proxy-req-fragment', 'a request Junction forwards never carries a fragment (clients do not send one)'],
  [
    'upstream-addr',
    "it sends the request to any address; Junction sends only to a cluster's backends: choose one with upstream: '<backend id>' or cluster: '<name>'",
  ],
  [
    'cache-key',
    "it sets Traffic Server's cache key for the transaction; Junction's rules do not set a cache key",
  ],
]);

export const REFUSED_MODIFIERS: ReadonlyMap<string, string> = new Map<string, string>([]);

/** `: <why>` for a refused name, or '' when the name is simply unknown. */
export function refusal(table: ReadonlyMap<string, string>, name: string): string | undefined {
  const why = table.get(name);
  return why === undefined ? undefined : `'${name}' is TxnBox's but Junction refuses it: ${why}`;
}
