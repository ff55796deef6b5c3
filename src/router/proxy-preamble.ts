import { proxyEndpoints, serializeProxyHeader } from '../proxy-protocol/index.ts';
import type { ClientConnection } from './types.ts';

/**
 * The PROXY protocol header a cluster's upstream connection starts with. Without a client (a health
 * check, made by Junction itself) it is v2's LOCAL or v1's UNKNOWN, so the upstream keeps the
 * connection's own addresses.
 */
export function proxyPreamble(version: 1 | 2, client: ClientConnection | undefined): Buffer {
  const endpoints =
    client === undefined
      ? undefined
      : proxyEndpoints(client.clientAddress, client.clientPort, client.localAddress, client.localPort);
  return serializeProxyHeader(version, endpoints);
}
