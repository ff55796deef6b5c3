/**
 * listener: listening sockets and their accept queues (max_connections, queue timeout and bound).
 * Owns: accepting sockets and deciding when each may become a session; on HTTPS listeners each
 * socket passes the TLS step (tls/) first and becomes a session only once its handshake is done.
 * Does not: read from sockets or speak HTTP (session/).
 */
export { Listener, type ListenerHandlers } from './listener.ts';
