/**
 * The schema of `clusters.<name>`: backends, retries, passive and active health, the connection pool,
 * DNS caching, TLS to upstreams and the PROXY protocol sent to them.
 */
import * as z from 'zod';
import { parseBackendAddress } from './addresses.ts';
import { pemFile } from './config-files.ts';
import { MAX_BACKEND_WEIGHT, MAX_POOL_CONNECTIONS, MAX_RETRY_ATTEMPTS } from './defaults.ts';
import { describeValue } from './describe-value.ts';
import type { SchemaOptions } from './schema-options.ts';
import {
  TOKEN,
  duration,
  integer,
  nonEmptyString,
  optional,
  parsed,
  percent,
  strictObject,
  urlPath,
} from './schema-toolkit.ts';
import { strategyReference } from './strategy-schema.ts';
import { clusterProxyProtocol } from './tcp-config.ts';

const backend = z.preprocess(
  (value) => (typeof value === 'string' ? { address: value } : value),
  strictObject(
    {
      address: parsed(z.string(), parseBackendAddress),
      weight: optional(integer(1, MAX_BACKEND_WEIGHT)),
      id: optional(nonEmptyString),
    },
    "must be 'host:port' or a mapping with an address",
  ),
);

/** One retry condition: `reset`, `timeout`, `connect-failure` (always on), a status 400-599, or `5xx`. */
const retryCondition = parsed<unknown, string | number>(z.unknown(), (value) => {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599) {
    return { ok: true, value };
  }
  if (value === 'reset' || value === 'timeout' || value === 'connect-failure' || value === '5xx') {
    return { ok: true, value };
  }
  if (typeof value === 'string' && /^\d{3}$/.test(value)) return { ok: true, value: Number(value) };
  return {
    ok: false,
    problem: `must be reset, timeout, connect-failure, 5xx or a status from 400 to 599, got ${describeValue(value)}`,
  };
});

const retry = strictObject(
  {
    attempts: optional(integer(1, MAX_RETRY_ATTEMPTS)),
    on: optional(
      z.array(retryCondition, {
        error: (issue) => `must be a list of retry conditions, got ${describeValue(issue.input)}`,
      }),
    ),
    budget: optional(
      strictObject(
        { share: optional(percent), min_per_second: optional(integer(0, 1_000_000)) },
        'must be a mapping with share and min_per_second',
      ),
    ),
    backoff: optional(
      strictObject(
        { base: optional(duration(0)), max: optional(duration(0)) },
        'must be a mapping with base and max durations',
      ).superRefine((value, ctx) => {
        if (value.base !== undefined && value.max !== undefined && value.base > value.max) {
          ctx.addIssue({ code: 'custom', path: ['base'], message: 'must not exceed backoff.max' });
        }
      }),
    ),
  },
  'must be a mapping with attempts, on, budget or backoff',
);

/** `200`, `"2xx"`, `"200-399"` → an inclusive status range. */
const statusRange = parsed<unknown, readonly [number, number]>(z.unknown(), (value) => {
  const problem = {
    ok: false as const,
    problem: `must be a status (200), a class ('2xx') or a range ('200-399'), got ${describeValue(value)}`,
  };
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  let range: [number, number] | undefined;
  let match: RegExpExecArray | null;
  if ((match = /^([1-5])xx$/i.exec(text)) !== null)
    range = [Number(match[1]) * 100, Number(match[1]) * 100 + 99];
  else if ((match = /^(\d{3})$/.exec(text)) !== null) range = [Number(match[1]), Number(match[1])];
  else if ((match = /^(\d{3})\s*-\s*(\d{3})$/.exec(text)) !== null)
    range = [Number(match[1]), Number(match[2])];
  if (range === undefined || range[0] < 100 || range[1] > 599 || range[0] > range[1]) return problem;
  return { ok: true, value: range };
});

const passiveHealth = strictObject(
  {
    consecutive_failures: optional(integer(0, 1000)),
    failure_rate: optional(percent),
    min_requests: optional(integer(1, 1_000_000)),
    window: optional(duration(100)),
    ejection: optional(duration(1)),
    max_ejection: optional(duration(1)),
    max_ejection_percent: optional(percent),
  },
  'must be a mapping of passive health settings',
);

const activeHealth = strictObject(
  {
    path: optional(urlPath),
    method: optional(z.string().regex(TOKEN, 'must be an HTTP method such as GET')),
    host: optional(nonEmptyString),
    interval: optional(duration(10)),
    timeout: optional(duration(1)),
    healthy_threshold: optional(integer(1, 100)),
    unhealthy_threshold: optional(integer(1, 100)),
    expect: optional(
      z
        .array(statusRange, {
          error: (issue) => `must be a list of statuses or ranges, got ${describeValue(issue.input)}`,
        })
        .min(1, 'must not be empty'),
    ),
  },
  'must be a mapping of active check settings',
).superRefine((value, ctx) => {
  if (value.interval !== undefined && value.timeout !== undefined && value.timeout > value.interval) {
    ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'must not exceed the check interval' });
  }
});

