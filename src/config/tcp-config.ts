/**
 * The config of TCP listeners (a cluster, or SNI routes for TLS passthrough), of the PROXY protocol
 * expected on listeners, and of the PROXY protocol clusters send: schema fragments, their built form,
 * and the checks that span entries (the clusters they name exist).
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import { parseHostPattern, type AddressResult, type HostMatch } from './addresses.ts';
import { valueIssue, type ConfigIssue, type KeyPath } from './config-issue.ts';
import { describeValue } from './describe-value.ts';
import { didYouMean } from './edit-distance.ts';
import { duration, oneOrMany, optional, parsed, strictObject } from './schema-toolkit.ts';

/** How long a trusted peer has to send its PROXY header. */
export const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 5_000;
/** An established TCP session with no byte in either direction for this long is closed. */
export const DEFAULT_TCP_IDLE_TIMEOUT_MS = 300_000;

/** A TCP listener's upstream choice: one cluster, or by the TLS server name the client asks for. */
export interface TcpListenerConfig {
  /** Connections whose server name matches no SNI route (or every connection, without SNI routes). */
  readonly cluster: string | undefined;
  /** First match wins, in order. Non-empty means the listener reads each connection's ClientHello. */
  readonly sniRoutes: readonly SniRoute[];
  /** Idle timeout of this listener's sessions. */
  readonly idleTimeoutMs: number;
}

export interface SniRoute {
  readonly names: readonly HostMatch[];
  readonly cluster: string;
}

/** What a listener does about a peer outside `trusted`. */
export type UntrustedPeerPolicy = 'reject' | 'direct';

/** A listener that expects a PROXY protocol header (v1 or v2) from its trusted peers. */
export interface InboundProxyConfig {
  /** Networks as written (`10.0.0.0/8`, `::1`); a peer in one must start with a PROXY header. */
  readonly trusted: readonly string[];
  /** How long the header may take to arrive. */
  readonly timeoutMs: number;
  /** `reject` (default) closes connections from other peers; `direct` serves them with their own address. */
  readonly untrusted: UntrustedPeerPolicy;
}

/** A trusted network: an address alone, or `address/prefix`. */
function parseNetwork(text: string): AddressResult<string> {
  const [address = '', bits, extra] = text.trim().split('/');
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  if (family === 0 || extra !== undefined) {
    return { ok: false, problem: `'${text}' is not an IP address or a CIDR network` };
  }
  if (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > max)) {
    return { ok: false, problem: `'${text}' has a prefix length outside 0 to ${max}` };
  }
  return { ok: true, value: `${address}/${bits ?? max}` };
}

/** The keys a listener gains. */
export function tcpListenerKeys() {
  const cluster = z.string().min(1, 'must not be empty');
  const sniRoute = strictObject(
    {
      sni: oneOrMany(parsed(z.string(), parseHostPattern), 'must be a server name or a list of them'),
      cluster,
    },
    'must be a mapping with sni and cluster',
  );
  return {
    protocol: optional(z.enum(['http', 'tcp'], { error: 'must be http or tcp' })),
    cluster: optional(cluster),
    sni_routes: optional(
      z
        .array(sniRoute, {
          error: (issue) => `must be a list of SNI routes, got ${describeValue(issue.input)}`,
        })
        .min(1, 'must not be empty'),
    ),
    idle_timeout: optional(duration(1)),
    proxy_protocol: optional(
      strictObject(
        {
          trusted: oneOrMany(
            parsed(z.string(), parseNetwork),
            'must be an address, a CIDR network or a list of them',
          ),
          timeout: optional(duration(1)),
          untrusted: optional(z.enum(['reject', 'direct'], { error: 'must be reject or direct' })),
        },
        'must be a mapping with at least trusted',
      ),
    ),
  };
}

/** Keys only a TCP listener takes, and the TCP listener's need for an upstream. */
export function checkTcpListener(
  value: {
    protocol?: 'http' | 'tcp' | undefined;
    cluster?: unknown;
    sni_routes?: unknown;
    idle_timeout?: unknown;
  },
  ctx: z.RefinementCtx,
): void {
  if (value.protocol === 'tcp') {
    if (value.cluster === undefined && value.sni_routes === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a tcp listener needs a cluster, sni_routes, or both' });
    }
    return;
  }
  for (const key of ['cluster', 'sni_routes', 'idle_timeout'] as const) {
    if (value[key] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'is for tcp listeners only (add protocol: tcp)' });
    }
  }
}

interface RawTcpListener {
  readonly protocol?: 'http' | 'tcp' | undefined;
  readonly cluster?: string | undefined;
  readonly sni_routes?: readonly { sni: HostMatch[]; cluster: string }[] | undefined;
  readonly idle_timeout?: number | undefined;
  readonly proxy_protocol?:
    | { trusted: string[]; timeout?: number | undefined; untrusted?: UntrustedPeerPolicy | undefined }
    | undefined;
}

export function buildTcpListener(raw: RawTcpListener, tcpIdleMs: number): TcpListenerConfig | undefined {
  if (raw.protocol !== 'tcp') return undefined;
  return {
    cluster: raw.cluster,
    sniRoutes: (raw.sni_routes ?? []).map((route) => ({ names: route.sni, cluster: route.cluster })),
    idleTimeoutMs: raw.idle_timeout ?? tcpIdleMs,
  };
}

export function buildInboundProxy(raw: RawTcpListener): InboundProxyConfig | undefined {
  const proxy = raw.proxy_protocol;
  if (proxy === undefined) return undefined;
  return {
    trusted: proxy.trusted,
    timeoutMs: proxy.timeout ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS,
    untrusted: proxy.untrusted ?? 'reject',
  };
}

/** `proxy_protocol: v1 | v2` on a cluster → the version number. */
export const clusterProxyProtocol = z
  .enum(['v1', 'v2'], { error: 'must be v1 or v2' })
  .transform((value): 1 | 2 => (value === 'v1' ? 1 : 2));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** TCP listeners' `cluster` and `sni_routes[].cluster` must name clusters that exist. */
export function checkTcpListenerClusters(listeners: unknown, clusters: unknown, out: ConfigIssue[]): void {
  const names = isRecord(clusters) ? Object.keys(clusters) : [];
  const check = (cluster: unknown, path: KeyPath): void => {
    if (typeof cluster !== 'string' || cluster === '' || names.includes(cluster)) return;
    const hint = names.length === 0 ? '; no clusters are defined' : didYouMean(cluster, names);
    out.push(valueIssue(path, `unknown cluster '${cluster}'${hint}`));
  };
  (Array.isArray(listeners) ? listeners : []).forEach((entry: unknown, index) => {
    if (!isRecord(entry)) return;
    const at: KeyPath = ['listeners', index];
    check(entry['cluster'], [...at, 'cluster']);
    const routes = entry['sni_routes'];
    (Array.isArray(routes) ? routes : []).forEach((route: unknown, i) => {
      if (isRecord(route)) check(route['cluster'], [...at, 'sni_routes', i, 'cluster']);
    });
  });
}
