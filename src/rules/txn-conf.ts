/**
 * TxnBox's `txn-conf<name>`: Traffic Server's overridable settings (records.config names), each mapped
 * to what Junction has for one transaction, or refused at load with the setting's name, why, and what
 * to use instead. A name is never accepted and ignored.
 */

/** How Junction carries one Traffic Server setting. */
export type TxnConfEntry =
  /** One of the transaction's timeouts (seconds in Traffic Server, ms in Junction). */
  | { readonly kind: 'timeout'; readonly key: 'connectMs' | 'backendResponseMs' | 'backendBodyMs' }
  /** `insert_request_via_str`: 1 adds a Via field to the request sent upstream. */
  | { readonly kind: 'via' }
  /** `per_server.connection.max`: the backend's connection limit for this transaction (its pool's max_total). */
  | { readonly kind: 'max-connections' }
  /** `ssl.client.sni_policy`: the TLS server name sent upstream (and verified) for this transaction. */
  | { readonly kind: 'sni-policy' }
  /**
   * `ssl.client.cert.filename`: "" or "NULL" presents no client certificate upstream for this
   * transaction; a certificate of its own is the cluster's (`tls.cert_file`).
   */
  | { readonly kind: 'client-cert' }
  /**
   * `background_fill_completed_threshold`: the cache's `background_fill.threshold`, read with two
   * decimals as Traffic Server prints it; a server-wide setting, not set per transaction.
   */
  | { readonly kind: 'fill-threshold' }
  /** `cache.http`: 1 this transaction uses the cache (its route's settings, or the defaults), 0 it does not. */
  | { readonly kind: 'cache-http' }
  /** What Junction always does: reading gives `value`; setting it is accepted only to that value. */
  | { readonly kind: 'fixed'; readonly value: number; readonly why: string };

export const TXN_CONF: ReadonlyMap<string, TxnConfEntry> = new Map<string, TxnConfEntry>([
  ['proxy.config.http.connect_attempts_timeout', { kind: 'timeout', key: 'connectMs' }],
  ['proxy.config.http.transaction_no_activity_timeout_out', { kind: 'timeout', key: 'backendBodyMs' }],
  ['proxy.config.http.transaction_active_timeout_out', { kind: 'timeout', key: 'backendResponseMs' }],
  ['proxy.config.http.insert_request_via_str', { kind: 'via' }],
  ['proxy.config.http.per_server.connection.max', { kind: 'max-connections' }],
  ['proxy.config.ssl.client.sni_policy', { kind: 'sni-policy' }],
  ['proxy.config.ssl.client.cert.filename', { kind: 'client-cert' }],
  ['proxy.config.http.cache.http', { kind: 'cache-http' }],
  [
    'proxy.config.url_remap.pristine_host_hdr',
    {
      kind: 'fixed',
      value: 1,
      why: "Junction forwards the client's Host unless rules change it (a route does not rewrite it to a target), which is 1",
    },
  ],
  ['proxy.config.http.background_fill_completed_threshold', { kind: 'fill-threshold' }],
]);

/** Settings users reach for that Junction has only elsewhere: why, and what to use. */
const ELSEWHERE: ReadonlyMap<string, string> = new Map([
  [
    'proxy.config.ssl.client.verify.server.policy',
    "upstream certificate verification is the cluster's (clusters.<name>.tls.verify)",
  ],
  [
    'proxy.config.http.insert_response_via_str',
    'Junction adds no Via field to responses; set one with proxy-rsp-field<Via>',
  ],
]);

/** The load-time message for a setting the table does not carry. */
export function txnConfRefusal(name: string): string {
  const why = ELSEWHERE.get(name);
  const mapped = [...TXN_CONF.keys()].join(', ');
  return why === undefined
    ? `txn-conf<${name}> is a Traffic Server setting Junction has no per-transaction equivalent of; the ones it maps are ${mapped}`
    : `txn-conf<${name}> is refused: ${why}`;
}

/** What `sni_policy` asks for: the name to send, or the cluster's own (TxnBox's `remap`). */
export type SniPolicy =
  | { readonly from: 'host' }
  | { readonly from: 'server-name' }
  | { readonly from: 'cluster' }
  | { readonly from: 'literal'; readonly name: string };

/**
 * Traffic Server's `sni_policy` values: `host` (the Host of the request sent upstream), `server_name`
 * (the client's SNI), `remap` (the remapped host: in Junction the backend's, as the cluster sends it)
 * and `@name` (that name). Undefined for any other value.
 */
export function parseSniPolicy(value: string): SniPolicy | undefined {
  const text = value.trim();
  if (text.startsWith('@')) {
    const name = text.slice(1).trim();
    return name === '' ? undefined : { from: 'literal', name };
  }
  switch (text.toLowerCase()) {
    case 'host':
      return { from: 'host' };
    case 'server_name':
      return { from: 'server-name' };
    case 'remap':
      return { from: 'cluster' };
    default:
      return undefined;
  }
}
