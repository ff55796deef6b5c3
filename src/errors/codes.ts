/**
 * The one registry of Junction's error codes. Codes are API: never reuse a retired one.
 * docs/errors.md documents every entry, and a test keeps the two in step.
 */
export const ERROR_CODES = {
  JCT_ERR_CONFIG_INVALID: { status: undefined, summary: 'The configuration failed validation.' },
  JCT_ERR_CONFIG_YAML: { status: undefined, summary: 'The configuration file is not valid YAML.' },
  JCT_ERR_CONFIG_READ: { status: undefined, summary: 'The configuration file could not be read.' },
  JCT_ERR_HTTP_BAD_REQUEST: { status: 400, summary: 'The request is malformed.' },
  JCT_ERR_HTTP_HEAD_TOO_LARGE: { status: 431, summary: 'The request head exceeds the configured limit.' },
  JCT_ERR_HTTP_URI_TOO_LONG: { status: 414, summary: 'The request line exceeds the configured limit.' },
  JCT_ERR_HTTP_BODY_TOO_LARGE: {
    status: 413,
    summary: "The request body exceeds the route's body size limit.",
  },
  JCT_ERR_HTTP_BAD_FRAMING: { status: 400, summary: 'The message framing is ambiguous or invalid.' },
  JCT_ERR_HTTP_UNSUPPORTED_TRANSFER_CODING: {
    status: 501,
    summary: 'The request uses a transfer coding other than chunked.',
  },
  JCT_ERR_HTTP_BAD_VERSION: { status: 505, summary: 'The HTTP version is not supported.' },
  JCT_ERR_HTTP_BAD_RESPONSE: { status: 502, summary: 'The upstream response is malformed.' },
  JCT_ERR_ROUTE_NOT_FOUND: { status: 404, summary: 'No route matches the request.' },
  JCT_ERR_NO_UPSTREAM: { status: 503, summary: 'No upstream of the cluster could be reached.' },
  JCT_ERR_CONNECT_TIMEOUT: { status: 503, summary: 'Connecting to the upstream timed out.' },
  JCT_ERR_CONNECT_REFUSED: { status: 503, summary: 'The upstream refused the connection.' },
  JCT_ERR_CONNECT_UNREACHABLE: { status: 503, summary: 'The upstream host or network is unreachable.' },
  JCT_ERR_CONNECT_UNRESOLVABLE: { status: 503, summary: "The upstream's name could not be resolved." },
  JCT_ERR_CONNECT_FAILED: { status: 503, summary: 'Connecting to the upstream failed for another reason.' },
  JCT_ERR_TLS_HANDSHAKE: {
    status: 502,
    summary: 'The TLS handshake with the upstream failed, or its certificate was not accepted.',
  },
  JCT_ERR_POOL_EXHAUSTED: {
    status: 503,
    summary: "The upstream's connection pool is at its `max_total` limit.",
  },
  JCT_ERR_UPSTREAM_RESET: { status: 502, summary: 'The upstream closed or reset the connection early.' },
  JCT_ERR_UPSTREAM_TIMEOUT: { status: 504, summary: 'The upstream did not answer in time.' },
  JCT_ERR_HOOK_FAILED: {
    status: 500,
    summary: 'A hook threw, rejected or exceeded its time limit; only its transaction failed.',
  },
  JCT_ERR_TRANSFORM_FAILED: {
    status: 500,
    summary: 'A body transform failed; the response is cut if it had started.',
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
  JCT_ERR_RELOAD_FAILED: {
    status: undefined,
    summary:
      'A valid config could not be applied (a listener did not bind, a plugin failed); the running config keeps serving.',
  },
  JCT_ERR_ADMIN_UNAUTHORIZED: {
    status: 401,
    summary: 'An admin API request without the bearer token the admin section requires.',
  },
  JCT_ERR_ADMIN_NOT_FOUND: { status: 404, summary: 'The admin API has no such resource or entry.' },
  JCT_ERR_ADMIN_UNSUPPORTED: {
    status: 501,
    summary: 'The admin API resource needs a feature this build lacks (certificates before TLS listeners).',
  },
  JCT_ERR_ADMIN_BAD_REQUEST: {
    status: 400,
    summary: 'An admin API request is malformed or its change failed validation; nothing changed.',
  },
} as const satisfies Record<string, { status: number | undefined; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
