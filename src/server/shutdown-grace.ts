/**
 * Shutdown's grace period: drained sessions get up to `timeouts.shutdown_grace` to finish what they
 * carry, then whatever is still open is cut. The log says how much was in flight when it began, how
 * much finished in time, and how much was cut, so an operator can tell a clean stop from a lossy one.
 */
import type { Logger } from '../log/index.ts';
import type { ServedSession } from '../session/index.ts';

/** Sessions by what they carry: requests (HTTP) and tunnels (WebSocket, TCP). */
export interface InFlight {
  readonly requests: number;
  readonly tunnels: number;
}

export interface GraceOutcome {
  /** When the grace period began. */
  readonly inFlight: InFlight;
  /** Still under way when it ended, and cut. */
  readonly cut: InFlight;
}

const NONE: InFlight = { requests: 0, tunnels: 0 };

export function countInFlight(sessions: Iterable<ServedSession>): InFlight {
  let requests = 0;
  let tunnels = 0;
  for (const session of sessions) {
    const activity = session.activity;
    if (activity === 'request') requests++;
    else if (activity === 'tunnel') tunnels++;
  }
  return { requests, tunnels };
}

/**
 * Waits until `allGone` resolves (the last session ended) or `graceMs` passes, then destroys the
 * sessions left, and logs the outcome. `sessions` must already be draining.
 */
export async function closeWithinGrace(
  sessions: ReadonlyMap<ServedSession, unknown>,
  allGone: Promise<void>,
  graceMs: number,
  log: Logger,
): Promise<GraceOutcome> {
  const inFlight = countInFlight(sessions.keys());
  const total = inFlight.requests + inFlight.tunnels;
  if (total > 0) {
    log.info(
      { graceMs, inFlightRequests: inFlight.requests, inFlightTunnels: inFlight.tunnels },
      `shutdown: ${describe(inFlight)} in flight; waiting up to ${graceMs} ms for them (shutdown_grace)`,
    );
  }
  let cut = NONE;
  if (sessions.size > 0) {
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([allGone, graceOver]);
    clearTimeout(timer);
    cut = countInFlight(sessions.keys());
    for (const session of sessions.keys()) session.destroy();
  }
  const cutTotal = cut.requests + cut.tunnels;
  // A request counted at the start is either finished or cut by now; nothing new starts while draining.
  const finished = Math.max(0, total - cutTotal);
  const fields = {
    graceMs,
    inFlight: total,
    finished,
    cut: cutTotal,
    cutRequests: cut.requests,
    cutTunnels: cut.tunnels,
  };
  if (cutTotal > 0) {
    log.warn(
      fields,
      `shutdown_grace (${graceMs} ms) ended: cut ${describe(cut)} still in flight; ${finished} of ${total} finished in time`,
    );
  } else if (total > 0) {
    log.info(fields, `shutdown: all ${total} in flight finished within shutdown_grace`);
  }
  return { inFlight, cut };
}

function describe({ requests, tunnels }: InFlight): string {
  const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
  return `${plural(requests, 'request')} and ${plural(tunnels, 'tunnel')}`;
}
