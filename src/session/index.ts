/**
 * session: one client connection speaking HTTP/1.1, and what the server's sweep needs of any session
 * (ServedSession, which tcp/'s sessions implement too). The PROXY protocol step runs before a session
 * exists (proxy-protocol/). Owns the client socket, head buffering, keep-alive, pipelining order and
 * the session deadline. Does not: route, pick upstreams or touch upstream sockets.
 */
export { Http1Session, type SessionHost } from './http1-session.ts';
export type { ClientPeer, ServedSession } from './served-session.ts';
