import type { RequestHead, ResponseHead } from '../codec/types.ts';
import type { Logger } from '../log/index.ts';
import type { RouterLease, UpstreamChannel } from '../router/index.ts';
import type { SelectionInput } from '../strategies/index.ts';
import { Tunnel, type TunnelHost, type TunnelReport } from '../tunnel/index.ts';
import { serializeSwitchingHead } from './forward-heads.ts';
import type { SessionPort } from './session-port.ts';
import type { RuntimeSnapshot } from './snapshot.ts';

/**
 * What becomes of a request that asks for a protocol upgrade (`Connection: upgrade` plus `Upgrade`):
 * - `tunnel`: forwarded with its Upgrade field; a 101 from the upstream turns the session into a tunnel.
 * - `plain`: forwarded as an ordinary request, without Upgrade (RFC 9110 §7.8 lets a server ignore it,
 *   and requires that for HTTP/1.0). That is the fate of HTTP/1.0 requests and of requests with a body:
 *   if an upstream switched before reading the body, where the body ends and the new protocol starts
 *   would be a guess, and a guess is a smuggling vector.
 * - `refused`: the route does not allow the protocol; Junction answers 403 itself.
 */
export type UpgradeDecision = 'tunnel' | 'plain' | 'refused';

export function upgradeDecision(head: RequestHead, policy: boolean | readonly string[]): UpgradeDecision {
  if (head.versionMinor === 0) return 'plain';
  if (head.bodyKind === 'chunked' || (head.bodyKind === 'length' && head.contentLength > 0)) return 'plain';
  if (policy === true) return 'tunnel';
  if (policy === false) return 'refused';
  const offered = offeredProtocols(head.headers);
  return offered.length > 0 && offered.every((name) => policy.includes(name)) ? 'tunnel' : 'refused';
}

/** The protocol names (without versions, lower-cased) of every Upgrade field: `websocket`, `h2c`… */
export function offeredProtocols(headers: readonly string[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length !== 7 || headers[i]!.toLowerCase() !== 'upgrade') continue;
    for (const item of headers[i + 1]!.split(',')) {
      const protocol = item.trim();
      if (protocol === '') continue;
      const slash = protocol.indexOf('/');
      names.push((slash < 0 ? protocol : protocol.slice(0, slash)).toLowerCase());
    }
  }
  return names;
}

/** Whether the head still carries an Upgrade field (a hook may have removed it). */
export function hasUpgradeField(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length === 7 && headers[i]!.toLowerCase() === 'upgrade') return true;
  }
  return false;
}

/** What opening a tunnel needs of its transaction. */
export interface TunnellingTransaction extends SelectionInput {
  readonly port: SessionPort;
  readonly snapshot: RuntimeSnapshot;
  /** The response head with Junction's request ID (and `extra` fields) added. */
  withRequestId(response: ResponseHead, extra: readonly string[] | undefined): readonly string[];
  /** The tunnel is over (both sides closed): the transaction ends with its report. */
  tunnelOver(report: TunnelReport): void;
}

/**
 * The upstream answered 101: the client gets the 101 head, and the session and the upstream
 * connection become the two sides of a tunnel, which ends the transaction when it is over. Bytes the
 * upstream sent after the head (`buf` from `offset`) go first; the session then gives the tunnel what
 * the client sent ahead of the 101.
 */
export function openTunnel(
  txn: TunnellingTransaction,
  channel: UpstreamChannel,
  lease: RouterLease,
  response: ResponseHead,
  buf: Buffer,
  offset: number,
): Tunnel {
  const session = txn.port;
  const router = txn.snapshot.router;
  router.tunnelling(lease);
  const upstream = lease.upstream;
  const extra = upstream === undefined ? undefined : lease.strategy.responseHeaders?.(upstream, txn);
  session.writeClient(serializeSwitchingHead(response, txn.withRequestId(response, extra)), 'latin1');
  const early = offset < buf.length ? buf.subarray(offset) : null;
  const link = new TunnelLink(session, router, txn);
  const tunnel = new Tunnel(channel, link, txn.snapshot.config.timeouts.tunnelIdleMs, early);
  // Half-closes pass through a tunnel both ways: the upstream's FIN must not end our side of it.
  channel.allowHalfOpen();
  channel.attach(tunnel);
  session.startTunnel(tunnel);
  return tunnel;
}

/** A tunnel's host: the session's deadline, the Router's clock, and the transaction that ends with it. */
export class TunnelLink implements TunnelHost {
  readonly #session: SessionPort;
  readonly #clock: { now(): number };
  readonly #txn: { tunnelOver(report: TunnelReport): void };

  constructor(
    session: SessionPort,
    clock: { now(): number },
    txn: { tunnelOver(report: TunnelReport): void },
  ) {
    this.#session = session;
    this.#clock = clock;
    this.#txn = txn;
  }

  now(): number {
    return this.#clock.now();
  }

  setDeadline(ms: number): void {
    this.#session.setDeadline(ms);
  }

  onTunnelOver(report: TunnelReport): void {
    this.#txn.tunnelOver(report);
  }
}

/**
 * One line per tunnel when it ends. A clean close is routine (debug); a reset or an idle timeout is
 * worth seeing (info), though neither is Junction's problem.
 */
export function logTunnelEnd(
  log: Logger,
  report: TunnelReport,
  route: string | undefined,
  upstream: string | undefined,
): void {
  const fields = {
    route,
    upstream,
    durationMs: Math.round(report.durationMs),
    bytesFromClient: report.bytesFromClient,
    bytesFromUpstream: report.bytesFromUpstream,
    endedBy: report.endedBy,
    code: report.errorCode,
  };
  if (report.errorCode === undefined) log.debug(fields, 'tunnel closed');
  else if (report.endedBy === 'idle-timeout')
    log.info(fields, 'tunnel closed: idle past timeouts.tunnel_idle');
  else log.info(fields, `tunnel closed: the ${report.endedBy} reset or aborted it`);
}
