/**
 * upstream-h2: HTTP/2 to backends (a cluster's `protocol: h2 | h2c`).
 * - Lends each transaction one stream of a shared, multiplexed session as an UpstreamChannel, reading
 *   the HTTP/1.1 the transaction writes and giving back HTTP/1.1 bytes (h2-stream-channel.ts,
 *   h2-translate.ts, RFC 9113 §8.2.2/§8.3), so transaction/ is the same for both protocols.
 * - Keeps each upstream's sessions (h2-pool.ts, h2-session.ts): SETTINGS_MAX_CONCURRENT_STREAMS,
 *   GOAWAY, idle close, a bounded wait at `max_total`, and one replay of a stream refused unseen.
 * - Routes the Router's and the health checker's asks by protocol (upstream-links.ts).
 * Does not: dial sockets or map connect errors (connector/ does, and counts the connections), choose
 * upstreams or retry requests (router/), or frame HTTP/2 (node:http2 does: framing, HPACK, flow control).
 * Used by: server/. Uses: connector/, codec/, router/types.ts, errors/.
 */
export { UpstreamLinks } from './upstream-links.ts';
export { H2StreamChannel } from './h2-stream-channel.ts';
