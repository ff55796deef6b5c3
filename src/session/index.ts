/**
 * session: one client connection speaking HTTP/1.1 and its protocol states (a tunnel after a 101), and
 * what the server's sweep needs of any session (ServedSession, which tcp/'s sessions implement too).
 * The PROXY protocol step (proxy-protocol/) and TLS termination (tls/) run before a session exists; a
 * session on an HTTPS listener is handed the secure socket and the handshake's facts. Owns the client
 * socket, head buffering, keep-alive, pipelining order, the session deadline, and redirects to HTTPS.
 * Does not: route, pick upstreams or touch upstream sockets.
 */
export { Http1Session, type SessionHost, type SessionOptions } from './http1-session.ts';
export type { ClientPeer, ServedSession, SessionActivity, SweepableSession } from './served-session.ts';
