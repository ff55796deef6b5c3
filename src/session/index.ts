/**
 * session: one client connection and its protocol state (HTTP/1.1 now; PROXY protocol and tunnels
 * join as further states; TLS is terminated before a session starts, by tls/, and a session on an
 * HTTPS listener is handed the secure socket and the handshake's facts). Owns the client socket,
 * head buffering, keep-alive, pipelining order, the session deadline, and redirects to HTTPS.
 * Does not: route, pick upstreams or touch upstream sockets.
 */
export { Http1Session, type SessionHost, type SessionOptions } from './http1-session.ts';
