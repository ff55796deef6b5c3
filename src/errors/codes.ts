/**
 * What a failure with this code says about the upstream it happened on (passive health reads it):
 * - `unreached`: it failed before the upstream saw the request (connect, TLS handshake): its own fault.
 * - `failure`: it answered with an invalid response: its own fault, whatever the request.
 * - `suspect`: it reset or timed out after the request went out: its fault, or the request's.
 * A code without `blame` says nothing about the upstream (the client left, a limit of the proxy's).
 */
export type UpstreamBlame = 'unreached' | 'failure' | 'suspect';

/**
 * The one registry of Junction's error codes. Codes are API: never reuse a retired one.
 * docs/errors.md documents every entry, and a test keeps the two in step.
 */
export const ERROR_CODES = {
  JCT_ERR_CONFIG_INVALID: { status: undefined, summary: 'The configuration failed validation.' },
  JCT_ERR_CONFIG_YAML: { status: undefined, summary: 'The configuration file is not valid YAML.' },
  JCT_ERR_CONFIG_READ: { status: undefined, summary: 'The configuration file could not be read.' },
  JCT_ERR_CONFIG_ENV: {
    status: undefined,
    summary: 'A ${VAR} reference in the configuration names an unset environment variable, or is malformed.',
  },
  JCT_ERR_CONFIG_TOO_LARGE: {
    status: undefined,
    summary: 'The configuration exceeds a bound on its size, or on the memory or time loading it may take.',
  },
  JCT_ERR_HTTP_BAD_REQUEST: { status: 400, summary: 'The request is malformed.' },
  JCT_ERR_HTTP_HEAD_TOO_LARGE: { status: 431, summary: 'The request head exceeds the configured limit.' },
  JCT_ERR_HTTP_URI_TOO_LONG: { status: 414, summary: 'The request line exceeds the configured limit.' },
  JCT_ERR_HTTP_BODY_TOO_LARGE: {
    status: 413,
    summary: "The request body exceeds the route's body size limit.",
  },
  JCT_ERR_HTTP_BAD_FRAMING: { status: 400, summary: 'The message framing is ambiguous or invalid.' },
  JCT_ERR_HTTP2_FLOOD: {
    status: undefined,
    summary:
      'An HTTP/2 client reset streams or sent PING/SETTINGS frames faster than allowed; its connection was closed with GOAWAY ENHANCE_YOUR_CALM.',
  },
  JCT_ERR_GRPC_DEADLINE: {
    status: 504,
    summary: "A gRPC request's grpc-timeout ran out before the response began; answered DEADLINE_EXCEEDED.",
  },
  JCT_ERR_HTTP_UNSUPPORTED_TRANSFER_CODING: {
    status: 501,
    summary: 'The request uses a transfer coding other than chunked.',
  },
  JCT_ERR_HTTP_BAD_VERSION: { status: 505, summary: 'The HTTP version is not supported.' },
  JCT_ERR_HTTP_BAD_RESPONSE: {
    blame: 'failure',
    status: 502,
    summary: 'The upstream response is malformed.',
  },
  JCT_ERR_HTTP_RESPONSE_HEAD_TOO_LARGE: {
    status: 502,
    summary:
      "The upstream's response head exceeds `limits.max_response_head_size` or `limits.max_response_header_count`.",
  },
  JCT_ERR_ROUTE_NOT_FOUND: { status: 404, summary: 'No route matches the request.' },
  JCT_ERR_NO_UPSTREAM: { status: 503, summary: 'No upstream of the cluster could be reached.' },
  JCT_ERR_CONNECT_TIMEOUT: {
    blame: 'unreached',
    status: 503,
    summary: 'Connecting to the upstream timed out.',
  },
  JCT_ERR_CONNECT_REFUSED: {
    blame: 'unreached',
    status: 503,
    summary: 'The upstream refused the connection.',
  },
  JCT_ERR_CONNECT_UNREACHABLE: {
    blame: 'unreached',
    status: 503,
    summary: 'The upstream host or network is unreachable.',
  },
  JCT_ERR_CONNECT_UNRESOLVABLE: {
    blame: 'unreached',
    status: 503,
    summary: "The upstream's name could not be resolved.",
  },
  JCT_ERR_CONNECT_FAILED: {
    blame: 'unreached',
    status: 503,
    summary: 'Connecting to the upstream failed for another reason.',
  },
  JCT_ERR_TLS_HANDSHAKE: {
    blame: 'unreached',
    status: 502,
    summary: 'The TLS handshake with the upstream failed, or its certificate was not accepted.',
  },
  JCT_ERR_TLS_CERTIFICATE: {
    status: undefined,
    summary:
      'A listener certificate could not be loaded, added, replaced or removed; the certificates in use are unchanged.',
  },
  JCT_ERR_TLS_CLIENT_HANDSHAKE: {
    status: undefined,
    summary:
      "A client's TLS handshake failed or did not finish within `handshake_timeout`; its connection was closed.",
  },
  JCT_ERR_TLS_CLIENT_CERTIFICATE: {
    status: undefined,
    summary:
      'A listener with `client_certificates` refused a client: it sent no certificate where one is required, or one that does not verify against the CA; its connection was closed.',
  },
  JCT_ERR_HTTP_MISDIRECTED: {
    status: 421,
    summary:
      "The request's Host is not a name of the certificate its TLS connection got (`strict_sni_binding`).",
  },
  JCT_ERR_POOL_EXHAUSTED: {
    status: 503,
    summary: "The upstream's connection pool is at its `max_total` limit.",
  },
  JCT_ERR_UPSTREAM_RESET: {
    blame: 'suspect',
    status: 502,
    summary: 'The upstream closed or reset the connection early.',
  },
  JCT_ERR_UPSTREAM_TIMEOUT: {
    blame: 'suspect',
    status: 504,
    summary: 'The upstream did not answer in time.',
  },
  JCT_ERR_PROXY_HEADER_INVALID: {
    status: undefined,
    summary:
      'A trusted peer sent a malformed PROXY protocol header, or none in time; the connection was closed.',
  },
  JCT_ERR_PROXY_PEER_UNTRUSTED: {
    status: undefined,
    summary:
      "A peer outside the listener's proxy_protocol.trusted networks connected; the connection was closed.",
  },
  JCT_ERR_TLS_CLIENT_HELLO_INVALID: {
    status: undefined,
    summary: 'A TLS passthrough listener got no valid ClientHello in time; the connection was closed.',
  },
  JCT_ERR_HOOK_FAILED: {
    status: 500,
    summary: 'A hook threw, rejected or exceeded its time limit; only its transaction failed.',
  },
  JCT_ERR_TRANSFORM_FAILED: {
    status: 500,
    summary: 'A body transform failed; the response is cut if it had started.',
  },
  JCT_ERR_ACCESS_LOG_WRITE: {
    status: undefined,
    summary: 'The access log could not be opened or written; its lines are dropped, traffic goes on.',
  },
  JCT_ERR_PLUGIN_INVALID: {
    status: undefined,
    summary: "A plugin's setup or post-load hook failed; the config was not served.",
  },
  JCT_ERR_CLIENT_TIMEOUT: {
    status: 408,
    summary: 'The client stopped sending its request body for longer than timeouts.client_body.',
  },
  JCT_ERR_CLIENT_ABORTED: {
    status: undefined,
    summary: 'The client closed its connection before the response was complete.',
  },
  JCT_ERR_UPGRADE_REFUSED: {
    status: 403,
    summary: 'The request asks for a protocol upgrade its route does not allow.',
  },
  JCT_ERR_UPGRADE_H2_UPSTREAM: {
    status: 502,
    summary:
      'A protocol upgrade (WebSocket…) was asked of a cluster that speaks HTTP/2 to its backends (h2, h2c).',
  },
  JCT_ERR_TUNNEL_IDLE_TIMEOUT: {
    status: undefined,
    summary:
      'A tunnel (after a 101 Switching Protocols) moved no byte for timeouts.tunnel_idle; both sides were closed.',
  },
  JCT_ERR_RELOAD_FAILED: {
    status: undefined,
    summary:
      'A valid config could not be applied (a listener did not bind, a plugin failed); the running config keeps serving.',
  },
  JCT_ERR_WORKER_TIMEOUT: {
    status: undefined,
    summary: 'A worker process did not answer a request from the primary in time (`workers` > 1).',
  },
  JCT_ERR_WORKER_GONE: {
    status: undefined,
    summary: "A worker process exited, or its channel closed, before answering the primary's request.",
  },
  JCT_ERR_WORKER_FAILED: {
    status: undefined,
    summary: 'A worker process could not do what the primary asked (start, apply a config); it says why.',
  },
  JCT_ERR_ADMIN_UNAUTHORIZED: {
    status: 401,
    summary: 'An admin API request without the bearer token the admin section requires.',
  },
  JCT_ERR_ADMIN_NOT_FOUND: { status: 404, summary: 'The admin API has no such resource or entry.' },
  JCT_ERR_ADMIN_BAD_REQUEST: {
    status: 400,
    summary: 'An admin API request is malformed or its change failed validation; nothing changed.',
  },
  JCT_ERR_FLEET_UNAVAILABLE: {
    status: undefined,
    summary:
      'etcd (the fleet store) could not be reached, or refused a request; a running Junction keeps serving its last good config.',
  },
  JCT_ERR_FLEET_CONFLICT: {
    status: undefined,
    summary:
      'The fleet document changed in etcd since it was read (`junction ctl fleet apply` lost a compare-and-swap); nothing was written.',
  },
  JCT_ERR_FLEET_CERTIFICATE: {
    status: undefined,
    summary:
      "A certificate in etcd (`<prefix>/certificates/<name>/`) is refused: half missing, not PEM, key not the cert's, expired.",
  },
  JCT_ERR_ADMIN_RELOAD_GUARD: {
    status: 409,
    summary:
      'A guarded reload (max_changed) was refused: more of the kept requests would change, or none are kept.',
  },
} as const satisfies Record<string, { status: number | undefined; summary: string; blame?: UpstreamBlame }>;

export type ErrorCode = keyof typeof ERROR_CODES;

const BLAME: Readonly<
  Record<string, { readonly status: number | undefined; readonly blame?: UpstreamBlame } | undefined>
> = ERROR_CODES;

/** What a failure with `code` says about its upstream; undefined: nothing (or an unknown code). */
export function upstreamBlame(code: string): UpstreamBlame | undefined {
  return BLAME[code]?.blame;
}
