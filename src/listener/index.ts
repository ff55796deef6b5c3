/**
 * listener: listening sockets and their accept queues (max_connections, queue timeout and bound).
 * Owns: accepting sockets and deciding when each may become a session.
 * Does not: read from sockets or speak HTTP (session/).
 */
export { Listener } from './listener.ts';
