/**
 * The field-name lists every hop of Junction agrees on, written once: which fields describe one
 * connection, which are hop-by-hop, and which a trailer section never carries forward. Lower-case.
 * HTTP/1.1 forwarding (transaction/), HTTP/2 from clients (http2/) and HTTP/2 to backends
 * (upstream-h2/) import these rather than keep their own copies.
 */

/**
 * Fields that describe one HTTP/1.1 connection (RFC 9110 §7.6.1), plus the non-standard
 * Proxy-Connection some clients still send: malformed in HTTP/2 (RFC 9113 §8.2.2). TE is hop-by-hop
 * too but HTTP/2 allows it with the value `trailers`, so it is listed apart, in HOP_BY_HOP_FIELDS.
 */
export const CONNECTION_SPECIFIC_FIELDS: readonly string[] = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
];

/**
 * Fields never forwarded from one HTTP/1.1 hop to the next: the connection-specific ones, TE, and
 * Trailer (Junction re-frames bodies, so the announcement of trailers is its own to make). Fields
 * named in Connection are hop-by-hop too; RequestHead.connectionTokens lists them.
 */
export const HOP_BY_HOP_FIELDS: readonly string[] = [...CONNECTION_SPECIFIC_FIELDS, 'te', 'trailer'];

/**
 * Fields a trailer section never carries forward (RFC 9110 §6.5.1): those that must be known before
 * the content, that is message framing (the hop-by-hop fields, Content-Length), routing (Host,
 * HTTP2-Settings), authentication (Authorization, Proxy-Authorization, WWW-Authenticate,
 * Proxy-Authenticate), request modifiers (Cache-Control, Expect, Max-Forwards, Pragma, Range and the
 * conditionals), response controls (Age, Date, Expires, Location, Retry-After, Vary) and content
 * format (Content-Type, Content-Encoding, Content-Range), plus Set-Cookie (RFC 6265 state, which a
 * client applies from the header section only). Anything else, such as grpc-status or
 * Server-Timing, is forwarded.
 */
export const TRAILER_FIELDS_DROPPED: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP_FIELDS,
  'content-length',
  'host',
  'http2-settings',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  'cache-control',
  'expect',
  'max-forwards',
  'pragma',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
  'age',
  'date',
  'expires',
  'location',
  'retry-after',
  'vary',
  'content-type',
  'content-encoding',
  'content-range',
  'set-cookie',
]);
