/**
 * session: one client connection and its protocol state (HTTP/1.1 now; PROXY protocol, TLS and
 * tunnels join as further states). Owns the client socket, head buffering, keep-alive, pipelining
 * order and the session deadline. Does not: route, pick upstreams or touch upstream sockets.
 */
export { Http1Session, type SessionHost } from './http1-session.ts';
export type { ClientPeer, ServedSession } from './served-session.ts';
