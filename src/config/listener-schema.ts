/** The schema of `listeners[]`: HTTP, HTTPS and TCP listeners, their limits and their accept queue. */
import * as z from 'zod';
import { addressProblem, isListenAddress } from './addresses.ts';
import { MAX_ACCEPT_QUEUE_SIZE, MAX_MAX_CONNECTIONS } from './defaults.ts';
import { describeValue } from './describe-value.ts';
import { accessLog } from './observability-schema.ts';
import type { SchemaOptions } from './schema-options.ts';
import { duration, integer, nonEmptyString, optional, strictObject } from './schema-toolkit.ts';
import { checkTcpListener, tcpListenerKeys } from './tcp-config.ts';
import { httpsRedirect, listenerTls } from './tls-schema.ts';

/** Where a listener (or the admin API) binds: an IP address or a host name, IPv6 without brackets. */
export const listenAddress = z.string().refine(isListenAddress, {
  error: (issue) =>
    typeof issue.input === 'string' && /^[\d.]+$/.test(issue.input)
      ? addressProblem(issue.input)
      : `must be an IP address or host name (IPv6 without brackets), got ${describeValue(issue.input)}`,
});

export function listener(options: SchemaOptions) {
  return strictObject(
    {
      name: optional(nonEmptyString),
      address: optional(listenAddress),
      port: integer(0, 65535),
      max_connections: optional(integer(1, MAX_MAX_CONNECTIONS)),
      accept_queue_timeout: optional(duration(1)),
      // Zero: no queue, sockets over max_connections are closed at once.
      accept_queue_size: optional(integer(0, MAX_ACCEPT_QUEUE_SIZE)),
      // Zero: no cap.
      max_connections_per_client: optional(integer(0, MAX_MAX_CONNECTIONS)),
      tls: optional(listenerTls(options.baseDir)),
      redirect_to_https: optional(httpsRedirect()),
      access_log: optional(accessLog(options.baseDir)),
      trust_request_id: optional(z.boolean()),
      // protocol, cluster, sni_routes, idle_timeout, proxy_protocol
      ...tcpListenerKeys(),
    },
    'must be a mapping with at least a port',
  ).superRefine((value, ctx) => {
    checkTcpListener(value, ctx);
    if (value.tls !== undefined && value.redirect_to_https !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['redirect_to_https'],
        message: 'an HTTPS listener cannot redirect to HTTPS; set it on the plain HTTP listener',
      });
    }
    if (value.protocol === 'tcp' && value.tls !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'a tcp listener does not terminate TLS; route TLS by SNI with sni_routes (passthrough)',
      });
    }
    if (value.protocol === 'tcp' && value.redirect_to_https !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['redirect_to_https'],
        message: 'a tcp listener does not speak HTTP, so it cannot redirect to HTTPS',
      });
    }
  });
}
