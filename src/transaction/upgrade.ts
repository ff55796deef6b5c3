import type { RequestHead } from '../codec/types.ts';
import type { Logger } from '../log/index.ts';
import type { TunnelHost, TunnelReport } from '../tunnel/index.ts';
import type { SessionPort } from './session-port.ts';

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

/** A tunnel's host: the session's deadline, the Router's clock, and the transaction that ends with it. */
export class TunnelLink implements TunnelHost {
  readonly #session: SessionPort;
  readonly #clock: { now(): number };
  readonly #over: (report: TunnelReport) => void;

  constructor(session: SessionPort, clock: { now(): number }, over: (report: TunnelReport) => void) {
    this.#session = session;
    this.#clock = clock;
    this.#over = over;
  }

  now(): number {
    return this.#clock.now();
  }

  setDeadline(ms: number): void {
    this.#session.setDeadline(ms);
  }

  onTunnelOver(report: TunnelReport): void {
    this.#over(report);
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
