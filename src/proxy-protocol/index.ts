/**
 * proxy-protocol: the PROXY protocol (v1 text, v2 binary). Owns the sans-io codec and the listener
 * step that reads a header from a trusted peer before any session exists, handing the socket on with
 * the bytes after the header put back and the client's real address.
 * Does not: speak HTTP or TLS, pick upstreams, or open upstream connections (router/ sends headers
 * upstream through the connector).
 * Used by: server/, router/. Uses: errors/, config/ (types), util/ (IP address bytes).
 */
export {
  parseProxyHeader,
  proxyEndpoints,
  serializeProxyHeader,
  serializeProxyV1,
  serializeProxyV2,
  V1_MAX_BYTES,
  V2_MAX_BYTES,
  type ProxyEndpoints,
  type ProxyHeader,
  type ProxyParse,
} from './codec.ts';
export { ProxyHeaderStep, isTrustedPeer, type ProxiedPeer, type ProxyStepHandler } from './inbound.ts';
