/**
 * tunnel: the two-way byte pipe a session becomes after a `101 Switching Protocols` (WebSocket and
 * other upgrades). Owns: moving bytes both ways with backpressure, half-closes, the idle timeout's
 * bookkeeping and the report of how the tunnel ended. Does not: own or listen on sockets (the session
 * and the upstream connection feed it their events), parse any protocol, or decide whether a request
 * may upgrade (transaction/ does).
 * Used by: transaction/, session/, tcp/ (TCP listeners relay through it too). Uses: errors/ (codes, as types).
 */
export {
  Tunnel,
  type TunnelHost,
  type TunnelOptions,
  type TunnelPeer,
  type TunnelReport,
  type TunnelEndedBy,
} from './tunnel.ts';
