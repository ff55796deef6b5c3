/**
 * Draining one backend: out of rotation at once (strategies stop picking it), then a wait until its
 * attempts under way have finished. Removing it from the config is the caller's next step (a reload),
 * so the wait never holds up other changes.
 */
import type { Logger } from '../log/index.ts';
import type { ClusterRuntime, UpstreamState } from '../router/index.ts';
import type { Clock } from '../util/clock.ts';

export interface DrainOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** Give up waiting after this long (the backend stays out of rotation). */
  readonly timeoutMs: number;
  /** How often the in-flight count is looked at. */
  readonly pollMs: number;
  /** The server is shutting down: stop waiting. */
  readonly isClosing: () => boolean;
}

/** Resolves true once `upstream` has nothing in flight, false if the timeout or a shutdown came first. */
export async function drainUpstream(
  cluster: ClusterRuntime,
  upstream: UpstreamState,
  options: DrainOptions,
): Promise<boolean> {
  if (!upstream.draining) {
    upstream.draining = true;
    cluster.membersChanged();
    options.log.info(
      { cluster: cluster.name, backend: upstream.id, inFlight: upstream.inFlight },
      `draining backend ${cluster.name}/${upstream.id}`,
    );
  }
  const deadline = options.clock.now() + options.timeoutMs;
  while (upstream.inFlight > 0) {
    if (options.clock.now() >= deadline || options.isClosing()) return false;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
  return true;
}