const health = strictObject(
  { passive: optional(passiveHealth), active: optional(activeHealth), panic_threshold: optional(percent) },
  'must be a mapping with passive, active or panic_threshold',
);

const pool = strictObject(
  {
    max_idle: optional(integer(0, MAX_POOL_CONNECTIONS)),
    max_total: optional(integer(0, MAX_POOL_CONNECTIONS)),
    idle_timeout: optional(duration(1)),
    max_requests_per_connection: optional(integer(0, Number.MAX_SAFE_INTEGER)),
  },
  'must be a mapping of pool settings',
);

const dns = strictObject(
  { min_ttl: optional(duration(0)), max_ttl: optional(duration(0)) },
  'must be a mapping with min_ttl and max_ttl',
).superRefine((value, ctx) => {
  if (value.min_ttl !== undefined && value.max_ttl !== undefined && value.min_ttl > value.max_ttl) {
    ctx.addIssue({ code: 'custom', path: ['min_ttl'], message: 'must not exceed max_ttl' });
  }
});

function upstreamTls(options: SchemaOptions) {
  return z.preprocess(
    (value) => (typeof value === 'boolean' ? { enabled: value } : value),
    strictObject(
      {
        enabled: optional(z.boolean()),
        server_name: optional(nonEmptyString),
        ca_file: optional(pemFile(options.baseDir)),
        verify: optional(z.boolean()),
        cert_file: optional(pemFile(options.baseDir)),
        key_file: optional(pemFile(options.baseDir)),
      },
      'must be true, false, or a mapping of TLS settings',
    ).superRefine((value, ctx) => {
      if ((value.cert_file === undefined) !== (value.key_file === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [value.cert_file === undefined ? 'key_file' : 'cert_file'],
          message: 'a client certificate needs both cert_file and key_file',
        });
      }
    }),
  );
}

export function cluster(options: SchemaOptions) {
  return strictObject(
    {
      strategy: optional(strategyReference(options)),
      retry: optional(retry),
      health: optional(health),
      pool: optional(pool),
      dns: optional(dns),
      tls: optional(upstreamTls(options)),
      proxy_protocol: optional(clusterProxyProtocol),
      protocol: optional(clusterProtocol),
      backends: z
        .array(backend, { error: (issue) => `must be a list of backends, got ${describeValue(issue.input)}` })
        .min(1, 'a cluster needs at least one backend'),
    },
    'must be a mapping with at least backends',
  ).superRefine(protocolFitsTransport);
}

/** The protocol spoken to a cluster's backends: HTTP/1.1, HTTP/2 over TLS (ALPN h2), or h2c in clear. */
const clusterProtocol = z.enum(['http/1.1', 'h2', 'h2c'], { error: 'must be http/1.1, h2 or h2c' });

/**
 * `h2` is HTTP/2 over TLS and `h2c` HTTP/2 in clear text, so each refuses the other transport; and a
 * PROXY header speaks for one client, which a connection multiplexing many clients' streams cannot.
 */
function protocolFitsTransport(
  value: {
    protocol?: 'http/1.1' | 'h2' | 'h2c' | undefined;
    tls?: { enabled?: boolean | undefined } | undefined;
    proxy_protocol?: 1 | 2 | undefined;
    backends: readonly { address: { tls: boolean } }[];
  },
  ctx: z.RefinementCtx,
): void {
  const protocol = value.protocol;
  if (protocol === undefined || protocol === 'http/1.1') return;
  if (protocol === 'h2' && value.tls?.enabled === false) {
    ctx.addIssue({
      code: 'custom',
      path: ['protocol'],
      message: 'h2 is HTTP/2 over TLS, and this cluster has tls: false; use h2c for HTTP/2 in clear text',
    });
  }
  if (protocol === 'h2c') {
    const tlsBackend = value.backends.findIndex((b) => b.address.tls);
    if (value.tls !== undefined && value.tls.enabled !== false) {
      ctx.addIssue({
        code: 'custom',
        path: ['protocol'],
        message: 'h2c is HTTP/2 in clear text, and this cluster has tls; use h2 for HTTP/2 over TLS',
      });
    } else if (tlsBackend !== -1) {
      ctx.addIssue({
        code: 'custom',
        path: ['backends', tlsBackend],
        message: 'an https:// backend speaks TLS, and the cluster says protocol: h2c (clear text); use h2',
      });
    }
  }
  if (value.proxy_protocol !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['proxy_protocol'],
      message: `a PROXY header speaks for one client, and protocol ${protocol} multiplexes many clients' requests on one connection; use protocol: http/1.1`,
    });
  }
}
