/** The schema of `listeners[]`: HTTP, HTTPS and TCP listeners, their limits and their accept queue. */
import * as z from 'zod';
import { addressProblem, isListenAddress } from './addresses.ts';
import { MAX_ACCEPT_QUEUE_SIZE, MAX_LISTEN_BACKLOG, MAX_MAX_CONNECTIONS } from './defaults.ts';
import { describeValue } from './describe-value.ts';
import { accessLog } from './observability-schema.ts';
import type { SchemaOptions } from './schema-options.ts';
import { duration, integer, nonEmptyString, optional, size, strictObject } from './schema-toolkit.ts';
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
      // The kernel's queue, before Junction accepts (listen(2)'s backlog, capped by somaxconn).
      backlog: optional(integer(1, MAX_LISTEN_BACKLOG)),
      // Zero: no cap.
      max_connections_per_client: optional(integer(0, MAX_MAX_CONNECTIONS)),
      tls: optional(listenerTls(options.baseDir, options.fleetCertificates)),
      redirect_to_https: optional(httpsRedirect()),
      access_log: optional(accessLog(options.baseDir)),
      trust_request_id: optional(z.boolean()),
      // HTTP/2: h2c with prior knowledge on a plain listener; the limits of HTTP/2 connections.
      h2c: optional(z.boolean()),
      http2: optional(http2Settings()),
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
    checkHttp2(value, ctx);
    if (value.protocol === 'tcp' && value.redirect_to_https !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['redirect_to_https'],
        message: 'a tcp listener does not speak HTTP, so it cannot redirect to HTTPS',
      });
    }
  });
}

/** `http2:` under a listener: the SETTINGS it sends and the floods it refuses (defaults in defaults.ts). */
function http2Settings() {
  return strictObject(
    {
      max_concurrent_streams: optional(integer(1, 2 ** 31 - 1)),
      max_header_list_size: optional(size(1024, 16 * 1024 * 1024)),
      header_table_size: optional(size(0, 1024 * 1024)),
      initial_window_size: optional(size(1024, 2 ** 31 - 1)),
      // Zero: no limit.
      max_resets: optional(integer(0, 1_000_000)),
      max_control_frames: optional(integer(0, 1_000_000)),
    },
    'must be a mapping of HTTP/2 settings',
  );
}

interface Http2Keys {
  readonly h2c?: boolean | undefined;
  readonly http2?: object | undefined;
  readonly tls?: { readonly alpn?: readonly string[] | undefined } | undefined;
  readonly protocol?: string | undefined;
}

/** h2c is for plain listeners, h2 by ALPN for HTTPS ones; `http2:` where neither is offered is a mistake. */
function checkHttp2(value: Http2Keys, ctx: z.RefinementCtx): void {
  if (value.h2c === true && value.tls !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['h2c'],
      message:
        'h2c is HTTP/2 in clear: an HTTPS listener offers HTTP/2 by ALPN instead (tls.alpn: [h2, http/1.1])',
    });
  }
  if (value.h2c === true && value.protocol === 'tcp') {
    ctx.addIssue({ code: 'custom', path: ['h2c'], message: 'a tcp listener does not speak HTTP' });
  }
  const speaksH2 = value.h2c === true || value.tls?.alpn?.includes('h2') === true;
  if (value.http2 !== undefined && !speaksH2) {
    ctx.addIssue({
      code: 'custom',
      path: ['http2'],
      message:
        value.tls === undefined
          ? 'http2 settings apply to HTTP/2 connections: set h2c: true on this plain listener'
          : 'http2 settings apply to HTTP/2 connections: offer h2 in tls.alpn ([h2, http/1.1])',
    });
  }
}
