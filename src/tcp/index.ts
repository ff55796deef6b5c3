/**
 * tcp: TCP listeners' sessions. Owns one client connection proxied as bytes (no HTTP parsing): choosing
 * its cluster (the listener's, or by the TLS server name read from the ClientHello without terminating
 * TLS), asking the Router for an upstream connection, relaying both ways with backpressure and
 * half-close, and its idle deadline (swept by the server like HTTP sessions').
 * Does not: open or pool upstream connections (the Router and connector do; tunnels are never pooled),
 * parse HTTP, or decrypt TLS.
 * Used by: server/. Uses: router/, config/ (types), errors/, util/, access-log/ (one line per session).
 */
export { TcpSession, type TcpSessionHost } from './tcp-session.ts';
export { parseClientHello, MAX_CLIENT_HELLO_BYTES, type ClientHelloParse } from './client-hello.ts';
export { clusterForServerName } from './sni-routes.ts';
