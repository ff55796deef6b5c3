/**
 * TxnBox's names that Junction refuses, with why and what to use instead: each is meaningful only
 * inside Traffic Server, or reads a fact Junction does not give rules. A refused name stops the load
 * with this message rather than being accepted and ignored (or read as something else).
 */

const REMAP_URLS =
  "the URLs of a Traffic Server remap rule; a Junction route matches by host and path and does not rewrite the URL: read {route}, or set the URL with ua-req-url in the route's rules";
const CLIENT_CERT = 'Junction does not give rules the TLS certificates of a client connection';
const UPSTREAM_CERT = "Junction does not give rules the upstream's TLS certificate";

function each(names: readonly string[], why: string): [string, string][] {
  return names.map((name) => [name, why]);
}

export const REFUSED_EXTRACTORS: ReadonlyMap<string, string> = new Map([
  ...each(
    ['url', 'scheme', 'loc', 'host', 'port', 'path'].flatMap((part) => [
      `remap-target-${part}`,
      `remap-replacement-${part}`,
    ]),
    REMAP_URLS,
  ),
  ...each(
    [
      'inbound-cert-verify-result',
      'inbound-cert-local-issuer-field',
      'inbound-cert-local-subject-field',
      'inbound-cert-remote-issuer-field',
      'inbound-cert-remote-subject-field',
    ],
    CLIENT_CERT,
  ),
  ...each(
    [
      'outbound-cert-local-issuer-field',
      'outbound-cert-local-subject-field',
      'outbound-cert-remote-issuer-field',
      'outbound-cert-remote-subject-field',
    ],
    UPSTREAM_CERT,
  ),
  ['outbound-txn-count', 'Junction does not give rules how often an upstream connection was reused'],
  [
    'outbound-addr-local',
    "Junction does not give rules the local address of the upstream connection; {outbound-addr-remote} and {upstream} are the upstream's",
  ],
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

/** Traffic Server's overridable timeouts (seconds) that are Junction's per-transaction timeouts. */
export const TXN_CONF_TIMEOUTS: ReadonlyMap<string, 'connectMs' | 'backendResponseMs' | 'backendBodyMs'> =
  new Map([
    ['proxy.config.http.connect_attempts_timeout', 'connectMs'],
    ['proxy.config.http.transaction_no_activity_timeout_out', 'backendBodyMs'],
    ['proxy.config.http.transaction_active_timeout_out', 'backendResponseMs'],
  ]);

/** Traffic Server's Via setting: 1 has Junction add a Via field to the request it sends upstream. */
export const TXN_CONF_VIA = 'proxy.config.http.insert_request_via_str';

/**
 * Traffic Server's settings whose value is what Junction always does: reading gives it, setting it is
 * accepted only to that value (any other is refused, with why).
 */
export const TXN_CONF_FIXED: ReadonlyMap<string, { readonly value: number; readonly why: string }> = new Map([
  [
    'proxy.config.url_remap.pristine_host_hdr',
    {
      value: 1,
      why: "Junction forwards the client's Host unless rules change it (a route does not rewrite it to a target), which is 1",
    },
  ],
]);

export const REFUSED_MODIFIERS: ReadonlyMap<string, string> = new Map<string, string>([]);

/** `: <why>` for a refused name, or '' when the name is simply unknown. */
export function refusal(table: ReadonlyMap<string, string>, name: string): string | undefined {
  const why = table.get(name);
  return why === undefined ? undefined : `'${name}' is TxnBox's but Junction refuses it: ${why}`;
}
